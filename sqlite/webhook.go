package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const webhookColumns = `id, tenant_id, url, events, description, state, disabled_reason, disabled_at, secret, previous_secret,
	previous_expires_at, cursor_seq, failures, first_failure_at, created_at, updated_at`

var (
	// The cursor starts at the tenant's last numbered event (none: 0).
	qWebhookInsert = stmt(`INSERT INTO webhooks (` + webhookColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
		COALESCE((SELECT seq FROM event_seqs WHERE tenant_id = ?2), 0), ?, ?, ?, ?)`)
	qWebhookGet    = stmt(`SELECT ` + webhookColumns + ` FROM webhooks WHERE tenant_id = ? AND id = ?`)
	qWebhookList   = pagedStmt(`SELECT ` + webhookColumns + ` FROM webhooks WHERE tenant_id = ?`)
	qWebhookDelete = stmt(`DELETE FROM webhooks WHERE tenant_id = ? AND id = ?`)
	qWebhookRotate = stmt(`UPDATE webhooks SET previous_secret = secret, previous_expires_at = ?, secret = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ?`)
	qWebhookDisable = stmt(`UPDATE webhooks SET state = 'disabled', disabled_reason = ?, disabled_at = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ? AND state <> 'disabled'`)
	qWebhookExists = stmt(`SELECT 1 FROM webhooks WHERE tenant_id = ? AND id = ?`)
	qWebhookBehind = stmt(`SELECT w.tenant_id, w.id FROM webhooks w JOIN event_seqs s ON s.tenant_id = w.tenant_id
		WHERE w.state = 'enabled' AND w.cursor_seq < s.seq ORDER BY w.id LIMIT ?`)
	qWebhookCursor = stmt(`UPDATE webhooks SET cursor_seq = ? WHERE tenant_id = ? AND id = ?`)
	// qWebhookFailures applies a driver.WebhookFailureRun: ?1 reset, ?2
	// failures, ?3 the first failure's time.
	qWebhookFailures = stmt(`UPDATE webhooks SET failures = CASE WHEN ?1 THEN ?2 ELSE failures + ?2 END,
		first_failure_at = CASE WHEN ?1 THEN ?3 ELSE COALESCE(first_failure_at, ?3) END
		WHERE tenant_id = ?4 AND id = ?5 RETURNING state, failures, first_failure_at`)
)

func eventsArg(events []string) any {
	if len(events) == 0 {
		return nil
	}
	b, _ := json.Marshal(events)
	return string(b)
}

func scanWebhook(row scanner) (*driver.WebhookRow, error) {
	w := &driver.WebhookRow{}
	var events sql.NullString
	err := row.Scan(idScan{&w.ID}, idScan{&w.TenantID}, &w.URL, &events, &w.Description, &w.State, &w.DisabledReason,
		nullTimeScan{&w.DisabledAt}, &w.Secret, &w.PreviousSecret, nullTimeScan{&w.PreviousSecretExpiresAt}, &w.CursorSeq,
		&w.Failures, nullTimeScan{&w.FirstFailureAt}, timeScan{&w.CreatedAt}, timeScan{&w.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if events.Valid {
		if err := json.Unmarshal([]byte(events.String), &w.Events); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (o *ops) WebhookInsert(ctx context.Context, w *driver.WebhookRow) error {
	_, err := o.run.exec(ctx, qWebhookInsert, idArg(w.ID), idArg(w.TenantID), w.URL, eventsArg(w.Events), w.Description, w.State,
		w.DisabledReason, nullMicros(w.DisabledAt), bytesArg(w.Secret), bytesArg(w.PreviousSecret), nullMicros(w.PreviousSecretExpiresAt),
		w.Failures, nullMicros(w.FirstFailureAt), micros(w.CreatedAt), micros(w.UpdatedAt))
	if isForeignKey(err) {
		return convstore.NotFound("tenant")
	}
	return o.db.translate(err)
}

func (o *ops) WebhookGet(ctx context.Context, tenantID, id convstore.ID) (*driver.WebhookRow, error) {
	return one(ctx, o, qWebhookGet, []any{idArg(tenantID), idArg(id)}, "webhook", scanWebhook)
}

func (o *ops) WebhookList(ctx context.Context, tenantID convstore.ID, page driver.Page) ([]*driver.WebhookRow, error) {
	q, args := qWebhookList.sql(page, []any{idArg(tenantID)})
	return list(ctx, o, q, args, scanWebhook)
}

func (o *ops) WebhookBehind(ctx context.Context, limit int) ([]driver.WebhookRef, error) {
	return list(ctx, o, qWebhookBehind, []any{limit}, func(row scanner) (driver.WebhookRef, error) {
		var r driver.WebhookRef
		err := row.Scan(idScan{&r.TenantID}, idScan{&r.ID})
		return r, err
	})
}

// WebhookUpdate builds its statement from the fields set (not prepared:
// updates are rare).
func (o *ops) WebhookUpdate(ctx context.Context, p *driver.WebhookUpdateParams) (*driver.WebhookRow, error) {
	set, args := "updated_at = ?", []any{micros(p.UpdatedAt)}
	if p.URL != nil {
		set, args = set+", url = ?", append(args, *p.URL)
	}
	if p.Events != nil {
		set, args = set+", events = ?", append(args, eventsArg(*p.Events))
	}
	if p.Description != nil {
		set, args = set+", description = ?", append(args, *p.Description)
	}
	switch {
	case p.Enable:
		set += ", state = 'enabled', disabled_reason = '', disabled_at = NULL, failures = 0, first_failure_at = NULL"
	case p.Disable:
		set, args = set+", state = 'disabled', disabled_reason = ?, disabled_at = ?", append(args, p.DisabledReason, micros(p.UpdatedAt))
	}
	res, err := o.run.exec(ctx, `UPDATE webhooks SET `+set+` WHERE tenant_id = ? AND id = ?`, append(args, idArg(p.TenantID), idArg(p.ID))...)
	if err := o.db.affectedOne(res, err, "webhook"); err != nil {
		return nil, err
	}
	return o.WebhookGet(ctx, p.TenantID, p.ID)
}

func (o *ops) WebhookDelete(ctx context.Context, tenantID, id convstore.ID) error {
	res, err := o.run.exec(ctx, qWebhookDelete, idArg(tenantID), idArg(id))
	return o.db.affectedOne(res, err, "webhook")
}

func (o *ops) WebhookRotateSecret(ctx context.Context, tenantID, id convstore.ID, secret []byte, previousUntil, at time.Time) (*driver.WebhookRow, error) {
	res, err := o.run.exec(ctx, qWebhookRotate, micros(previousUntil), bytesArg(secret), micros(at), idArg(tenantID), idArg(id))
	if err := o.db.affectedOne(res, err, "webhook"); err != nil {
		return nil, err
	}
	return o.WebhookGet(ctx, tenantID, id)
}

func (o *ops) WebhookDisable(ctx context.Context, tenantID, id convstore.ID, reason string, at time.Time) (bool, error) {
	res, err := o.run.exec(ctx, qWebhookDisable, reason, micros(at), micros(at), idArg(tenantID), idArg(id))
	n, err := o.db.rowsAffected(res, err)
	if err != nil || n > 0 {
		return err == nil, err
	}
	return false, o.exists(ctx, qWebhookExists, "webhook", idArg(tenantID), idArg(id))
}

// WebhookFanOut needs no lock of its own: the one writer runs it alone.
func (o *ops) WebhookFanOut(ctx context.Context, p *driver.WebhookFanOutParams) (made, read int, err error) {
	w, err := o.WebhookGet(ctx, p.TenantID, p.WebhookID)
	if err != nil || w.State != convstore.WebhookEnabled || len(p.IDs) == 0 {
		return 0, 0, err
	}
	events, err := o.EventList(ctx, &driver.EventListParams{TenantID: p.TenantID, After: w.CursorSeq, Limit: len(p.IDs)})
	if err != nil || len(events) == 0 {
		return 0, 0, err
	}
	for _, e := range events {
		if !w.Wants(e.Type) {
			continue
		}
		d := &convstore.WebhookDelivery{ID: p.IDs[made], TenantID: p.TenantID, WebhookID: p.WebhookID, EventID: e.ID, EventType: e.Type,
			Seq: e.Seq, ConversationID: e.ConversationID, OccurredAt: e.OccurredAt, Data: e.Data, State: convstore.DeliveryPending,
			NextAttemptAt: p.At, CreatedAt: p.At}
		if err := o.WebhookDeliveryInsert(ctx, d); err != nil {
			return 0, 0, err
		}
		made++
	}
	_, err = o.run.exec(ctx, qWebhookCursor, events[len(events)-1].Seq, idArg(p.TenantID), idArg(p.WebhookID))
	return made, len(events), o.db.translate(err)
}
