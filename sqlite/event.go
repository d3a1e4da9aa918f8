package sqlite

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const eventColumns = `id, tenant_id, seq, type, conversation_id, occurred_at, data, delivered_at`

var (
	// pos is the next after the last: the one writer inserts one row at a
	// time, in commit order.
	qEventInsert = stmt(`INSERT INTO events (id, tenant_id, pos, type, conversation_id, occurred_at, data)
		VALUES (?, ?, (SELECT COALESCE(MAX(pos), 0) + 1 FROM events), ?, ?, ?, ?)`)
	qEventSeqGet = stmt(`INSERT INTO event_seqs (tenant_id, seq) VALUES (?, 0)
		ON CONFLICT (tenant_id) DO UPDATE SET seq = seq RETURNING seq`)
	qEventNumber = stmt(`UPDATE events SET seq = ?1 + n.rn FROM (SELECT id, row_number() OVER (ORDER BY pos) AS rn
		FROM events WHERE tenant_id = ?2 AND seq IS NULL ORDER BY pos LIMIT ?3) AS n WHERE events.id = n.id`)
	qEventSeqAdd   = stmt(`UPDATE event_seqs SET seq = seq + ? WHERE tenant_id = ?`)
	qEventList     = stmt(`SELECT ` + eventColumns + ` FROM events WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`)
	qEventListType = stmt(`SELECT ` + eventColumns + ` FROM events WHERE tenant_id = ? AND type = ? AND seq > ?
		ORDER BY seq LIMIT ?`)
	qEventUnnumbered       = stmt(`SELECT DISTINCT tenant_id FROM events WHERE seq IS NULL LIMIT ?`)
	qEventUnnumberedTenant = stmt(`SELECT tenant_id FROM events WHERE tenant_id = ? AND seq IS NULL LIMIT 1`)
	qEventPrune            = stmt(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE occurred_at < ? LIMIT ?)`)
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

func (o *ops) EventInsert(ctx context.Context, events []*convstore.Event) error {
	for _, e := range events {
		_, err := o.run.exec(ctx, qEventInsert, idArg(e.ID), idArg(e.TenantID), e.Type, nullID(e.ConversationID),
			micros(e.OccurredAt), string(e.Data))
		if err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}

func (o *ops) EventNumber(ctx context.Context, tenantID convstore.ID, limit int) (int, error) {
	var last int64
	err := o.run.queryRow(ctx, qEventSeqGet, idArg(tenantID)).Scan(&last)
	if isForeignKey(err) {
		return 0, convstore.NotFound("tenant")
	}
	if err != nil {
		return 0, o.db.translate(err)
	}
	res, err := o.run.exec(ctx, qEventNumber, last, idArg(tenantID), limit)
	if err != nil {
		return 0, o.db.translate(err)
	}
	n, err := res.RowsAffected()
	if err != nil || n == 0 {
		return 0, o.db.translate(err)
	}
	_, err = o.run.exec(ctx, qEventSeqAdd, n, idArg(tenantID))
	return int(n), o.db.translate(err)
}

func (o *ops) EventList(ctx context.Context, p *driver.EventListParams) ([]*convstore.Event, error) {
	if p.Type != "" {
		return list(ctx, o, qEventListType, []any{idArg(p.TenantID), p.Type, p.After, p.Limit}, scanEvent)
	}
	return list(ctx, o, qEventList, []any{idArg(p.TenantID), p.After, p.Limit}, scanEvent)
}

func (o *ops) EventUnnumbered(ctx context.Context, tenantID convstore.ID, limit int) ([]convstore.ID, error) {
	q, args := qEventUnnumbered, []any{limit}
	if !tenantID.IsZero() {
		q, args = qEventUnnumberedTenant, []any{idArg(tenantID)}
	}
	return list(ctx, o, q, args, func(row scanner) (convstore.ID, error) {
		var id convstore.ID
		err := row.Scan(idScan{&id})
		return id, err
	})
}

func (o *ops) EventPrune(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := o.run.exec(ctx, qEventPrune, micros(before), limit)
	if err != nil {
		return 0, o.db.translate(err)
	}
	n, err := res.RowsAffected()
	return int(n), o.db.translate(err)
}
