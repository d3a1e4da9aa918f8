package postgres

import (
	"context"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const conversationColumns = `tenant_id, id, seq, agent_id, user_id, external_id, title, metadata, message_count, created_at, updated_at, user_idx, external_idx, door`

// scanConversation scans a row of conversationColumns: the one place that
// does.
func scanConversation(row pgx.Row) (*driver.ConversationRow, error) {
	c := &driver.ConversationRow{}
	err := row.Scan(scanID(&c.TenantID), scanID(&c.ID), &c.Seq, &c.AgentID, scanSealed(&c.UserID), scanSealed(&c.ExternalID),
		scanSealed(&c.Title), scanBytes(&c.Meta), &c.MessageCount, &c.CreatedAt, &c.UpdatedAt,
		scanBytes(&c.UserIndex), scanBytes(&c.ExternalIndex), &c.Door)
	if err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

func (o *ops) ConversationGetByID(ctx context.Context, tenantID, id convstore.ID) (*driver.ConversationRow, error) {
	return one(ctx, o, "conversation", scanConversation,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = $1 AND id = $2 AND NOT deleted`, idArg(tenantID), idArg(id))
}

func (o *ops) ConversationGetBySeq(ctx context.Context, tenantID convstore.ID, seq int64) (*driver.ConversationRow, error) {
	return one(ctx, o, "conversation", scanConversation,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = $1 AND seq = $2 AND NOT deleted`, idArg(tenantID), seq)
}

// ConversationGetByExternalID finds the row by the blind index, or (a row
// written before sealing) by the plaintext.
func (o *ops) ConversationGetByExternalID(ctx context.Context, tenantID convstore.ID, externalIndex []byte, externalID string) (*driver.ConversationRow, error) {
	return one(ctx, o, "conversation", scanConversation,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = $1 AND NOT deleted AND
			(external_idx = $2 OR external_idx IS NULL AND external_id = $3)`,
		idArg(tenantID), bytesArg(externalIndex), []byte(externalID))
}

func (o *ops) ConversationList(ctx context.Context, p *driver.ConversationListParams) ([]*driver.ConversationRow, error) {
	q := conversationQuery(`SELECT `+listColumns(p)+` FROM conversations`, p)
	scan := scanConversation
	if keptOn(p) {
		scan = scanConversationKept
	}
	if p.Filter != nil && p.Filter.ByUpdated {
		// By (updated_at, id), the cursor being both.
		op, dir := ">", "ASC"
		if p.Page.Desc {
			op, dir = "<", "DESC"
		}
		if !p.Page.After.IsZero() {
			q.and("(updated_at, id) "+op+" (?, ?)", p.Filter.AfterUpdated.Truncate(time.Microsecond), p.Page.After[:])
		}
		q.sql.WriteString(" ORDER BY updated_at " + dir + ", id " + dir + " LIMIT " + q.arg(p.Page.Limit) + " OFFSET " + q.arg(p.Page.Offset))
		return list(ctx, o, q, scan)
	}
	return list(ctx, o, q.page(p.Page), scan)
}

func (o *ops) ConversationCount(ctx context.Context, p *driver.ConversationListParams) (int, error) {
	q := conversationQuery(`SELECT count(*) FROM conversations`, p)
	return o.count(ctx, q.sql.String(), q.args...)
}

// conversationQuery starts a query with the WHERE clause of the filter's
// selection (not its page): the one dynamic filter, built by hand. Each
// field adds a fixed condition, so there are at most 64 forms, each
// prepared once per connection.
func conversationQuery(sql string, p *driver.ConversationListParams) *query {
	q := newQuery(sql+` WHERE tenant_id = $1 AND NOT deleted`, idArg(p.TenantID))
	if p.Filter != nil && p.Filter.Deleted {
		// Deleted and still restorable: its purge job is due later.
		q = newQuery(sql+` WHERE tenant_id = $1 AND deleted`, idArg(p.TenantID))
		q.and(`EXISTS (SELECT 1 FROM purge_jobs AS pj WHERE pj.conversation_id = conversations.id AND pj.due_at > ?)`, p.Now)
	}
	if len(p.MetaPairs) > 0 {
		// Every pair is a row of the pair index: one form for any number
		// of pairs, the pairs as one bytea[] argument. While a re-index
		// runs, the array also holds each pair under the older live
		// roots: a conversation's pair rows are all under one root
		// (written together), so it still counts one match per pair.
		pairs := p.MetaPairs
		for _, alts := range p.MetaPairAlts {
			pairs = append(pairs[:len(pairs):len(pairs)], alts...)
		}
		q.and(`(SELECT count(DISTINCT mi.pair_idx) FROM conversation_meta_index mi
			WHERE mi.tenant_id = conversations.tenant_id AND mi.conversation_id = conversations.id
			AND mi.pair_idx = ANY (?::bytea[])) = `+strconv.Itoa(len(p.MetaPairs)), pairs)
	}
	f := p.Filter
	if f == nil {
		return q
	}
	if f.AgentID != "" {
		q.and("agent_id = ?", f.AgentID)
	}
	if f.UserID != "" {
		// By the blind index, or the plaintext of a row written before
		// sealing.
		if len(p.UserIndexAlts) == 0 {
			q.and("(user_idx = ? OR user_idx IS NULL AND user_id = ?)", bytesArg(p.UserIndex), []byte(f.UserID))
		} else { // a re-index runs: under any live root
			idx := append([][]byte{p.UserIndex}, p.UserIndexAlts...)
			q.and("(user_idx = ANY (?::bytea[]) OR user_idx IS NULL AND user_id = ?)", idx, []byte(f.UserID))
		}
	}
	if f.SeqMax != 0 {
		q.and("seq BETWEEN ? AND ?", f.Seq, f.SeqMax)
	} else if f.Seq != 0 {
		q.and("seq = ?", f.Seq)
	}
	if f.MinMessages != nil {
		q.and("message_count >= ?", *f.MinMessages)
	}
	if f.MaxMessages != nil {
		q.and("message_count <= ?", *f.MaxMessages)
	}
	// Stored times are whole microseconds; bounds with nanoseconds are
	// rounded so that the comparison stays exact: created_at > t holds
	// exactly when created_at > t rounded down, and created_at < t exactly
	// when created_at < t rounded up.
	if f.CreatedAfter != nil {
		q.and("created_at > ?", f.CreatedAfter.Truncate(time.Microsecond))
	}
	if f.CreatedBefore != nil {
		before := f.CreatedBefore.Truncate(time.Microsecond)
		if !before.Equal(*f.CreatedBefore) {
			before = before.Add(time.Microsecond)
		}
		q.and("created_at < ?", before)
	}
	return q
}

// ConversationInsert inserts only under an existing tenant (INSERT …
// SELECT), with ON CONFLICT DO NOTHING: a taken sequence number, id or
// external id returns no row instead of aborting the transaction (so the
// caller can draw another sequence number in it) or writing the external
// id to the server's log in a unique violation's DETAIL line. No row is
// told apart by lookups.
func (o *ops) ConversationInsert(ctx context.Context, c *driver.ConversationRow) error {
	n, err := o.exec(ctx, `
		INSERT INTO conversations (tenant_id, id, seq, agent_id, user_id, external_id, title, metadata, message_count,
			created_at, updated_at, user_idx, external_idx, door)
		SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 FROM tenants WHERE id = $1
		ON CONFLICT DO NOTHING`,
		idArg(c.TenantID), idArg(c.ID), c.Seq, c.AgentID, sealedArg(c.UserID), nullSealedArg(c.ExternalID), sealedArg(c.Title),
		bytesArg(c.Meta), c.MessageCount, c.CreatedAt, c.UpdatedAt, bytesArg(c.UserIndex), bytesArg(c.ExternalIndex), c.Door)
	if err == nil && n == 1 {
		return o.metaIndexInsert(ctx, c.TenantID, c.ID, c.MetaIndex)
	}
	if err != nil {
		return err
	}
	if err := o.exists(ctx, "tenant", `SELECT 1 FROM tenants WHERE id = $1`, idArg(c.TenantID)); err != nil {
		return err
	}
	if len(c.ExternalIndex) > 0 {
		var taken bool
		err := o.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM conversations WHERE tenant_id = $1 AND external_idx = $2)`,
			idArg(c.TenantID), c.ExternalIndex).Scan(&taken)
		if err != nil {
			return o.fail(ctx, err)
		}
		if taken {
			return driver.ErrExternalIDTaken()
		}
	}
	return driver.ErrSeqTaken
}

// metaIndexInsert stores a conversation's metadata pair index rows in one
// statement (parallel arrays).
func (o *ops) metaIndexInsert(ctx context.Context, tenantID, id convstore.ID, rows []driver.MetaIndex) error {
	if len(rows) == 0 {
		return nil
	}
	keys, pairs := make([][]byte, len(rows)), make([][]byte, len(rows))
	for i, m := range rows {
		keys[i], pairs[i] = m.Key, m.Pair
	}
	_, err := o.exec(ctx, `
		INSERT INTO conversation_meta_index (tenant_id, conversation_id, key_idx, pair_idx)
		SELECT $1, $2, u.k, u.p FROM unnest($3::bytea[], $4::bytea[]) AS u(k, p)
		ON CONFLICT DO NOTHING`, idArg(tenantID), idArg(id), keys, pairs)
	return err
}

// ConversationLock locks the conversation's row. Writers run
// concurrently, on many nodes, so the modes are real row locks:
//
//   - LockShare is FOR KEY SHARE: it does not block other such writes (or
//     row updates, which take FOR NO KEY UPDATE), but conflicts with the
//     FOR UPDATE ConversationDelete takes, so a child write and a delete of
//     its conversation never interleave: the write either commits first
//     (and the delete counts it) or waits and then finds no conversation.
//   - LockUpdate is FOR NO KEY UPDATE, which conflicts with itself too.
func (o *ops) ConversationLock(ctx context.Context, tenantID, id convstore.ID, mode driver.LockMode, kind string) error {
	sql := `SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 AND NOT deleted FOR KEY SHARE`
	if mode == driver.LockUpdate {
		sql = `SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 AND NOT deleted FOR NO KEY UPDATE`
	}
	return o.exists(ctx, kind, sql, idArg(tenantID), idArg(id))
}

// ConversationUpdate is one fixed statement (a field left nil keeps its
// value through coalesce), so it is prepared once like the others. The
// UPDATE locks the row FOR NO KEY UPDATE.
func (o *ops) ConversationUpdate(ctx context.Context, p *driver.ConversationUpdateParams) (*driver.ConversationRow, error) {
	var user, title, meta []byte
	if p.UserID != nil {
		user = sealedArg(*p.UserID)
	}
	if p.Title != nil {
		title = sealedArg(*p.Title)
	}
	if p.Meta != nil {
		meta = bytesArg(*p.Meta)
	}
	var external []byte
	if p.ExternalID != nil {
		external = nullSealedArg(*p.ExternalID)
	}
	// $8 says whether the user id (and its index, which may become NULL)
	// is set, $10 whether the metadata (which may become NULL) is.
	c, err := one(ctx, o, "conversation", scanConversation, `
		UPDATE conversations SET updated_at = GREATEST(updated_at, $3),
			agent_id = coalesce($4, agent_id), user_id = coalesce($5, user_id), title = coalesce($6, title),
			metadata = CASE WHEN $10 THEN $7 ELSE metadata END,
			user_idx = CASE WHEN $8 THEN $9 ELSE user_idx END,
			external_id = CASE WHEN $11 THEN $12 ELSE external_id END,
			external_idx = CASE WHEN $11 THEN $13 ELSE external_idx END
		WHERE tenant_id = $1 AND id = $2 AND NOT deleted
		RETURNING `+conversationColumns,
		idArg(p.TenantID), idArg(p.ID), p.UpdatedAt, p.AgentID, user, title, meta, p.UserID != nil, bytesArg(p.UserIndex),
		p.Meta != nil, p.ExternalID != nil, external, bytesArg(p.ExternalIndex))
	if err != nil || p.Meta == nil {
		return c, err
	}
	if _, err := o.exec(ctx, `DELETE FROM conversation_meta_index WHERE tenant_id = $1 AND conversation_id = $2`,
		idArg(p.TenantID), idArg(p.ID)); err != nil {
		return nil, err
	}
	return c, o.metaIndexInsert(ctx, p.TenantID, p.ID, p.MetaIndex)
}

// ConversationBumpMessages's UPDATE locks the row (FOR NO KEY UPDATE)
// until commit: appends to one conversation queue behind each other, and
// against ConversationDelete's FOR UPDATE. An append that waited for a
// delete re-reads the row, finds it gone, and reports it missing, so it
// never leaves an orphan message.
func (o *ops) ConversationBumpMessages(ctx context.Context, p *driver.ConversationBumpParams) (int, error) {
	var n int
	err := o.q.QueryRow(ctx, `
		UPDATE conversations SET message_count = message_count + $3, updated_at = GREATEST(updated_at, $4)
		WHERE tenant_id = $1 AND id = $2 AND NOT deleted
		RETURNING message_count`,
		idArg(p.TenantID), idArg(p.ID), p.Delta, p.UpdatedAt).Scan(&n)
	return n, o.notFound(ctx, err, "conversation")
}

// ConversationDelete first locks the row with SELECT … FOR UPDATE. Of
// several concurrent deletes, on this node or another, exactly one gets
// the lock on a live row; the others wait, then find it marked deleted.
// Every write to the conversation's children takes a conflicting lock on
// the row first (see ConversationLock), so once the lock is held nothing
// can be added or removed, and a write that waited re-reads the row, finds
// it deleted, and reports it missing. The second statement then marks the
// row and counts what the purge will remove: its snapshot is taken after
// the lock was granted, so the counts are exactly what the purge removes.
// The messages are counted by the row's counter, which every append and
// message delete keeps exact: counting a million index entries would take
// longer than the whole delete may.
func (o *ops) ConversationDelete(ctx context.Context, tenantID, id convstore.ID) (*driver.ConversationDeleted, error) {
	err := o.exists(ctx, "conversation", `SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 AND NOT deleted FOR UPDATE`,
		idArg(tenantID), idArg(id))
	if err != nil {
		return nil, err
	}
	epoch, err := o.conversationKeyDelete(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	d := &driver.ConversationDeleted{KeyEpoch: epoch}
	err = o.q.QueryRow(ctx, `
		WITH gone AS (UPDATE conversations SET deleted = true, external_id = NULL, external_idx = NULL, `+keptClear+`
			WHERE tenant_id = $1 AND id = $2 RETURNING seq, message_count)
		SELECT gone.seq, gone.message_count,
		       (SELECT count(*) FROM artifacts WHERE tenant_id = $1 AND conversation_id = $2),
		       (SELECT count(*) FROM attachments WHERE tenant_id = $1 AND conversation_id = $2),
		       (SELECT coalesce(sum(size), 0) FROM attachments WHERE tenant_id = $1 AND conversation_id = $2)
		FROM gone`,
		idArg(tenantID), idArg(id)).Scan(&d.Seq, &d.Messages, &d.Artifacts, &d.Attachments, &d.AttachmentBytes)
	if err != nil {
		return nil, o.notFound(ctx, err, "conversation")
	}
	if _, err := o.exec(ctx, `DELETE FROM conversation_meta_index WHERE tenant_id = $1 AND conversation_id = $2`,
		idArg(tenantID), idArg(id)); err != nil {
		return nil, err
	}
	return d, nil
}
