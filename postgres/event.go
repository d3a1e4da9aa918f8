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
	err := row.Scan(scanID(&e.ID), scanID(&e.TenantID), &e.Seq, &e.Type, scanID(&e.ConversationID), &e.OccurredAt,
		&data, &e.DeliveredAt)
	if err != nil {
		return nil, err
	}
	e.OccurredAt, e.Data = e.OccurredAt.UTC(), []byte(data)
	if e.DeliveredAt != nil {
		t := e.DeliveredAt.UTC()
		e.DeliveredAt = &t
	}
	return e, nil
}

// EventSeqReserve takes the counter row's lock with the upsert and keeps
// it until commit: a second writer of the tenant's events waits for it,
// so sequence numbers become visible in order (a sequence object would
// hand them out without waiting, and a reader paging by seq could pass
// one whose transaction commits later). The tenant is checked by the
// statement rather than by a foreign key violation, which would abort
// the transaction.
func (o *ops) EventSeqReserve(ctx context.Context, tenantID convstore.ID, n int) (int64, error) {
	return one(ctx, o, "tenant", func(row pgx.Row) (int64, error) {
		var seq int64
		err := row.Scan(&seq)
		return seq, err
	}, `INSERT INTO event_seqs (tenant_id, seq) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $1)
		ON CONFLICT (tenant_id) DO UPDATE SET seq = event_seqs.seq + EXCLUDED.seq RETURNING seq`, idArg(tenantID), int64(n))
}

func (o *ops) EventInsert(ctx context.Context, events []*convstore.Event) error {
	for _, e := range events {
		_, err := o.exec(ctx, `INSERT INTO events (id, tenant_id, seq, type, conversation_id, occurred_at, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7::json)`,
			idArg(e.ID), idArg(e.TenantID), e.Seq, e.Type, idArg(e.ConversationID), e.OccurredAt, string(e.Data))
		if err != nil {
			return err
		}
	}
	return nil
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

// EventPrune skips rows another transaction holds (a relay's claim, a
// second sweeper): they are pruned next time.
func (o *ops) EventPrune(ctx context.Context, before time.Time, limit int) (int, error) {
	n, err := o.exec(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE occurred_at < $1
		LIMIT $2 FOR UPDATE SKIP LOCKED)`, before, limit)
	return int(n), err
}
