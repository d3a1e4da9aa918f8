package sqlite

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const eventColumns = `id, tenant_id, seq, type, conversation_id, occurred_at, data, delivered_at`

var (
	// On one writer the counter row needs no lock to commit in order:
	// writes commit one after another anyway.
	qEventSeqReserve = stmt(`INSERT INTO event_seqs (tenant_id, seq) VALUES (?1, ?2)
		ON CONFLICT (tenant_id) DO UPDATE SET seq = seq + ?2 RETURNING seq`)
	qEventInsert = stmt(`INSERT INTO events (id, tenant_id, seq, type, conversation_id, occurred_at, data)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	qEventList     = stmt(`SELECT ` + eventColumns + ` FROM events WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
	qEventListType = stmt(`SELECT ` + eventColumns + ` FROM events WHERE tenant_id = ? AND type = ? AND seq > ?
		ORDER BY seq LIMIT ?`)
	qEventPrune = stmt(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE occurred_at < ? LIMIT ?)`)
)

func scanEvent(row scanner) (*convstore.Event, error) {
	e := &convstore.Event{}
	var data string
	err := row.Scan(idScan{&e.ID}, idScan{&e.TenantID}, &e.Seq, &e.Type, idScan{&e.ConversationID}, timeScan{&e.OccurredAt},
		&data, nullTimeScan{&e.DeliveredAt})
	if err != nil {
		return nil, err
	}
	e.Data = []byte(data)
	return e, nil
}

func (o *ops) EventSeqReserve(ctx context.Context, tenantID convstore.ID, n int) (int64, error) {
	var seq int64
	err := o.run.queryRow(ctx, qEventSeqReserve, idArg(tenantID), int64(n)).Scan(&seq)
	if isForeignKey(err) {
		return 0, convstore.NotFound("tenant")
	}
	return seq, o.db.translate(err)
}

func (o *ops) EventInsert(ctx context.Context, events []*convstore.Event) error {
	for _, e := range events {
		_, err := o.run.exec(ctx, qEventInsert, idArg(e.ID), idArg(e.TenantID), e.Seq, e.Type, nullID(e.ConversationID),
			micros(e.OccurredAt), string(e.Data))
		if err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}

func (o *ops) EventList(ctx context.Context, p *driver.EventListParams) ([]*convstore.Event, error) {
	if p.Type != "" {
		return list(ctx, o, qEventListType, []any{idArg(p.TenantID), p.Type, p.After, p.Limit}, scanEvent)
	}
	return list(ctx, o, qEventList, []any{idArg(p.TenantID), p.After, p.Limit}, scanEvent)
}

func (o *ops) EventPrune(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := o.run.exec(ctx, qEventPrune, micros(before), limit)
	if err != nil {
		return 0, o.db.translate(err)
	}
	n, err := res.RowsAffected()
	return int(n), o.db.translate(err)
}
