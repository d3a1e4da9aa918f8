package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const eventColumns = `id, tenant_id, seq, type, conversation_id, occurred_at, data::text, delivered_at`

func scanEvent(row pgx.Row) (*convstore.Event, error) {
	e := &convstore.Event{}
	var data string
	var seq *int64
	err := row.Scan(scanID(&e.ID), scanID(&e.TenantID), &seq, &e.Type, scanID(&e.ConversationID), &e.OccurredAt,
		&data, &e.DeliveredAt)
	if err != nil {
		return nil, err
	}
	if seq != nil {
		e.Seq = *seq
	}
	e.OccurredAt, e.Data = e.OccurredAt.UTC(), []byte(data)
	if e.DeliveredAt != nil {
		t := e.DeliveredAt.UTC()
		e.DeliveredAt = &t
	}
	return e, nil
}

// EventInsert lets the identity column draw pos as the row is inserted:
// after the change locked its conversation, so a later change of the
// conversation (which waits for that lock) draws a larger one. Across
// conversations pos need not follow commit order; EventNumber numbers
// only what has committed.
func (o *ops) EventInsert(ctx context.Context, events []*convstore.Event) error {
	for _, e := range events {
		_, err := o.exec(ctx, `INSERT INTO events (id, tenant_id, type, conversation_id, occurred_at, data)
			VALUES ($1, $2, $3, $4, $5, $6::json)`,
			idArg(e.ID), idArg(e.TenantID), e.Type, idArg(e.ConversationID), e.OccurredAt, string(e.Data))
		if err != nil {
			return err
		}
	}
	return nil
}

// EventNumber takes the counter row's lock with the upsert and keeps it
// until commit: a second numbering of the tenant waits for it, then reads
// the numbers the first committed, so sequence numbers become visible in
// order. The numbering statement sees the events committed when it
// starts; one whose change commits later gets a later number. The tenant
// is checked by the statement rather than by a foreign key violation,
// which would abort the transaction.
func (o *ops) EventNumber(ctx context.Context, tenantID convstore.ID, limit int) (int, error) {
	last, err := one(ctx, o, "tenant", func(row pgx.Row) (int64, error) {
		var seq int64
		err := row.Scan(&seq)
		return seq, err
	}, `INSERT INTO event_seqs (tenant_id, seq) SELECT $1, 0 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $1)
		ON CONFLICT (tenant_id) DO UPDATE SET seq = event_seqs.seq RETURNING seq`, idArg(tenantID))
	if err != nil {
		return 0, err
	}
	n, err := o.exec(ctx, `UPDATE events SET seq = $1 + n.rn FROM (SELECT id, row_number() OVER (ORDER BY pos) AS rn
		FROM events WHERE tenant_id = $2 AND seq IS NULL ORDER BY pos LIMIT $3) AS n WHERE events.id = n.id`,
		last, idArg(tenantID), limit)
	if err != nil || n == 0 {
		return 0, err
	}
	_, err = o.exec(ctx, `UPDATE event_seqs SET seq = seq + $1 WHERE tenant_id = $2`, n, idArg(tenantID))
	return int(n), err
}

func (o *ops) EventList(ctx context.Context, p *driver.EventListParams) ([]*convstore.Event, error) {
	q := newQuery(`SELECT `+eventColumns+` FROM events WHERE tenant_id = $1`, idArg(p.TenantID))
	if p.Type != "" {
		q.and("type = ?", p.Type)
	}
	q.and("seq > ?", p.After)
	q.sql.WriteString(" ORDER BY seq LIMIT " + q.arg(p.Limit))
	return list(ctx, o, q, scanEvent)
}

func (o *ops) EventUnnumbered(ctx context.Context, tenantID convstore.ID, limit int) ([]convstore.ID, error) {
	q := newQuery(`SELECT DISTINCT tenant_id FROM events WHERE seq IS NULL LIMIT $1`, limit)
	if !tenantID.IsZero() {
		q = newQuery(`SELECT tenant_id FROM events WHERE tenant_id = $1 AND seq IS NULL LIMIT 1`, idArg(tenantID))
	}
	return list(ctx, o, q, func(row pgx.Row) (convstore.ID, error) {
		var id convstore.ID
		err := row.Scan(scanID(&id))
		return id, err
	})
}

// EventPrune skips rows another transaction holds (a relay's claim, a
// second sweeper): they are pruned next time.
func (o *ops) EventPrune(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := o.exec(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE occurred_at < $1
		LIMIT $2 FOR UPDATE SKIP LOCKED)`, before, limit)
	return int(n), err
}
