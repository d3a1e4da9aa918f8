package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const webhookColumns = `id, tenant_id, url, events, description, state, disabled_reason, disabled_at, secret, previous_secret,
	previous_expires_at, cursor_seq, failures, first_failure_at, created_at, updated_at`

func eventsArg(events []string) *string {
	if len(events) == 0 {
		return nil
	}
	b, _ := json.Marshal(events)
	s := string(b)
	return &s
}

// utcPtr converts a scanned optional time to UTC.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func scanWebhook(row pgx.Row) (*driver.WebhookRow, error) {
	w := &driver.WebhookRow{}
	var events *string
	err := row.Scan(scanID(&w.ID), scanID(&w.TenantID), &w.URL, &events, &w.Description, &w.State, &w.DisabledReason,
		&w.DisabledAt, scanBytes(&w.Secret), scanBytes(&w.PreviousSecret), &w.PreviousSecretExpiresAt, &w.CursorSeq,
		&w.Failures, &w.FirstFailureAt, &w.CreatedAt, &w.UpdatedAt)
	if err != nil {
		return nil, err
	}
	if events != nil {
		if err := json.Unmarshal([]byte(*events), &w.Events); err != nil {
			return nil, err
		}
	}
	w.DisabledAt, w.PreviousSecretExpiresAt, w.FirstFailureAt = utcPtr(w.DisabledAt), utcPtr(w.PreviousSecretExpiresAt), utcPtr(w.FirstFailureAt)
	w.CreatedAt, w.UpdatedAt = w.CreatedAt.UTC(), w.UpdatedAt.UTC()
	return w, nil
}

// WebhookInsert checks the tenant in the statement rather than by a
// foreign key violation, which would abort the transaction; the cursor
// starts at the tenant's last numbered event.
func (o *ops) WebhookInsert(ctx context.Context, w *driver.WebhookRow) error {
	return o.execOne(ctx, "tenant", `INSERT INTO webhooks (`+webhookColumns+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, COALESCE((SELECT seq FROM event_seqs WHERE tenant_id = $2), 0),
			$12, $13, $14, $15
		WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $2)`,
		idArg(w.ID), idArg(w.TenantID), w.URL, eventsArg(w.Events), w.Description, w.State, w.DisabledReason, w.DisabledAt,
		w.Secret, bytesArg(w.PreviousSecret), w.PreviousSecretExpiresAt, w.Failures, w.FirstFailureAt, w.CreatedAt, w.UpdatedAt)
}

func (o *ops) WebhookGet(ctx context.Context, tenantID, id convstore.ID) (*driver.WebhookRow, error) {
	return one(ctx, o, "webhook", scanWebhook, `SELECT `+webhookColumns+` FROM webhooks WHERE tenant_id = $1 AND id = $2`,
		idArg(tenantID), idArg(id))
}

func (o *ops) WebhookList(ctx context.Context, tenantID convstore.ID, page driver.Page) ([]*driver.WebhookRow, error) {
	q := newQuery(`SELECT `+webhookColumns+` FROM webhooks WHERE tenant_id = $1`, idArg(tenantID))
	return list(ctx, o, q.page(page), scanWebhook)
}

func (o *ops) WebhookBehind(ctx context.Context, limit int) ([]driver.WebhookRef, error) {
	q := newQuery(`SELECT w.tenant_id, w.id FROM webhooks w JOIN event_seqs s ON s.tenant_id = w.tenant_id
		WHERE w.state = 'enabled' AND w.cursor_seq < s.seq ORDER BY w.id LIMIT $1`, limit)
	return list(ctx, o, q, func(row pgx.Row) (driver.WebhookRef, error) {
		var r driver.WebhookRef
		err := row.Scan(scanID(&r.TenantID), scanID(&r.ID))
		return r, err
	})
}

func (o *ops) WebhookUpdate(ctx context.Context, p *driver.WebhookUpdateParams) (*driver.WebhookRow, error) {
	q := newQuery(`UPDATE webhooks SET updated_at = $1`, p.UpdatedAt)
	if p.URL != nil {
		q.sql.WriteString(", url = " + q.arg(*p.URL))
	}
	if p.Events != nil {
		q.sql.WriteString(", events = " + q.arg(eventsArg(*p.Events)))
	}
	if p.Description != nil {
		q.sql.WriteString(", description = " + q.arg(*p.Description))
	}
	switch {
	case p.Enable:
		q.sql.WriteString(", state = 'enabled', disabled_reason = '', disabled_at = NULL, failures = 0, first_failure_at = NULL")
	case p.Disable:
		q.sql.WriteString(", state = 'disabled', disabled_reason = " + q.arg(p.DisabledReason) + ", disabled_at = $1")
	}
	q.sql.WriteString(" WHERE tenant_id = " + q.arg(idArg(p.TenantID)) + " AND id = " + q.arg(idArg(p.ID)) + " RETURNING " + webhookColumns)
	return one(ctx, o, "webhook", scanWebhook, q.sql.String(), q.args...)
}

func (o *ops) WebhookDelete(ctx context.Context, tenantID, id convstore.ID) error {
	return o.execOne(ctx, "webhook", `DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2`, idArg(tenantID), idArg(id))
}

func (o *ops) WebhookRotateSecret(ctx context.Context, tenantID, id convstore.ID, secret []byte, previousUntil, at time.Time) (*driver.WebhookRow, error) {
	return one(ctx, o, "webhook", scanWebhook, `UPDATE webhooks SET previous_secret = secret, previous_expires_at = $1, secret = $2,
		updated_at = $3 WHERE tenant_id = $4 AND id = $5 RETURNING `+webhookColumns,
		previousUntil, secret, at, idArg(tenantID), idArg(id))
}

func (o *ops) WebhookDisable(ctx context.Context, tenantID, id convstore.ID, reason string, at time.Time) (bool, error) {
	// One statement: the row exists or not, and the UPDATE changed it or
	// not. A concurrent disable holds the row until it commits; the
	// UPDATE then reads the committed row again (READ COMMITTED), finds
	// it disabled and changes nothing.
	return one(ctx, o, "webhook", func(row pgx.Row) (bool, error) {
		var changed bool
		return changed, row.Scan(&changed)
	}, `WITH d AS (UPDATE webhooks SET state = 'disabled', disabled_reason = $1, disabled_at = $2, updated_at = $2
		WHERE tenant_id = $3 AND id = $4 AND state <> 'disabled' RETURNING id)
		SELECT EXISTS (SELECT 1 FROM d) FROM webhooks WHERE tenant_id = $3 AND id = $4`, reason, at, idArg(tenantID), idArg(id))
}

// WebhookFanOut locks the webhook's row first (FOR UPDATE), so two
// nodes fanning out to one webhook take turns and the second reads the
// cursor the first moved: no event is made into two deliveries.
func (o *ops) WebhookFanOut(ctx context.Context, p *driver.WebhookFanOutParams) (made, read int, err error) {
	w, err := one(ctx, o, "webhook", scanWebhook, `SELECT `+webhookColumns+` FROM webhooks WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
		idArg(p.TenantID), idArg(p.WebhookID))
	if err != nil || w.State != convstore.WebhookEnabled || len(p.IDs) == 0 {
		return 0, 0, err
	}
	events, err := o.EventList(ctx, &driver.EventListParams{TenantID: p.TenantID, After: w.CursorSeq, Limit: len(p.IDs)})
	if err != nil || len(events) == 0 {
		return 0, 0, err
	}
	var rows []*convstore.WebhookDelivery
	for _, e := range events {
		if !w.Wants(e.Type) {
			continue
		}
		rows = append(rows, &convstore.WebhookDelivery{ID: p.IDs[len(rows)], TenantID: p.TenantID, WebhookID: p.WebhookID, EventID: e.ID,
			EventType: e.Type, Seq: e.Seq, ConversationID: e.ConversationID, OccurredAt: e.OccurredAt, Data: e.Data,
			State: convstore.DeliveryPending, NextAttemptAt: p.At, CreatedAt: p.At})
	}
	if len(rows) > 0 {
		n := len(rows)
		ids, events, types, convs, data := make([][]byte, n), make([][]byte, n), make([]string, n), make([][]byte, n), make([]string, n)
		seqs, occurred := make([]int64, n), make([]time.Time, n)
		for i, d := range rows {
			ids[i], events[i], types[i], convs[i], data[i] = idBytes(d.ID), idBytes(d.EventID), d.EventType, nil, string(d.Data)
			if !d.ConversationID.IsZero() {
				convs[i] = idBytes(d.ConversationID)
			}
			seqs[i], occurred[i] = d.Seq, d.OccurredAt
		}
		// One statement for the batch; the webhook's row is locked, so
		// it exists.
		_, err := o.exec(ctx, `INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, seq, conversation_id,
			occurred_at, data, state, next_attempt_at, created_at)
			SELECT u.id, $1, $2, u.event_id, u.event_type, u.seq, u.conversation_id, u.occurred_at, u.data::json, 'pending', $3, $3
			FROM unnest($4::bytea[], $5::bytea[], $6::text[], $7::bigint[], $8::bytea[], $9::timestamptz[], $10::text[])
				AS u(id, event_id, event_type, seq, conversation_id, occurred_at, data)`,
			idArg(p.TenantID), idArg(p.WebhookID), p.At, ids, events, types, seqs, convs, occurred, data)
		if err != nil {
			return 0, 0, err
		}
	}
	_, err = o.exec(ctx, `UPDATE webhooks SET cursor_seq = $1 WHERE tenant_id = $2 AND id = $3`,
		events[len(events)-1].Seq, idArg(p.TenantID), idArg(p.WebhookID))
	if err != nil {
		return 0, 0, err
	}
	return len(rows), len(events), nil
}
