package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const erasureColumns = `tenant_id, id, state, dry_run, include_new, agent_id, created_before, has_user_id, external_ids,
	metadata_pairs, snapshot_at, total_conversations, total_messages, total_artifacts, total_attachments, total_bytes,
	done_conversations, done_messages, done_artifacts, done_attachments, done_bytes, held, cancel_requested, error,
	actor_key_id, door, request_id, client_request_id, created_at, updated_at, finished_at, selector, key_epoch,
	wrapped_key, resume_after, lease_owner, lease_until`

// scanErasure scans a row of erasureColumns.
func scanErasure(row pgx.Row) (*driver.ErasureRow, error) {
	e := &driver.ErasureRow{}
	var state string
	var epoch *int64
	err := row.Scan(scanID(&e.TenantID), scanID(&e.ID), &state, &e.DryRun, &e.IncludeNew, &e.Selector.AgentID,
		&e.Selector.CreatedBefore, &e.Selector.UserID, &e.Selector.ExternalIDs, &e.Selector.MetadataPairs,
		&e.SnapshotAt, &e.Total.Conversations, &e.Total.Messages, &e.Total.Artifacts, &e.Total.Attachments,
		&e.Total.Bytes, &e.Done.Conversations, &e.Done.Messages, &e.Done.Artifacts, &e.Done.Attachments, &e.Done.Bytes,
		&e.Held, &e.CancelRequested, &e.Error, scanID(&e.ActorKeyID), &e.Door, &e.RequestID, &e.ClientRequestID,
		&e.CreatedAt, &e.UpdatedAt, &e.FinishedAt, scanBytes(&e.SealedSelector), &epoch, scanBytes(&e.WrappedKey),
		scanID(&e.Cursor), &e.LeaseOwner, &e.LeaseUntil)
	if err != nil {
		return nil, err
	}
	e.State = convstore.ErasureState(state)
	if epoch != nil {
		e.KeyEpoch = uint32(*epoch)
	}
	e.SnapshotAt, e.CreatedAt, e.UpdatedAt = e.SnapshotAt.UTC(), e.CreatedAt.UTC(), e.UpdatedAt.UTC()
	for _, t := range []**time.Time{&e.Selector.CreatedBefore, &e.FinishedAt, &e.LeaseUntil} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	return e, nil
}

func (o *ops) ErasureInsert(ctx context.Context, e *driver.ErasureRow) error {
	s := &e.Selector
	_, err := o.exec(ctx, `INSERT INTO erasures (`+erasureColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
		$11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33,
		$34, $35, $36, $37)`,
		idArg(e.TenantID), idArg(e.ID), string(e.State), e.DryRun, e.IncludeNew, s.AgentID, s.CreatedBefore, s.UserID,
		s.ExternalIDs, s.MetadataPairs, e.SnapshotAt, e.Total.Conversations, e.Total.Messages, e.Total.Artifacts,
		e.Total.Attachments, e.Total.Bytes, e.Done.Conversations, e.Done.Messages, e.Done.Artifacts, e.Done.Attachments,
		e.Done.Bytes, e.Held, e.CancelRequested, e.Error, idArg(e.ActorKeyID), e.Door, e.RequestID, e.ClientRequestID,
		e.CreatedAt, e.UpdatedAt, e.FinishedAt, bytesArg(e.SealedSelector), nullEpoch(e.KeyEpoch), bytesArg(e.WrappedKey),
		idArg(e.Cursor), e.LeaseOwner, e.LeaseUntil)
	return err
}

func (o *ops) ErasureGet(ctx context.Context, tenantID, id convstore.ID) (*driver.ErasureRow, error) {
	return one(ctx, o, "erasure", scanErasure,
		`SELECT `+erasureColumns+` FROM erasures WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id))
}

func (o *ops) ErasureList(ctx context.Context, p *driver.ErasureListParams) ([]*driver.ErasureRow, error) {
	q := newQuery(`SELECT `+erasureColumns+` FROM erasures WHERE tenant_id = $1`, idArg(p.TenantID))
	return list(ctx, o, q.page(p.Page), scanErasure)
}

// ErasureClaim claims with FOR UPDATE SKIP LOCKED: two nodes claiming at
// once never take one job, and the lease it then records keeps it theirs
// after the transaction, until it ends (a node that dies mid-job leaves
// its lease to run out, and another node resumes the job).
func (o *ops) ErasureClaim(ctx context.Context, p *driver.ErasureClaimParams) (*driver.ErasureRow, error) {
	return one(ctx, o, "erasure", scanErasure, `
		WITH c AS (SELECT tenant_id, id FROM erasures WHERE state IN ('queued', 'running')
			AND (lease_until IS NULL OR lease_until <= $3) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
		UPDATE erasures e SET state = 'running', lease_owner = $1, lease_until = $2
		FROM c WHERE e.tenant_id = c.tenant_id AND e.id = c.id
		RETURNING `+prefixed("e.", erasureColumns), p.Owner, p.Until, p.Now)
}

func (o *ops) ErasureUpdate(ctx context.Context, p *driver.ErasureUpdateParams) (*driver.ErasureRow, error) {
	d := p.Done
	if p.FinishedAt != nil {
		return one(ctx, o, "erasure", scanErasure, `UPDATE erasures SET state = $4, resume_after = $5,
			done_conversations = $6, done_messages = $7, done_artifacts = $8, done_attachments = $9, done_bytes = $10,
			held = $11, error = $12, updated_at = $13, finished_at = $14, selector = NULL, key_epoch = NULL,
			wrapped_key = NULL, lease_owner = '', lease_until = NULL
			WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 AND state IN ('queued', 'running')
			RETURNING `+erasureColumns,
			idArg(p.TenantID), idArg(p.ID), p.Owner, string(p.State), idArg(p.Cursor), d.Conversations, d.Messages,
			d.Artifacts, d.Attachments, d.Bytes, p.Held, p.Error, p.UpdatedAt, *p.FinishedAt)
	}
	return one(ctx, o, "erasure", scanErasure, `UPDATE erasures SET state = $4, resume_after = $5,
		done_conversations = $6, done_messages = $7, done_artifacts = $8, done_attachments = $9, done_bytes = $10,
		held = $11, error = $12, updated_at = $13, lease_until = $14
		WHERE tenant_id = $1 AND id = $2 AND lease_owner = $3 AND state IN ('queued', 'running')
		RETURNING `+erasureColumns,
		idArg(p.TenantID), idArg(p.ID), p.Owner, string(p.State), idArg(p.Cursor), d.Conversations, d.Messages,
		d.Artifacts, d.Attachments, d.Bytes, p.Held, p.Error, p.UpdatedAt, p.LeaseUntil)
}

func (o *ops) ErasureCancel(ctx context.Context, tenantID, id convstore.ID, now time.Time) (*driver.ErasureRow, error) {
	_, err := o.exec(ctx, `UPDATE erasures SET cancel_requested = true, updated_at = $3,
		state = CASE WHEN state = 'queued' THEN 'canceled' ELSE state END,
		finished_at = CASE WHEN state = 'queued' THEN $3 ELSE finished_at END,
		selector = CASE WHEN state = 'queued' THEN NULL ELSE selector END,
		key_epoch = CASE WHEN state = 'queued' THEN NULL ELSE key_epoch END,
		wrapped_key = CASE WHEN state = 'queued' THEN NULL ELSE wrapped_key END
		WHERE tenant_id = $1 AND id = $2 AND state IN ('queued', 'running')`, idArg(tenantID), idArg(id), now)
	if err != nil {
		return nil, err
	}
	return o.ErasureGet(ctx, tenantID, id)
}

func (o *ops) DeletionTotals(ctx context.Context, tenantID, erasureID convstore.ID) (convstore.ErasureCounts, error) {
	var c convstore.ErasureCounts
	err := o.q.QueryRow(ctx, `SELECT count(*), coalesce(sum(messages), 0), coalesce(sum(artifacts), 0),
		coalesce(sum(attachments), 0), coalesce(sum(attachment_bytes), 0)
		FROM deletions WHERE tenant_id = $1 AND erasure_id = $2 AND kind = ''`, idArg(tenantID), idArg(erasureID)).Scan(
		&c.Conversations, &c.Messages, &c.Artifacts, &c.Attachments, &c.Bytes)
	if err != nil {
		return c, o.fail(ctx, err)
	}
	return c, nil
}

func (o *ops) ConversationTotals(ctx context.Context, tenantID convstore.ID, ids []convstore.ID) (convstore.ErasureCounts, error) {
	var c convstore.ErasureCounts
	if len(ids) == 0 {
		return c, nil
	}
	err := o.q.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM conversations WHERE tenant_id = $1 AND id = ANY ($2::bytea[])),
		(SELECT coalesce(sum(message_count), 0) FROM conversations WHERE tenant_id = $1 AND id = ANY ($2::bytea[])),
		(SELECT count(*) FROM artifacts WHERE tenant_id = $1 AND conversation_id = ANY ($2::bytea[])),
		(SELECT count(*) FROM attachments WHERE tenant_id = $1 AND conversation_id = ANY ($2::bytea[])),
		(SELECT coalesce(sum(size), 0) FROM attachments WHERE tenant_id = $1 AND conversation_id = ANY ($2::bytea[]))`,
		idArg(tenantID), idsArg(ids)).Scan(&c.Conversations, &c.Messages, &c.Artifacts, &c.Attachments, &c.Bytes)
	if err != nil {
		return c, o.fail(ctx, err)
	}
	return c, nil
}

// prefixed qualifies each column of a column list with p.
func prefixed(p, columns string) string {
	var out []byte
	start := true
	for i := 0; i < len(columns); i++ {
		ch := columns[i]
		if start && ch != ' ' && ch != '\t' && ch != '\n' {
			out = append(out, p...)
			start = false
		}
		if ch == ',' {
			start = true
		}
		out = append(out, ch)
	}
	return string(out)
}
