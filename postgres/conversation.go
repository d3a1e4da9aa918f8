package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const conversationColumns = `tenant_id, id, seq, agent_id, user_id, external_id, title, metadata, message_count, created_at, updated_at`

// scanConversation scans a row of conversationColumns.
func scanConversation(row pgx.Row) (*convstore.Conversation, error) {
	c := &convstore.Conversation{}
	var external *string
	err := row.Scan(scanID(&c.TenantID), scanID(&c.ID), &c.Seq, &c.AgentID, &c.UserID, &external, &c.Title,
		&c.Metadata, &c.MessageCount, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if external != nil {
		c.ExternalID = *external
	}
	c.Metadata, c.CreatedAt, c.UpdatedAt = noEmpty(c.Metadata), c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, nil
}

func (o *ops) ConversationGetByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Conversation, error) {
	return one(ctx, o, "conversation", scanConversation,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id))
}

func (o *ops) ConversationGetBySeq(ctx context.Context, tenantID convstore.ID, seq int64) (*convstore.Conversation, error) {
	return one(ctx, o, "conversation", scanConversation,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = $1 AND seq = $2`, idArg(tenantID), seq)
}

func (o *ops) ConversationGetByExternalID(ctx context.Context, tenantID convstore.ID, externalID string) (*convstore.Conversation, error) {
	return one(ctx, o, "conversation", scanConversation,
		`SELECT `+conversationColumns+` FROM conversations WHERE tenant_id = $1 AND external_id = $2`, idArg(tenantID), externalArg(externalID))
}

func (o *ops) ConversationList(ctx context.Context, p *driver.ConversationListParams) ([]*convstore.Conversation, error) {
	q := conversationQuery(`SELECT `+conversationColumns+` FROM conversations`, p.TenantID, p.Filter)
	return list(ctx, o, q.page(p.Page), scanConversation)
}

func (o *ops) ConversationCount(ctx context.Context, tenantID convstore.ID, f *convstore.ConversationFilter) (int, error) {
	q := conversationQuery(`SELECT count(*) FROM conversations`, tenantID, f)
	return o.count(ctx, q.sql.String(), q.args...)
}

// conversationQuery starts a query with the WHERE clause of the filter's
// selection (not its page): the one dynamic filter, built by hand. Each
// field adds a fixed condition, so there are at most 64 forms, each
// prepared once per connection.
func conversationQuery(sql string, tenantID convstore.ID, f *convstore.ConversationFilter) *query {
	q := newQuery(sql+` WHERE tenant_id = $1`, idArg(tenantID))
	if f == nil {
		return q
	}
	if f.AgentID != "" {
		q.and("agent_id = ?", f.AgentID)
	}
	if f.UserID != "" {
		q.and("user_id = ?", f.UserID)
	}
	if f.Seq != 0 {
		q.and("seq = ?", f.Seq)
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
	if len(f.Metadata) > 0 {
		// Containment of one jsonb argument: one form for any number of
		// pairs, served by the operator, not a path.
		q.and("metadata @> ?::jsonb", metadataArg(f.Metadata))
	}
	return q
}

// ConversationInsert inserts only under an existing tenant (INSERT …
// SELECT), with ON CONFLICT DO NOTHING: a taken sequence number, id or
// external id returns no row instead of aborting the transaction (so the
// caller can draw another sequence number in it) or writing the external
// id to the server's log in a unique violation's DETAIL line. No row is
// told apart by lookups.
func (o *ops) ConversationInsert(ctx context.Context, c *convstore.Conversation) error {
	n, err := o.exec(ctx, `
		INSERT INTO conversations (tenant_id, id, seq, agent_id, user_id, external_id, title, metadata, message_count, created_at, updated_at)
		SELECT id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM tenants WHERE id = $1
		ON CONFLICT DO NOTHING`,
		idArg(c.TenantID), idArg(c.ID), c.Seq, c.AgentID, c.UserID, externalArg(c.ExternalID), c.Title,
		metadataArg(c.Metadata), c.MessageCount, c.CreatedAt, c.UpdatedAt)
	if err != nil || n == 1 {
		return err
	}
	if err := o.exists(ctx, "tenant", `SELECT 1 FROM tenants WHERE id = $1`, idArg(c.TenantID)); err != nil {
		return err
	}
	if c.ExternalID != "" {
		var taken bool
		err := o.q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM conversations WHERE tenant_id = $1 AND external_id = $2)`,
			idArg(c.TenantID), c.ExternalID).Scan(&taken)
		if err != nil {
			return o.fail(ctx, err)
		}
		if taken {
			return driver.ErrExternalIDTaken()
		}
	}
	return driver.ErrSeqTaken
}

// externalArg stores an empty external id as NULL, which the unique index
// ignores.
func externalArg(s string) *string {
	if s == "" {
		return nil
	}
	return &s
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
	sql := `SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 FOR KEY SHARE`
	if mode == driver.LockUpdate {
		sql = `SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`
	}
	return o.exists(ctx, kind, sql, idArg(tenantID), idArg(id))
}

// ConversationUpdate is one fixed statement (a field left nil keeps its
// value through coalesce), so it is prepared once like the others. The
// UPDATE locks the row FOR NO KEY UPDATE.
func (o *ops) ConversationUpdate(ctx context.Context, p *driver.ConversationUpdateParams) (*convstore.Conversation, error) {
	var meta []byte
	if p.Metadata != nil {
		meta = metadataArg(*p.Metadata)
	}
	return one(ctx, o, "conversation", scanConversation, `
		UPDATE conversations SET updated_at = GREATEST(updated_at, $3),
			agent_id = coalesce($4, agent_id), user_id = coalesce($5, user_id), title = coalesce($6, title),
			metadata = coalesce($7::jsonb, metadata)
		WHERE tenant_id = $1 AND id = $2
		RETURNING `+conversationColumns,
		idArg(p.TenantID), idArg(p.ID), p.UpdatedAt, p.AgentID, p.UserID, p.Title, meta)
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
		WHERE tenant_id = $1 AND id = $2
		RETURNING message_count`,
		idArg(p.TenantID), idArg(p.ID), p.Delta, p.UpdatedAt).Scan(&n)
	return n, o.notFound(ctx, err, "conversation")
}

// ConversationDelete first locks the row with SELECT … FOR UPDATE. Of
// several concurrent deletes, on this node or another, exactly one gets
// the lock on an existing row; the others wait, then find the row gone.
// Every write to the conversation's children takes a conflicting lock on
// the row first (see ConversationLock), so once the lock is held nothing
// can be added or removed. The second statement then counts what the
// cascade removes and deletes: its snapshot is taken after the lock was
// granted, so the counts are exactly what goes. (One statement could not
// do both: its snapshot would predate the wait for the lock, and miss a
// child committed meanwhile.)
func (o *ops) ConversationDelete(ctx context.Context, tenantID, id convstore.ID) (*driver.ConversationDeleted, error) {
	err := o.exists(ctx, "conversation", `SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
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
		WITH gone AS (DELETE FROM conversations WHERE tenant_id = $1 AND id = $2 RETURNING seq)
		SELECT gone.seq,
		       (SELECT count(*) FROM messages WHERE tenant_id = $1 AND conversation_id = $2),
		       (SELECT count(*) FROM artifacts WHERE tenant_id = $1 AND conversation_id = $2),
		       (SELECT count(*) FROM attachments WHERE tenant_id = $1 AND conversation_id = $2),
		       (SELECT coalesce(sum(size), 0) FROM attachments WHERE tenant_id = $1 AND conversation_id = $2),
		       (SELECT array_agg(blob_key) FROM attachments WHERE tenant_id = $1 AND conversation_id = $2)
		FROM gone`,
		idArg(tenantID), idArg(id)).Scan(&d.Seq, &d.Messages, &d.Artifacts, &d.Attachments, &d.AttachmentBytes, &d.BlobKeys)
	if err != nil {
		return nil, o.notFound(ctx, err, "conversation")
	}
	return d, nil
}
