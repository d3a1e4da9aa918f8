package sqlite

import (
	"context"
	"database/sql"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const conversationColumns = `id, seq, tenant_id, agent_id, user_id, external_id, title, metadata, message_count, created_at, updated_at`

var (
	qConvByID       = stmt(`SELECT ` + conversationColumns + ` FROM conversations WHERE tenant_id = ? AND id = ?`)
	qConvBySeq      = stmt(`SELECT ` + conversationColumns + ` FROM conversations WHERE tenant_id = ? AND seq = ?`)
	qConvByExternal = stmt(`SELECT ` + conversationColumns + ` FROM conversations WHERE tenant_id = ? AND external_id = ?`)
	qConvExists     = stmt(`SELECT 1 FROM conversations WHERE tenant_id = ? AND id = ?`)
	qExternalTaken  = stmt(`SELECT 1 FROM conversations WHERE tenant_id = ? AND external_id = ?`)
	qConvInsert     = stmt(`INSERT INTO conversations
		(id, seq, tenant_id, agent_id, user_id, external_id, title, metadata, message_count, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qConvBump = stmt(`UPDATE conversations SET message_count = message_count + ?, updated_at = max(updated_at, ?)
		WHERE tenant_id = ? AND id = ? RETURNING message_count`)
	// The counts and keys of what the cascade will remove, in one
	// statement: keys are hexadecimal, so a comma separates them safely.
	qConvDeleted = stmt(`SELECT seq,
		(SELECT count(*) FROM messages WHERE tenant_id = ?1 AND conversation_id = ?2),
		(SELECT count(*) FROM artifacts WHERE tenant_id = ?1 AND conversation_id = ?2),
		(SELECT count(*) FROM attachments WHERE tenant_id = ?1 AND conversation_id = ?2),
		(SELECT coalesce(sum(size), 0) FROM attachments WHERE tenant_id = ?1 AND conversation_id = ?2),
		(SELECT coalesce(group_concat(blob_key, ','), '') FROM attachments WHERE tenant_id = ?1 AND conversation_id = ?2)
		FROM conversations WHERE tenant_id = ?1 AND id = ?2`)
	qConvDelete = stmt(`DELETE FROM conversations WHERE tenant_id = ? AND id = ?`)
)

func scanConversation(row scanner) (*convstore.Conversation, error) {
	c := &convstore.Conversation{}
	var external sql.NullString
	err := row.Scan(idScan{&c.ID}, &c.Seq, idScan{&c.TenantID}, &c.AgentID, &c.UserID, &external, &c.Title,
		metaScan{&c.Metadata}, &c.MessageCount, timeScan{&c.CreatedAt}, timeScan{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	c.ExternalID = external.String
	return c, nil
}

// externalArg stores an empty external id as NULL, which the unique index
// ignores.
func externalArg(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (o *ops) ConversationGetByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Conversation, error) {
	return one(ctx, o, qConvByID, []any{idArg(tenantID), idArg(id)}, "conversation", scanConversation)
}

func (o *ops) ConversationGetBySeq(ctx context.Context, tenantID convstore.ID, seq int64) (*convstore.Conversation, error) {
	return one(ctx, o, qConvBySeq, []any{idArg(tenantID), seq}, "conversation", scanConversation)
}

func (o *ops) ConversationGetByExternalID(ctx context.Context, tenantID convstore.ID, externalID string) (*convstore.Conversation, error) {
	return one(ctx, o, qConvByExternal, []any{idArg(tenantID), externalID}, "conversation", scanConversation)
}

func (o *ops) ConversationList(ctx context.Context, p *driver.ConversationListParams) ([]*convstore.Conversation, error) {
	var sb strings.Builder
	sb.WriteString(`SELECT ` + conversationColumns + ` FROM conversations`)
	args := conversationWhere(&sb, p.TenantID, p.Filter)
	q, args := pageOf(sb.String(), p.Page, args)
	return list(ctx, o, q, args, scanConversation)
}

func (o *ops) ConversationCount(ctx context.Context, tenantID convstore.ID, f *convstore.ConversationFilter) (int, error) {
	var sb strings.Builder
	sb.WriteString(`SELECT count(*) FROM conversations`)
	args := conversationWhere(&sb, tenantID, f)
	var n int
	if err := o.run.queryRow(ctx, sb.String(), args...).Scan(&n); err != nil {
		return 0, o.db.translate(err)
	}
	return n, nil
}

// conversationWhere writes the WHERE clause of the filter's selection
// (not its page) and returns its arguments: the one hand-written builder,
// for the one dynamic filter.
func conversationWhere(sb *strings.Builder, tenantID convstore.ID, f *convstore.ConversationFilter) []any {
	sb.WriteString(` WHERE tenant_id = ?`)
	args := []any{idArg(tenantID)}
	if f == nil {
		return args
	}
	if f.AgentID != "" {
		sb.WriteString(` AND agent_id = ?`)
		args = append(args, f.AgentID)
	}
	if f.UserID != "" {
		sb.WriteString(` AND user_id = ?`)
		args = append(args, f.UserID)
	}
	if f.Seq != 0 {
		sb.WriteString(` AND seq = ?`)
		args = append(args, f.Seq)
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
	// json_each, not a JSON path, so any key is matched literally.
	for _, k := range slices.Sorted(maps.Keys(f.Metadata)) {
		sb.WriteString(` AND EXISTS (SELECT 1 FROM json_each(conversations.metadata) WHERE key = ? AND value = ?)`)
		args = append(args, k, f.Metadata[k])
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
func (o *ops) ConversationInsert(ctx context.Context, c *convstore.Conversation) error {
	meta, err := metaArg(c.Metadata)
	if err != nil {
		return err
	}
	res, err := o.run.exec(ctx, qConvInsert, idArg(c.ID), c.Seq, idArg(c.TenantID), c.AgentID, c.UserID,
		externalArg(c.ExternalID), c.Title, meta, c.MessageCount, micros(c.CreatedAt), micros(c.UpdatedAt))
	err = o.db.insertedOne(res, err, func() error { return driver.ErrSeqTaken }, "tenant")
	if err != driver.ErrSeqTaken || c.ExternalID == "" {
		return err
	}
	if o.exists(ctx, qExternalTaken, "conversation", idArg(c.TenantID), c.ExternalID) == nil {
		return driver.ErrExternalIDTaken()
	}
	return driver.ErrSeqTaken
}

// ConversationLock only checks that the conversation exists: with one
// writer, no other write can touch it before the transaction ends.
func (o *ops) ConversationLock(ctx context.Context, tenantID, id convstore.ID, mode driver.LockMode, kind string) error {
	return o.exists(ctx, qConvExists, kind, idArg(tenantID), idArg(id))
}

func (o *ops) ConversationUpdate(ctx context.Context, p *driver.ConversationUpdateParams) (*convstore.Conversation, error) {
	set := []string{"updated_at = max(updated_at, ?)"}
	args := []any{micros(p.UpdatedAt)}
	if p.AgentID != nil {
		set, args = append(set, "agent_id = ?"), append(args, *p.AgentID)
	}
	if p.UserID != nil {
		set, args = append(set, "user_id = ?"), append(args, *p.UserID)
	}
	if p.Title != nil {
		set, args = append(set, "title = ?"), append(args, *p.Title)
	}
	if p.Metadata != nil {
		meta, err := metaArg(*p.Metadata)
		if err != nil {
			return nil, err
		}
		set, args = append(set, "metadata = ?"), append(args, meta)
	}
	args = append(args, idArg(p.TenantID), idArg(p.ID))
	return one(ctx, o, `UPDATE conversations SET `+strings.Join(set, ", ")+
		` WHERE tenant_id = ? AND id = ? RETURNING `+conversationColumns, args, "conversation", scanConversation)
}

func (o *ops) ConversationBumpMessages(ctx context.Context, p *driver.ConversationBumpParams) (int, error) {
	var n int
	err := o.run.queryRow(ctx, qConvBump, p.Delta, micros(p.UpdatedAt), idArg(p.TenantID), idArg(p.ID)).Scan(&n)
	return n, o.db.notFound(err, "conversation")
}

// ConversationDelete counts what goes, then deletes the row; the schema
// cascades. With one writer nothing changes in between.
func (o *ops) ConversationDelete(ctx context.Context, tenantID, id convstore.ID) (*driver.ConversationDeleted, error) {
	d := &driver.ConversationDeleted{}
	var keys string
	err := o.run.queryRow(ctx, qConvDeleted, idArg(tenantID), idArg(id)).
		Scan(&d.Seq, &d.Messages, &d.Artifacts, &d.Attachments, &d.AttachmentBytes, &keys)
	if err != nil {
		return nil, o.db.notFound(err, "conversation")
	}
	if keys != "" {
		d.BlobKeys = strings.Split(keys, ",")
	}
	if d.KeyEpoch, err = o.conversationKeyDelete(ctx, tenantID, id); err != nil {
		return nil, err
	}
	res, err := o.run.exec(ctx, qConvDelete, idArg(tenantID), idArg(id))
	if err := o.db.affectedOne(res, err, "conversation"); err != nil {
		return nil, err
	}
	return d, nil
}
