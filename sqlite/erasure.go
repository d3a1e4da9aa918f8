package sqlite

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const erasureColumns = `id, tenant_id, state, dry_run, include_new, agent_id, created_before, has_user_id, external_ids,
	metadata_pairs, snapshot_at, total_conversations, total_messages, total_artifacts, total_attachments, total_bytes,
	done_conversations, done_messages, done_artifacts, done_attachments, done_bytes, held, cancel_requested, error,
	actor_key_id, door, request_id, client_request_id, created_at, updated_at, finished_at, selector, key_epoch,
	wrapped_key, resume_after, lease_owner, lease_until`

var (
	qErasureInsert = stmt(`INSERT INTO erasures (` + erasureColumns + `) VALUES (` + placeholders(37) + `)`)
	qErasureGet    = stmt(`SELECT ` + erasureColumns + ` FROM erasures WHERE tenant_id = ? AND id = ?`)
	qErasureList   = pagedStmt(`SELECT ` + erasureColumns + ` FROM erasures WHERE tenant_id = ?`)
	// The claim needs no lock: the write transaction holds the only
	// writer until it ends.
	qErasureClaim = stmt(`UPDATE erasures SET state = 'running', lease_owner = ?, lease_until = ?
		WHERE id = (SELECT id FROM erasures WHERE state IN ('queued', 'running')
			AND (lease_until IS NULL OR lease_until <= ?) ORDER BY id LIMIT 1)
		RETURNING ` + erasureColumns)
	qErasureUpdate = stmt(`UPDATE erasures SET state = ?, resume_after = ?, done_conversations = ?, done_messages = ?,
		done_artifacts = ?, done_attachments = ?, done_bytes = ?, held = ?, error = ?, lease_until = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ? AND lease_owner = ? AND state IN ('queued', 'running')
		RETURNING ` + erasureColumns)
	qErasureFinish = stmt(`UPDATE erasures SET state = ?, resume_after = ?, done_conversations = ?, done_messages = ?,
		done_artifacts = ?, done_attachments = ?, done_bytes = ?, held = ?, error = ?, updated_at = ?, finished_at = ?,
		selector = NULL, key_epoch = NULL, wrapped_key = NULL, lease_owner = '', lease_until = NULL
		WHERE tenant_id = ? AND id = ? AND lease_owner = ? AND state IN ('queued', 'running')
		RETURNING ` + erasureColumns)
	qErasureCancel = stmt(`UPDATE erasures SET cancel_requested = 1, updated_at = ?,
		state = CASE WHEN state = 'queued' THEN 'canceled' ELSE state END,
		finished_at = CASE WHEN state = 'queued' THEN ? ELSE finished_at END,
		selector = CASE WHEN state = 'queued' THEN NULL ELSE selector END,
		key_epoch = CASE WHEN state = 'queued' THEN NULL ELSE key_epoch END,
		wrapped_key = CASE WHEN state = 'queued' THEN NULL ELSE wrapped_key END
		WHERE tenant_id = ? AND id = ? AND state IN ('queued', 'running')`)
	qDeletionTotals = stmt(`SELECT count(*), coalesce(sum(messages), 0), coalesce(sum(artifacts), 0),
		coalesce(sum(attachments), 0), coalesce(sum(attachment_bytes), 0)
		FROM deletions WHERE tenant_id = ? AND erasure_id = ? AND kind = ''`)
)

func scanErasure(row scanner) (*driver.ErasureRow, error) {
	e := &driver.ErasureRow{}
	var state string
	err := row.Scan(idScan{&e.ID}, idScan{&e.TenantID}, &state, &e.DryRun, &e.IncludeNew, &e.Selector.AgentID,
		nullTimeScan{&e.Selector.CreatedBefore}, &e.Selector.UserID, &e.Selector.ExternalIDs, &e.Selector.MetadataPairs,
		timeScan{&e.SnapshotAt}, &e.Total.Conversations, &e.Total.Messages, &e.Total.Artifacts, &e.Total.Attachments,
		&e.Total.Bytes, &e.Done.Conversations, &e.Done.Messages, &e.Done.Artifacts, &e.Done.Attachments, &e.Done.Bytes,
		&e.Held, &e.CancelRequested, &e.Error, idScan{&e.ActorKeyID}, &e.Door, &e.RequestID, &e.ClientRequestID,
		timeScan{&e.CreatedAt}, timeScan{&e.UpdatedAt}, nullTimeScan{&e.FinishedAt}, bytesScan{&e.SealedSelector},
		epochScan{&e.KeyEpoch}, bytesScan{&e.WrappedKey}, idScan{&e.Cursor}, &e.LeaseOwner, nullTimeScan{&e.LeaseUntil})
	if err != nil {
		return nil, err
	}
	e.State = convstore.ErasureState(state)
	return e, nil
}

func (o *ops) ErasureInsert(ctx context.Context, e *driver.ErasureRow) error {
	s := &e.Selector
	_, err := o.run.exec(ctx, qErasureInsert, idArg(e.ID), idArg(e.TenantID), string(e.State), e.DryRun, e.IncludeNew,
		s.AgentID, nullMicros(s.CreatedBefore), s.UserID, s.ExternalIDs, s.MetadataPairs, micros(e.SnapshotAt),
		e.Total.Conversations, e.Total.Messages, e.Total.Artifacts, e.Total.Attachments, e.Total.Bytes,
		e.Done.Conversations, e.Done.Messages, e.Done.Artifacts, e.Done.Attachments, e.Done.Bytes, e.Held,
		e.CancelRequested, e.Error, nullID(e.ActorKeyID), e.Door, e.RequestID, e.ClientRequestID, micros(e.CreatedAt),
		micros(e.UpdatedAt), nullMicros(e.FinishedAt), bytesArg(e.SealedSelector), nullEpoch(e.KeyEpoch),
		bytesArg(e.WrappedKey), nullID(e.Cursor), e.LeaseOwner, nullMicros(e.LeaseUntil))
	return o.db.translate(err)
}

func (o *ops) ErasureGet(ctx context.Context, tenantID, id convstore.ID) (*driver.ErasureRow, error) {
	return one(ctx, o, qErasureGet, []any{idArg(tenantID), idArg(id)}, "erasure", scanErasure)
}

func (o *ops) ErasureList(ctx context.Context, p *driver.ErasureListParams) ([]*driver.ErasureRow, error) {
	q, args := qErasureList.sql(p.Page, []any{idArg(p.TenantID)})
	return list(ctx, o, q, args, scanErasure)
}

func (o *ops) ErasureClaim(ctx context.Context, p *driver.ErasureClaimParams) (*driver.ErasureRow, error) {
	return one(ctx, o, qErasureClaim, []any{p.Owner, micros(p.Until), micros(p.Now)}, "erasure", scanErasure)
}

func (o *ops) ErasureUpdate(ctx context.Context, p *driver.ErasureUpdateParams) (*driver.ErasureRow, error) {
	d := p.Done
	if p.FinishedAt != nil {
		return one(ctx, o, qErasureFinish, []any{string(p.State), nullID(p.Cursor), d.Conversations, d.Messages,
			d.Artifacts, d.Attachments, d.Bytes, p.Held, p.Error, micros(p.UpdatedAt), micros(*p.FinishedAt),
			idArg(p.TenantID), idArg(p.ID), p.Owner}, "erasure", scanErasure)
	}
	return one(ctx, o, qErasureUpdate, []any{string(p.State), nullID(p.Cursor), d.Conversations, d.Messages,
		d.Artifacts, d.Attachments, d.Bytes, p.Held, p.Error, micros(p.LeaseUntil), micros(p.UpdatedAt),
		idArg(p.TenantID), idArg(p.ID), p.Owner}, "erasure", scanErasure)
}

func (o *ops) ErasureCancel(ctx context.Context, tenantID, id convstore.ID, now time.Time) (*driver.ErasureRow, error) {
	if _, err := o.run.exec(ctx, qErasureCancel, micros(now), micros(now), idArg(tenantID), idArg(id)); err != nil {
		return nil, o.db.translate(err)
	}
	return o.ErasureGet(ctx, tenantID, id)
}

func (o *ops) DeletionTotals(ctx context.Context, tenantID, erasureID convstore.ID) (convstore.ErasureCounts, error) {
	var c convstore.ErasureCounts
	err := o.run.queryRow(ctx, qDeletionTotals, idArg(tenantID), idArg(erasureID)).Scan(&c.Conversations, &c.Messages,
		&c.Artifacts, &c.Attachments, &c.Bytes)
	return c, o.db.translate(err)
}

// ConversationTotals sums in one statement: each count is a subquery
// over the conversations' rows, by the indexes that lead with the
// conversation.
func (o *ops) ConversationTotals(ctx context.Context, tenantID convstore.ID, ids []convstore.ID) (convstore.ErasureCounts, error) {
	var c convstore.ErasureCounts
	if len(ids) == 0 {
		return c, nil
	}
	in := placeholders(len(ids))
	args := make([]any, 0, 4*(len(ids)+1))
	for range 4 {
		args = append(args, idArg(tenantID))
		for _, id := range ids {
			args = append(args, idArg(id))
		}
	}
	q := `SELECT
		(SELECT count(*) FROM conversations WHERE tenant_id = ? AND id IN (` + in + `)),
		(SELECT coalesce(sum(message_count), 0) FROM conversations WHERE tenant_id = ? AND id IN (` + in + `)),
		(SELECT count(*) FROM artifacts WHERE tenant_id = ? AND conversation_id IN (` + in + `)),
		(SELECT count(*) FROM attachments WHERE tenant_id = ? AND conversation_id IN (` + in + `))`
	if err := o.run.queryRow(ctx, q, args...).Scan(&c.Conversations, &c.Messages, &c.Artifacts, &c.Attachments); err != nil {
		return c, o.db.translate(err)
	}
	bq := `SELECT coalesce(sum(size), 0) FROM attachments WHERE tenant_id = ? AND conversation_id IN (` + in + `)`
	err := o.run.queryRow(ctx, bq, args[:len(ids)+1]...).Scan(&c.Bytes)
	return c, o.db.translate(err)
}
