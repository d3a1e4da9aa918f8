package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const deliveryColumns = `id, tenant_id, webhook_id, event_id, event_type, seq, conversation_id, occurred_at, data::text, state, attempts,
	next_attempt_at, last_attempt_at, last_status, last_latency_us, last_error, response_prefix, created_at, delivered_at`

func scanDelivery(row pgx.Row) (*convstore.WebhookDelivery, error) {
	d := &convstore.WebhookDelivery{}
	var data string
	var latency int64
	err := row.Scan(scanID(&d.ID), scanID(&d.TenantID), scanID(&d.WebhookID), scanID(&d.EventID), &d.EventType, &d.Seq,
		scanID(&d.ConversationID), &d.OccurredAt, &data, &d.State, &d.Attempts, &d.NextAttemptAt, &d.LastAttemptAt, &d.LastStatus,
		&latency, &d.LastError, &d.ResponsePrefix, &d.CreatedAt, &d.DeliveredAt)
	if err != nil {
		return nil, err
	}
	d.Data, d.LastLatency = []byte(data), time.Duration(latency)*time.Microsecond
	d.OccurredAt, d.NextAttemptAt, d.CreatedAt = d.OccurredAt.UTC(), d.NextAttemptAt.UTC(), d.CreatedAt.UTC()
	d.LastAttemptAt, d.DeliveredAt = utcPtr(d.LastAttemptAt), utcPtr(d.DeliveredAt)
	return d, nil
}

// WebhookDeliveryInsert checks the webhook in the statement rather than
// by a foreign key violation, which would abort the transaction.
func (o *ops) WebhookDeliveryInsert(ctx context.Context, d *convstore.WebhookDelivery) error {
	return o.execOne(ctx, "webhook", `INSERT INTO webhook_deliveries (`+deliveryColumnsPlain+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::json, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19
		WHERE EXISTS (SELECT 1 FROM webhooks WHERE tenant_id = $2 AND id = $3)`,
		idArg(d.ID), idArg(d.TenantID), idArg(d.WebhookID), idArg(d.EventID), d.EventType, d.Seq, idArg(d.ConversationID),
		d.OccurredAt, string(d.Data), d.State, d.Attempts, d.NextAttemptAt, d.LastAttemptAt, d.LastStatus,
		d.LastLatency.Microseconds(), d.LastError, d.ResponsePrefix, d.CreatedAt, d.DeliveredAt)
}

const deliveryColumnsPlain = `id, tenant_id, webhook_id, event_id, event_type, seq, conversation_id, occurred_at, data, state, attempts,
	next_attempt_at, last_attempt_at, last_status, last_latency_us, last_error, response_prefix, created_at, delivered_at`

func (o *ops) WebhookDeliveryGet(ctx context.Context, tenantID, webhookID, id convstore.ID) (*convstore.WebhookDelivery, error) {
	return one(ctx, o, "webhook delivery", scanDelivery, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3`, idArg(tenantID), idArg(webhookID), idArg(id))
}

func (o *ops) WebhookDeliveryList(ctx context.Context, p *driver.WebhookDeliveryListParams) ([]*convstore.WebhookDelivery, error) {
	q := newQuery(`SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2`,
		idArg(p.TenantID), idArg(p.WebhookID))
	if p.State != "" {
		q.and("state = ?", p.State)
	}
	return list(ctx, o, q.page(p.Page), scanDelivery)
}

func (o *ops) WebhookAttemptList(ctx context.Context, tenantID, deliveryID convstore.ID, limit int) ([]*convstore.WebhookAttempt, error) {
	q := newQuery(`SELECT delivery_id, attempt, started_at, latency_us, status, error, response_prefix
		FROM webhook_attempts WHERE tenant_id = $1 AND delivery_id = $2 ORDER BY attempt LIMIT $3`, idArg(tenantID), idArg(deliveryID), limit)
	return list(ctx, o, q, func(row pgx.Row) (*convstore.WebhookAttempt, error) {
		a := &convstore.WebhookAttempt{}
		var latency int64
		err := row.Scan(scanID(&a.DeliveryID), &a.Attempt, &a.StartedAt, &latency, &a.Status, &a.Error, &a.ResponsePrefix)
		a.Latency, a.StartedAt = time.Duration(latency)*time.Microsecond, a.StartedAt.UTC()
		return a, err
	})
}

func (o *ops) WebhookDeliveryReplay(ctx context.Context, tenantID, webhookID, id convstore.ID, now time.Time) (*convstore.WebhookDelivery, error) {
	return one(ctx, o, "webhook delivery", scanDelivery, `UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $1,
		lease_owner = NULL, lease_until = NULL, delivered_at = NULL WHERE tenant_id = $2 AND webhook_id = $3 AND id = $4
		RETURNING `+deliveryColumns, now, idArg(tenantID), idArg(webhookID), idArg(id))
}

// WebhookDeliveryClaim locks the deliveries it takes with FOR UPDATE
// SKIP LOCKED: a second node's claim passes over them. The order rule
// reads the snapshot of the statement: an earlier delivery of the
// conversation that another claim holds is pending or delivering in it,
// so the later one waits either way.
func (o *ops) WebhookDeliveryClaim(ctx context.Context, p *driver.WebhookDeliveryClaimParams) ([]*convstore.WebhookDelivery, error) {
	q := newQuery(`UPDATE webhook_deliveries SET state = 'delivering', lease_owner = $2, lease_until = $3
		WHERE id IN (SELECT d.id FROM webhook_deliveries d WHERE
			((d.state = 'pending' AND d.next_attempt_at <= $1) OR (d.state = 'delivering' AND d.lease_until <= $1))
			AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id AND w.state = 'enabled')
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id
				AND e.conversation_id = d.conversation_id AND e.seq < d.seq AND e.state IN ('pending', 'delivering'))`,
		p.Now, idArg(p.Owner), p.Until)
	if !p.WebhookID.IsZero() {
		q.and("d.webhook_id = ?", idArg(p.WebhookID))
	}
	q.sql.WriteString(` ORDER BY CASE d.state WHEN 'pending' THEN d.next_attempt_at ELSE d.lease_until END, d.id
		LIMIT ` + q.arg(p.Limit) + ` FOR UPDATE SKIP LOCKED) RETURNING ` + deliveryColumns)
	return list(ctx, o, q, scanDelivery)
}

func (o *ops) WebhookDeliveryFinish(ctx context.Context, p *driver.WebhookDeliveryFinishParams) (*driver.WebhookHealth, error) {
	hs, err := o.WebhookDeliveryFinishMany(ctx, []*driver.WebhookDeliveryFinishParams{p})
	if err != nil {
		return nil, err
	}
	if hs[0] == nil {
		return nil, notFound(pgx.ErrNoRows, "webhook delivery")
	}
	return hs[0], nil
}

// WebhookDeliveryFinishMany is three statements whatever the number of
// attempts, plus one per webhook whose failure record changes: the
// deliveries' update (only those still leased to their owner), the
// attempts' insert, and each webhook's record, in webhook id order (two
// nodes' batches never wait on each other's rows in a cycle). A webhook
// whose attempts all succeeded and whose record is clear already is
// read, not written.
func (o *ops) WebhookDeliveryFinishMany(ctx context.Context, ps []*driver.WebhookDeliveryFinishParams) ([]*driver.WebhookHealth, error) {
	out := make([]*driver.WebhookHealth, len(ps))
	if len(ps) == 0 {
		return out, nil
	}
	n := len(ps)
	var (
		ids, tenants, hooks, owners = make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n)
		states, errs, prefixes      = make([]string, n), make([]string, n), make([]string, n)
		nexts, starts               = make([]time.Time, n), make([]time.Time, n)
		delivered                   = make([]*time.Time, n)
		statuses                    = make([]int32, n)
		latencies                   = make([]int64, n)
	)
	at := make(map[convstore.ID]int, n)
	for i, p := range ps {
		a := &p.Attempt
		end := a.StartedAt.Add(a.Latency)
		ids[i], tenants[i], hooks[i], owners[i] = idBytes(p.DeliveryID), idBytes(p.TenantID), idBytes(p.WebhookID), idBytes(p.Owner)
		states[i], errs[i], prefixes[i] = p.State, a.Error, a.ResponsePrefix
		nexts[i], starts[i], statuses[i], latencies[i] = p.NextAttemptAt, a.StartedAt, int32(a.Status), a.Latency.Microseconds()
		if p.NextAttemptAt.IsZero() {
			nexts[i] = end
		}
		if p.State == convstore.DeliverySucceeded {
			delivered[i] = &end
		}
		at[p.DeliveryID] = i
	}
	rows, err := o.q.Query(ctx, `UPDATE webhook_deliveries d SET state = u.state, next_attempt_at = u.next, attempts = d.attempts + 1,
		lease_owner = NULL, lease_until = NULL, last_attempt_at = u.started, last_status = u.status, last_latency_us = u.latency,
		last_error = u.error, response_prefix = u.prefix, delivered_at = u.delivered
		FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bytea[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::int[],
			$9::bigint[], $10::text[], $11::text[], $12::timestamptz[])
			AS u(id, tenant_id, webhook_id, owner, state, next, started, status, latency, error, prefix, delivered)
		WHERE d.id = u.id AND d.tenant_id = u.tenant_id AND d.webhook_id = u.webhook_id AND d.state = 'delivering'
			AND d.lease_owner = u.owner
		RETURNING d.id, d.attempts`, ids, tenants, hooks, owners, states, nexts, starts, statuses, latencies, errs, prefixes, delivered)
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	recorded := make([]bool, n)
	var aIDs [][]byte
	var aNums []int32
	var aIdx []int
	for rows.Next() {
		var id convstore.ID
		var attempts int32
		if err := rows.Scan(scanID(&id), &attempts); err != nil {
			rows.Close()
			return nil, o.fail(ctx, err)
		}
		i := at[id]
		recorded[i] = true
		aIDs, aNums, aIdx = append(aIDs, ids[i]), append(aNums, attempts), append(aIdx, i)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, o.fail(ctx, err)
	}
	if len(aIdx) == 0 {
		return out, nil
	}
	m := len(aIdx)
	var (
		aTenants, aStarts = make([][]byte, m), make([]time.Time, m)
		aLatencies        = make([]int64, m)
		aStatuses         = make([]int32, m)
		aErrs, aPrefixes  = make([]string, m), make([]string, m)
	)
	for j := range m {
		i := aIdx[j]
		aTenants[j], aStarts[j], aLatencies[j], aStatuses[j], aErrs[j], aPrefixes[j] = tenants[i], starts[i], latencies[i], statuses[i], errs[i], prefixes[i]
	}
	if _, err := o.exec(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, tenant_id, started_at, latency_us, status, error,
		response_prefix) SELECT * FROM unnest($1::bytea[], $2::int[], $3::bytea[], $4::timestamptz[], $5::bigint[], $6::int[],
		$7::text[], $8::text[])`, aIDs, aNums, aTenants, aStarts, aLatencies, aStatuses, aErrs, aPrefixes); err != nil {
		return nil, err
	}
	for _, r := range driver.WebhookFailureRuns(ps, recorded) {
		var sql string
		args := []any{idArg(r.TenantID), idArg(r.ID)}
		switch {
		case r.Reset && r.Failures == 0:
			// Written only if there is something to clear.
			sql = `WITH u AS (UPDATE webhooks SET failures = 0, first_failure_at = NULL
				WHERE tenant_id = $1 AND id = $2 AND (failures <> 0 OR first_failure_at IS NOT NULL)
				RETURNING state, failures, first_failure_at)
				SELECT state, failures, first_failure_at FROM u
				UNION ALL SELECT state, 0, NULL FROM webhooks WHERE tenant_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM u)`
		case r.Reset:
			sql, args = `UPDATE webhooks SET failures = $3, first_failure_at = $4 WHERE tenant_id = $1 AND id = $2
				RETURNING state, failures, first_failure_at`, append(args, r.Failures, r.FirstFailureAt)
		default:
			sql, args = `UPDATE webhooks SET failures = failures + $3, first_failure_at = COALESCE(first_failure_at, $4)
				WHERE tenant_id = $1 AND id = $2 RETURNING state, failures, first_failure_at`, append(args, r.Failures, r.FirstFailureAt)
		}
		h, err := one(ctx, o, "webhook", func(row pgx.Row) (*driver.WebhookHealth, error) {
			h := &driver.WebhookHealth{}
			err := row.Scan(&h.State, &h.Failures, &h.FirstFailureAt)
			h.FirstFailureAt = utcPtr(h.FirstFailureAt)
			return h, err
		}, sql, args...)
		if err != nil {
			return nil, err
		}
		for _, i := range r.Attempts {
			out[i] = h
		}
	}
	return out, nil
}

// WebhookDeliveryPrune skips rows another transaction holds (a claim):
// they are pruned next time.
func (o *ops) WebhookDeliveryPrune(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := o.exec(ctx, `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
		WHERE created_at < $1 AND state IN ('succeeded', 'failed') LIMIT $2 FOR UPDATE SKIP LOCKED)`, before, limit)
	return int(n), err
}
