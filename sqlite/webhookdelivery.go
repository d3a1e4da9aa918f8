package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const deliveryColumns = `id, tenant_id, webhook_id, event_id, event_type, seq, conversation_id, occurred_at, data, state, attempts,
	next_attempt_at, last_attempt_at, last_status, last_latency_us, last_error, response_prefix, created_at, delivered_at`

// claimable is the claim rule: due or under an ended lease, of an enabled
// webhook, with no earlier unfinished delivery of its conversation.
const claimable = `((d.state = 'pending' AND d.next_attempt_at <= ?1) OR (d.state = 'delivering' AND d.lease_until <= ?1))
	AND EXISTS (SELECT 1 FROM webhooks w WHERE w.id = d.webhook_id AND w.state = 'enabled')
	AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id
		AND e.conversation_id = d.conversation_id AND e.seq < d.seq AND e.state IN ('pending', 'delivering'))`

var (
	qDeliveryInsert = stmt(`INSERT INTO webhook_deliveries (` + deliveryColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qDeliveryGet  = stmt(`SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE tenant_id = ? AND webhook_id = ? AND id = ?`)
	qDeliveryList = pagedStmt(`SELECT ` + deliveryColumns + ` FROM webhook_deliveries
		WHERE tenant_id = ? AND webhook_id = ?`)
	qDeliveryListState = pagedStmt(`SELECT ` + deliveryColumns + ` FROM webhook_deliveries
		WHERE tenant_id = ? AND webhook_id = ? AND state = ?`)
	qDeliveryReplay = stmt(`UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?, lease_owner = NULL,
		lease_until = NULL, delivered_at = NULL WHERE tenant_id = ? AND webhook_id = ? AND id = ?`)
	qDeliveryClaim = stmt(`UPDATE webhook_deliveries SET state = 'delivering', lease_owner = ?2, lease_until = ?3
		WHERE id IN (SELECT d.id FROM webhook_deliveries d WHERE ` + claimable + `
			ORDER BY CASE d.state WHEN 'pending' THEN d.next_attempt_at ELSE d.lease_until END, d.id LIMIT ?4)
		RETURNING ` + deliveryColumns)
	qDeliveryClaimWebhook = stmt(`UPDATE webhook_deliveries SET state = 'delivering', lease_owner = ?2, lease_until = ?3
		WHERE id IN (SELECT d.id FROM webhook_deliveries d WHERE d.webhook_id = ?5 AND ` + claimable + `
			ORDER BY CASE d.state WHEN 'pending' THEN d.next_attempt_at ELSE d.lease_until END, d.id LIMIT ?4)
		RETURNING ` + deliveryColumns)
	qDeliveryFinish = stmt(`UPDATE webhook_deliveries SET state = ?, next_attempt_at = ?, attempts = attempts + 1,
		lease_owner = NULL, lease_until = NULL, last_attempt_at = ?, last_status = ?, last_latency_us = ?, last_error = ?,
		response_prefix = ?, delivered_at = ?
		WHERE tenant_id = ? AND webhook_id = ? AND id = ? AND state = 'delivering' AND lease_owner = ? RETURNING attempts`)
	qAttemptInsert = stmt(`INSERT INTO webhook_attempts (delivery_id, attempt, tenant_id, started_at, latency_us, status, error,
		response_prefix) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	qAttemptList = stmt(`SELECT delivery_id, attempt, started_at, latency_us, status, error, response_prefix
		FROM webhook_attempts WHERE tenant_id = ? AND delivery_id = ? ORDER BY attempt LIMIT ?`)
	qDeliveryPrune = stmt(`DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
		WHERE created_at < ? AND state IN ('succeeded', 'failed') LIMIT ?)`)
)

func scanDelivery(row scanner) (*convstore.WebhookDelivery, error) {
	d := &convstore.WebhookDelivery{}
	var data string
	var latency int64
	err := row.Scan(idScan{&d.ID}, idScan{&d.TenantID}, idScan{&d.WebhookID}, idScan{&d.EventID}, &d.EventType, &d.Seq,
		idScan{&d.ConversationID}, timeScan{&d.OccurredAt}, &data, &d.State, &d.Attempts, timeScan{&d.NextAttemptAt},
		nullTimeScan{&d.LastAttemptAt}, &d.LastStatus, &latency, &d.LastError, &d.ResponsePrefix, timeScan{&d.CreatedAt},
		nullTimeScan{&d.DeliveredAt})
	if err != nil {
		return nil, err
	}
	d.Data, d.LastLatency = []byte(data), time.Duration(latency)*time.Microsecond
	return d, nil
}

func (o *ops) WebhookDeliveryInsert(ctx context.Context, d *convstore.WebhookDelivery) error {
	_, err := o.run.exec(ctx, qDeliveryInsert, idArg(d.ID), idArg(d.TenantID), idArg(d.WebhookID), idArg(d.EventID), d.EventType, d.Seq,
		nullID(d.ConversationID), micros(d.OccurredAt), string(d.Data), d.State, d.Attempts, micros(d.NextAttemptAt),
		nullMicros(d.LastAttemptAt), d.LastStatus, d.LastLatency.Microseconds(), d.LastError, d.ResponsePrefix, micros(d.CreatedAt),
		nullMicros(d.DeliveredAt))
	if isForeignKey(err) {
		return convstore.NotFound("webhook")
	}
	return o.db.translate(err)
}

func (o *ops) WebhookDeliveryGet(ctx context.Context, tenantID, webhookID, id convstore.ID) (*convstore.WebhookDelivery, error) {
	return one(ctx, o, qDeliveryGet, []any{idArg(tenantID), idArg(webhookID), idArg(id)}, "webhook delivery", scanDelivery)
}

func (o *ops) WebhookDeliveryList(ctx context.Context, p *driver.WebhookDeliveryListParams) ([]*convstore.WebhookDelivery, error) {
	if p.State != "" {
		q, args := qDeliveryListState.sql(p.Page, []any{idArg(p.TenantID), idArg(p.WebhookID), p.State})
		return list(ctx, o, q, args, scanDelivery)
	}
	q, args := qDeliveryList.sql(p.Page, []any{idArg(p.TenantID), idArg(p.WebhookID)})
	return list(ctx, o, q, args, scanDelivery)
}

func (o *ops) WebhookAttemptList(ctx context.Context, tenantID, deliveryID convstore.ID, limit int) ([]*convstore.WebhookAttempt, error) {
	return list(ctx, o, qAttemptList, []any{idArg(tenantID), idArg(deliveryID), limit}, func(row scanner) (*convstore.WebhookAttempt, error) {
		a := &convstore.WebhookAttempt{}
		var latency int64
		err := row.Scan(idScan{&a.DeliveryID}, &a.Attempt, timeScan{&a.StartedAt}, &latency, &a.Status, &a.Error, &a.ResponsePrefix)
		a.Latency = time.Duration(latency) * time.Microsecond
		return a, err
	})
}

func (o *ops) WebhookDeliveryReplay(ctx context.Context, tenantID, webhookID, id convstore.ID, now time.Time) (*convstore.WebhookDelivery, error) {
	res, err := o.run.exec(ctx, qDeliveryReplay, micros(now), idArg(tenantID), idArg(webhookID), idArg(id))
	if err := o.db.affectedOne(res, err, "webhook delivery"); err != nil {
		return nil, err
	}
	return o.WebhookDeliveryGet(ctx, tenantID, webhookID, id)
}

// WebhookDeliveryClaim is one statement; the one writer runs claims in
// turn, so two never take one delivery.
func (o *ops) WebhookDeliveryClaim(ctx context.Context, p *driver.WebhookDeliveryClaimParams) ([]*convstore.WebhookDelivery, error) {
	q, args := qDeliveryClaim, []any{micros(p.Now), idArg(p.Owner), micros(p.Until), p.Limit}
	if !p.WebhookID.IsZero() {
		q, args = qDeliveryClaimWebhook, append(args, idArg(p.WebhookID))
	}
	return list(ctx, o, q, args, scanDelivery)
}

func (o *ops) WebhookDeliveryFinish(ctx context.Context, p *driver.WebhookDeliveryFinishParams) (*driver.WebhookHealth, error) {
	hs, err := o.WebhookDeliveryFinishMany(ctx, []*driver.WebhookDeliveryFinishParams{p})
	if err != nil {
		return nil, err
	}
	if hs[0] == nil {
		return nil, o.db.notFound(sql.ErrNoRows, "webhook delivery")
	}
	return hs[0], nil
}

// WebhookDeliveryFinishMany runs two prepared statements per attempt
// and one per webhook in the writer's transaction: in process, it is the
// one commit that counts.
func (o *ops) WebhookDeliveryFinishMany(ctx context.Context, ps []*driver.WebhookDeliveryFinishParams) ([]*driver.WebhookHealth, error) {
	out := make([]*driver.WebhookHealth, len(ps))
	recorded := make([]bool, len(ps))
	for i, p := range ps {
		a := &p.Attempt
		end := a.StartedAt.Add(a.Latency)
		var delivered any
		if p.State == convstore.DeliverySucceeded {
			delivered = micros(end)
		}
		next := p.NextAttemptAt
		if next.IsZero() {
			next = end
		}
		var attempts int
		err := o.run.queryRow(ctx, qDeliveryFinish, p.State, micros(next), micros(a.StartedAt), a.Status, a.Latency.Microseconds(),
			a.Error, a.ResponsePrefix, delivered, idArg(p.TenantID), idArg(p.WebhookID), idArg(p.DeliveryID), idArg(p.Owner)).Scan(&attempts)
		if errors.Is(err, sql.ErrNoRows) {
			continue // gone, or no longer leased to p.Owner
		}
		if err != nil {
			return nil, o.db.translate(err)
		}
		_, err = o.run.exec(ctx, qAttemptInsert, idArg(p.DeliveryID), attempts, idArg(p.TenantID), micros(a.StartedAt),
			a.Latency.Microseconds(), a.Status, a.Error, a.ResponsePrefix)
		if err != nil {
			return nil, o.db.translate(err)
		}
		recorded[i] = true
	}
	for _, r := range driver.WebhookFailureRuns(ps, recorded) {
		var first any
		if r.FirstFailureAt != nil {
			first = micros(*r.FirstFailureAt)
		}
		h, err := one(ctx, o, qWebhookFailures, []any{r.Reset, r.Failures, first, idArg(r.TenantID), idArg(r.ID)}, "webhook",
			func(row scanner) (*driver.WebhookHealth, error) {
				h := &driver.WebhookHealth{}
				err := row.Scan(&h.State, &h.Failures, nullTimeScan{&h.FirstFailureAt})
				return h, err
			})
		if err != nil {
			return nil, err
		}
		for _, i := range r.Attempts {
			out[i] = h
		}
	}
	return out, nil
}

func (o *ops) WebhookDeliveryPrune(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := o.run.exec(ctx, qDeliveryPrune, micros(before), limit)
	n, err := o.db.rowsAffected(res, err)
	return int(n), err
}
