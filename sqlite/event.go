package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
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
	qEventPrune            = stmt(`DELETE FROM events WHERE id IN (SELECT id FROM events WHERE occurred_at < ? LIMIT ?)
		RETURNING delivered_at IS NULL`)
	qEventBacklog = stmt(`SELECT count(*), min(occurred_at) FROM events WHERE delivered_at IS NULL`)
	// The tenants above ?1 with undelivered numbered events, at most ?2:
	// a skip scan of events_undelivered, one index search per tenant
	// however long its backlog (DISTINCT would read all of it).
	qEventTenantsUndelivered = stmt(`WITH RECURSIVE t (tenant_id) AS (
		SELECT (SELECT tenant_id FROM events WHERE delivered_at IS NULL AND seq IS NOT NULL AND tenant_id > ?1 ORDER BY tenant_id LIMIT 1)
		UNION ALL
		SELECT (SELECT e.tenant_id FROM events e WHERE e.delivered_at IS NULL AND e.seq IS NOT NULL AND e.tenant_id > t.tenant_id
			ORDER BY e.tenant_id LIMIT 1) FROM t WHERE t.tenant_id IS NOT NULL)
		SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL LIMIT ?2`)
	qEventFirstUndelivered = stmt(`SELECT lease_owner, lease_until FROM events WHERE tenant_id = ? AND delivered_at IS NULL
		AND seq IS NOT NULL ORDER BY seq LIMIT 1`)
	qEventClaim = stmt(`UPDATE events SET lease_owner = ?1, lease_until = ?2, attempts = attempts + 1
		WHERE id IN (SELECT id FROM events WHERE tenant_id = ?3 AND delivered_at IS NULL AND seq IS NOT NULL ORDER BY seq LIMIT ?4)
		RETURNING ` + eventColumns)
	qEventDeliver = stmt(`UPDATE events SET delivered_at = COALESCE(delivered_at, ?2), lease_owner = NULL, lease_until = NULL
		WHERE id IN (SELECT unhex(value) FROM json_each(?1))`)
	qEventRelease = stmt(`UPDATE events SET lease_owner = NULL, lease_until = NULL
		WHERE id IN (SELECT unhex(value) FROM json_each(?1)) AND lease_owner = ?2 AND delivered_at IS NULL`)
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

func (o *ops) EventPrune(ctx context.Context, before time.Time, limit int) (int, int, error) {
	flags, err := list(ctx, o, qEventPrune, []any{micros(before), limit}, func(row scanner) (bool, error) {
		var undelivered bool
		err := row.Scan(&undelivered)
		return undelivered, err
	})
	if err != nil {
		return 0, 0, err
	}
	undelivered := 0
	for _, u := range flags {
		if u {
			undelivered++
		}
	}
	return len(flags), undelivered, nil
}

func (o *ops) EventBacklog(ctx context.Context) (int64, time.Time, error) {
	var n int64
	var oldest *int64
	if err := o.run.queryRow(ctx, qEventBacklog).Scan(&n, &oldest); err != nil || oldest == nil {
		return n, time.Time{}, o.db.translate(err)
	}
	return n, time.UnixMicro(*oldest).UTC(), nil
}

// EventClaim needs no locks: with one writer, the claim is the only write
// running, and no other relay can see a tenant's first event free at the
// same time.
func (o *ops) EventClaim(ctx context.Context, p *driver.EventClaimParams) ([]*convstore.Event, error) {
	tenants, err := list(ctx, o, qEventTenantsUndelivered, []any{idArg(p.After), p.Tenants}, func(row scanner) (convstore.ID, error) {
		var id convstore.ID
		err := row.Scan(idScan{&id})
		return id, err
	})
	if err != nil {
		return nil, err
	}
	var out []*convstore.Event
	for _, t := range tenants {
		var owner convstore.ID
		var until *int64
		err := o.run.queryRow(ctx, qEventFirstUndelivered, idArg(t)).Scan(idScan{&owner}, &until)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, o.db.translate(err)
		}
		if !owner.IsZero() && owner != p.Owner && until != nil && *until > micros(p.Now) {
			continue
		}
		evs, err := list(ctx, o, qEventClaim, []any{idArg(p.Owner), micros(p.Until), idArg(t), p.Limit}, scanEvent)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(evs, func(a, b *convstore.Event) int { return cmp.Compare(a.Seq, b.Seq) })
		out = append(out, evs...)
	}
	return out, nil
}

func (o *ops) EventDeliver(ctx context.Context, ids []convstore.ID, at time.Time) error {
	js, err := hexIDs(ids)
	if err != nil {
		return err
	}
	_, err = o.run.exec(ctx, qEventDeliver, js, micros(at))
	return o.db.translate(err)
}

func (o *ops) EventRelease(ctx context.Context, owner convstore.ID, ids []convstore.ID) error {
	js, err := hexIDs(ids)
	if err != nil {
		return err
	}
	_, err = o.run.exec(ctx, qEventRelease, js, idArg(owner))
	return o.db.translate(err)
}
