package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const conversationColumns = `id, seq, tenant_id, agent_id, user_id, external_id, title, metadata, message_count, created_at, updated_at, user_idx, external_idx, door`

var (
	qConvByID       = stmt(`SELECT ` + conversationColumns + ` FROM conversations WHERE tenant_id = ? AND id = ? AND deleted = 0`)
	qConvBySeq      = stmt(`SELECT ` + conversationColumns + ` FROM conversations WHERE tenant_id = ? AND seq = ? AND deleted = 0`)
	qConvByExternal = stmt(`SELECT ` + conversationColumns + ` FROM conversations WHERE tenant_id = ?1 AND deleted = 0 AND
		(external_idx = ?2 OR external_idx IS NULL AND external_id IN (?3, CAST(?3 AS BLOB)))`)
	qConvExists    = stmt(`SELECT 1 FROM conversations WHERE tenant_id = ? AND id = ? AND deleted = 0`)
	qExternalTaken = stmt(`SELECT 1 FROM conversations WHERE tenant_id = ? AND external_idx = ?`)
	qConvInsert    = stmt(`INSERT INTO conversations
		(id, seq, tenant_id, agent_id, user_id, external_id, title, metadata, message_count, created_at, updated_at, user_idx, external_idx, door)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qMetaIndexInsert = stmt(`INSERT INTO conversation_meta_index (tenant_id, conversation_id, key_idx, pair_idx)
		VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qMetaIndexDelete = stmt(`DELETE FROM conversation_meta_index WHERE tenant_id = ? AND conversation_id = ?`)
	qConvBump        = stmt(`UPDATE conversations SET message_count = message_count + ?, updated_at = max(updated_at, ?)
		WHERE tenant_id = ? AND id = ? AND deleted = 0 RETURNING message_count`)
	// A delete marks the row and frees its external id; the purge
	// removes the rest. The messages are counted by the row's counter
	// (every write keeps it exact; counting a million index entries would
	// take longer than the whole delete may), the artifacts and
	// attachments by index.
	qConvMarkDeleted = stmt(`UPDATE conversations SET deleted = 1, external_id = NULL, external_idx = NULL, ` + keptClear + `
		WHERE tenant_id = ? AND id = ? AND deleted = 0 RETURNING seq, message_count`)
	qConvDeletedCounts = stmt(`SELECT
		(SELECT count(*) FROM artifacts WHERE tenant_id = ?1 AND conversation_id = ?2),
		(SELECT count(*) FROM attachments WHERE tenant_id = ?1 AND conversation_id = ?2),
		(SELECT coalesce(sum(size), 0) FROM attachments WHERE tenant_id = ?1 AND conversation_id = ?2)`)
)

// scanConversation scans a row of conversationColumns: the one place that
// does.
func scanConversation(row scanner) (*driver.ConversationRow, error) {
	c := &driver.ConversationRow{}
	err := row.Scan(idScan{&c.ID}, &c.Seq, idScan{&c.TenantID}, &c.AgentID, sealedScan{&c.UserID}, sealedScan{&c.ExternalID},
		sealedScan{&c.Title}, bytesScan{&c.Meta}, &c.MessageCount, timeScan{&c.CreatedAt}, timeScan{&c.UpdatedAt},
		bytesScan{&c.UserIndex}, bytesScan{&c.ExternalIndex}, &c.Door)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (o *ops) ConversationGetByID(ctx context.Context, tenantID, id convstore.ID) (*driver.ConversationRow, error) {
	return one(ctx, o, qConvByID, []any{idArg(tenantID), idArg(id)}, "conversation", scanConversation)
}

func (o *ops) ConversationGetBySeq(ctx context.Context, tenantID convstore.ID, seq int64) (*driver.ConversationRow, error) {
	return one(ctx, o, qConvBySeq, []any{idArg(tenantID), seq}, "conversation", scanConversation)
}

func (o *ops) ConversationGetByExternalID(ctx context.Context, tenantID convstore.ID, externalIndex []byte, externalID string) (*driver.ConversationRow, error) {
	return one(ctx, o, qConvByExternal, []any{idArg(tenantID), bytesArg(externalIndex), externalID}, "conversation", scanConversation)
}

func (o *ops) ConversationList(ctx context.Context, p *driver.ConversationListParams) ([]*driver.ConversationRow, error) {
	var sb strings.Builder
	scan := scanConversation
	if keptOn(p) {
		sb.WriteString(`SELECT ` + conversationColumns + `, ` + keptColumns + ` FROM conversations`)
		scan = scanConversationKept
	} else {
		sb.WriteString(`SELECT ` + conversationColumns + ` FROM conversations`)
	}
	args := conversationWhere(&sb, p)
	if p.Filter != nil && p.Filter.ByUpdated {
		// By (updated_at, id), the cursor being both.
		op, dir := ">", "ASC"
		if p.Page.Desc {
			op, dir = "<", "DESC"
		}
		if !p.Page.After.IsZero() {
			at := micros(p.Filter.AfterUpdated)
			sb.WriteString(` AND (updated_at ` + op + ` ? OR updated_at = ? AND id ` + op + ` ?)`)
			args = append(args, at, at, idArg(p.Page.After))
		}
		sb.WriteString(` ORDER BY updated_at ` + dir + `, id ` + dir + ` LIMIT ? OFFSET ?`)
		return list(ctx, o, sb.String(), append(args, p.Page.Limit, p.Page.Offset), scan)
	}
	q, args := pageOf(sb.String(), p.Page, args)
	return list(ctx, o, q, args, scan)
}

func (o *ops) ConversationCount(ctx context.Context, p *driver.ConversationListParams) (int, error) {
	var sb strings.Builder
	sb.WriteString(`SELECT count(*) FROM conversations`)
	args := conversationWhere(&sb, p)
	var n int
	if err := o.run.queryRow(ctx, sb.String(), args...).Scan(&n); err != nil {
		return 0, o.db.translate(err)
	}
	return n, nil
}

// conversationWhere writes the WHERE clause of the filter's selection
// (not its page) and returns its arguments: the one hand-written builder,
// for the one dynamic filter.
func conversationWhere(sb *strings.Builder, p *driver.ConversationListParams) []any {
	args := []any{idArg(p.TenantID)}
	if p.Filter != nil && p.Filter.Deleted {
		// Deleted and still restorable: its purge job is due later.
		sb.WriteString(` WHERE tenant_id = ? AND deleted = 1 AND EXISTS (SELECT 1 FROM purge_jobs AS pj
			WHERE pj.conversation_id = conversations.id AND pj.due_at > ?)`)
		args = append(args, micros(p.Now))
	} else {
		sb.WriteString(` WHERE tenant_id = ? AND deleted = 0`)
	}
	// Each pair the metadata must hold is a row of the pair index.
	// While a re-index runs, each under any live index root.
	for i, pair := range p.MetaPairs {
		alts := [][]byte{pair}
		if i < len(p.MetaPairAlts) {
			alts = append(alts, p.MetaPairAlts[i]...)
		}
		sb.WriteString(` AND EXISTS (SELECT 1 FROM conversation_meta_index mi WHERE mi.tenant_id = conversations.tenant_id
			AND mi.conversation_id = conversations.id AND mi.pair_idx IN (` + placeholders(len(alts)) + `))`)
		for _, a := range alts {
			args = append(args, a)
		}
	}
	f := p.Filter
	if f == nil {
		return args
	}
	if f.AgentID != "" {
		sb.WriteString(` AND agent_id = ?`)
		args = append(args, f.AgentID)
	}
	if f.UserID != "" {
		// By the blind index, or the plaintext of a row written before
		// sealing.
		sb.WriteString(` AND (user_idx IN (` + placeholders(1+len(p.UserIndexAlts)) + `) OR user_idx IS NULL AND user_id IN (?, CAST(? AS BLOB)))`)
		args = append(args, bytesArg(p.UserIndex))
		for _, a := range p.UserIndexAlts {
			args = append(args, a)
		}
		args = append(args, f.UserID, f.UserID)
	}
	if f.SeqMax != 0 {
		sb.WriteString(` AND seq BETWEEN ? AND ?`)
		args = append(args, f.Seq, f.SeqMax)
	} else if f.Seq != 0 {
		sb.WriteString(` AND seq = ?`)
		args = append(args, f.Seq)
	}
	if f.MinMessages != nil {
		sb.WriteString(` AND message_count >= ?`)
		args = append(args, *f.MinMessages)
	}
	if f.MaxMessages != nil {
		sb.WriteString(` AND message_count <= ?`)
		args = append(args, *f.MaxMessages)
	}
	// Stored times are whole microseconds: t > after exactly when its
	// microseconds exceed after's rounded down, and t < before when they
	// are below before's rounded up.
	if f.CreatedAfter != nil {
		sb.WriteString(` AND created_at > ?`)
		args = append(args, floorMicros(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		sb.WriteString(` AND created_at < ?`)
		args = append(args, ceilMicros(*f.CreatedBefore))
	}
	return args
}

func floorMicros(t time.Time) int64 {
	us := t.UnixMicro()
	if time.UnixMicro(us).After(t) { // negative times round toward zero
		us--
	}
	return us
}

func ceilMicros(t time.Time) int64 {
	us := t.UnixMicro()
	if time.UnixMicro(us).Before(t) {
		us++
	}
	return us
}

// ConversationInsert inserts with ON CONFLICT DO NOTHING: no row inserted
// means the external id or the sequence number is taken, told apart by a
// lookup, so the transaction goes on either way.
func (o *ops) ConversationInsert(ctx context.Context, c *driver.ConversationRow) error {
	res, err := o.run.exec(ctx, qConvInsert, idArg(c.ID), c.Seq, idArg(c.TenantID), c.AgentID, sealedArg(c.UserID),
		nullSealedArg(c.ExternalID), sealedArg(c.Title), bytesArg(c.Meta), c.MessageCount, micros(c.CreatedAt),
		micros(c.UpdatedAt), bytesArg(c.UserIndex), bytesArg(c.ExternalIndex), c.Door)
	err = o.db.insertedOne(res, err, func() error { return driver.ErrSeqTaken }, "tenant")
	if err == driver.ErrSeqTaken && len(c.ExternalIndex) > 0 &&
		o.exists(ctx, qExternalTaken, "conversation", idArg(c.TenantID), c.ExternalIndex) == nil {
		return driver.ErrExternalIDTaken()
	}
	if err != nil {
		return err
	}
	return o.metaIndexInsert(ctx, c.TenantID, c.ID, c.MetaIndex)
}

// metaIndexInsert stores a conversation's metadata pair index rows.
func (o *ops) metaIndexInsert(ctx context.Context, tenantID, id convstore.ID, rows []driver.MetaIndex) error {
	for _, m := range rows {
		if _, err := o.run.exec(ctx, qMetaIndexInsert, idArg(tenantID), idArg(id), m.Key, m.Pair); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}

// ConversationLock only checks that the conversation exists: with one
// writer, no other write can touch it before the transaction ends.
func (o *ops) ConversationLock(ctx context.Context, tenantID, id convstore.ID, mode driver.LockMode, kind string) error {
	return o.exists(ctx, qConvExists, kind, idArg(tenantID), idArg(id))
}

func (o *ops) ConversationUpdate(ctx context.Context, p *driver.ConversationUpdateParams) (*driver.ConversationRow, error) {
	set := []string{"updated_at = max(updated_at, ?)"}
	args := []any{micros(p.UpdatedAt)}
	if p.AgentID != nil {
		set, args = append(set, "agent_id = ?"), append(args, *p.AgentID)
	}
	if p.UserID != nil {
		set, args = append(set, "user_id = ?", "user_idx = ?"), append(args, sealedArg(*p.UserID), bytesArg(p.UserIndex))
	}
	if p.Title != nil {
		set, args = append(set, "title = ?"), append(args, sealedArg(*p.Title))
	}
	if p.Meta != nil {
		set, args = append(set, "metadata = ?"), append(args, bytesArg(*p.Meta))
	}
	if p.ExternalID != nil {
		set, args = append(set, "external_id = ?", "external_idx = ?"), append(args, nullSealedArg(*p.ExternalID), bytesArg(p.ExternalIndex))
	}
	args = append(args, idArg(p.TenantID), idArg(p.ID))
	c, err := one(ctx, o, `UPDATE conversations SET `+strings.Join(set, ", ")+
		` WHERE tenant_id = ? AND id = ? AND deleted = 0 RETURNING `+conversationColumns, args, "conversation", scanConversation)
	if err != nil || p.Meta == nil {
		return c, err
	}
	if _, err := o.run.exec(ctx, qMetaIndexDelete, idArg(p.TenantID), idArg(p.ID)); err != nil {
		return nil, o.db.translate(err)
	}
	return c, o.metaIndexInsert(ctx, p.TenantID, p.ID, p.MetaIndex)
}

func (o *ops) ConversationBumpMessages(ctx context.Context, p *driver.ConversationBumpParams) (int, error) {
	var n int
	err := o.run.queryRow(ctx, qConvBump, p.Delta, micros(p.UpdatedAt), idArg(p.TenantID), idArg(p.ID)).Scan(&n)
	return n, o.db.notFound(err, "conversation")
}

// ConversationDelete marks the row deleted, counts what the purge will
// remove, and deletes the data key and the metadata index rows. With one
// writer nothing changes in between.
func (o *ops) ConversationDelete(ctx context.Context, tenantID, id convstore.ID) (*driver.ConversationDeleted, error) {
	d := &driver.ConversationDeleted{}
	err := o.run.queryRow(ctx, qConvMarkDeleted, idArg(tenantID), idArg(id)).Scan(&d.Seq, &d.Messages)
	if err != nil {
		return nil, o.db.notFound(err, "conversation")
	}
	err = o.run.queryRow(ctx, qConvDeletedCounts, idArg(tenantID), idArg(id)).Scan(&d.Artifacts, &d.Attachments, &d.AttachmentBytes)
	if err != nil {
		return nil, o.db.translate(err)
	}
	if d.KeyEpoch, err = o.conversationKeyDelete(ctx, tenantID, id); err != nil {
		return nil, err
	}
	if _, err := o.run.exec(ctx, qMetaIndexDelete, idArg(tenantID), idArg(id)); err != nil {
		return nil, o.db.translate(err)
	}
	return d, nil
}
