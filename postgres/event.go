package postgres

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"slices"
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
func (o *ops) EventPrune(ctx context.Context, before time.Time, limit int) (int, int, error) {
	var n, undelivered int
	err := o.q.QueryRow(ctx, `WITH d AS (DELETE FROM events WHERE id IN (SELECT id FROM events WHERE occurred_at < $1
		LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING delivered_at)
		SELECT count(*), count(*) FILTER (WHERE delivered_at IS NULL) FROM d`, before, limit).Scan(&n, &undelivered)
	if err != nil {
		return 0, 0, o.fail(ctx, err)
	}
	return n, undelivered, nil
}

// EventBacklog reads the undelivered through the partial index
// events_undelivered.
func (o *ops) EventBacklog(ctx context.Context) (int64, time.Time, error) {
	var n int64
	var oldest *time.Time
	err := o.q.QueryRow(ctx, `SELECT count(*), min(occurred_at) FROM events WHERE delivered_at IS NULL`).Scan(&n, &oldest)
	if err != nil || oldest == nil {
		return n, time.Time{}, o.fail(ctx, err)
	}
	return n, oldest.UTC(), nil
}

// eventTenantsUndelivered lists the tenants above $1 with undelivered
// numbered events, at most $2, by a skip scan of events_undelivered: one
// index search per tenant, however long a tenant's backlog is (DISTINCT
// would read every entry of it).
const eventTenantsUndelivered = `WITH RECURSIVE t (tenant_id) AS (
	(SELECT tenant_id FROM events WHERE delivered_at IS NULL AND seq IS NOT NULL AND tenant_id > $1 ORDER BY tenant_id LIMIT 1)
	UNION ALL
	SELECT (SELECT e.tenant_id FROM events e WHERE e.delivered_at IS NULL AND e.seq IS NOT NULL AND e.tenant_id > t.tenant_id
		ORDER BY e.tenant_id LIMIT 1) FROM t WHERE t.tenant_id IS NOT NULL)
	SELECT tenant_id FROM t WHERE tenant_id IS NOT NULL LIMIT $2`

// EventClaim locks the tenants' sequence rows with FOR UPDATE SKIP
// LOCKED before it looks at their leases: two relays claiming at once
// never both see a tenant's first event free (each would then lease a
// different stretch of it, and publish them side by side), and a tenant
// being numbered or claimed elsewhere is left for the next claim. The
// lock is the transaction's; the lease is what keeps the events this
// relay's while it publishes them.
func (o *ops) EventClaim(ctx context.Context, p *driver.EventClaimParams) ([]*convstore.Event, error) {
	scanTenant := func(row pgx.Row) (convstore.ID, error) {
		var id convstore.ID
		err := row.Scan(scanID(&id))
		return id, err
	}
	tenants, err := list(ctx, o, newQuery(eventTenantsUndelivered, idBytes(p.After), p.Tenants), scanTenant)
	if err != nil || len(tenants) == 0 {
		return nil, err
	}
	tenants, err = list(ctx, o, newQuery(`SELECT tenant_id FROM event_seqs WHERE tenant_id = ANY($1) ORDER BY tenant_id
		FOR UPDATE SKIP LOCKED`, idsArg(tenants)), scanTenant)
	if err != nil {
		return nil, err
	}
	var out []*convstore.Event
	for _, t := range tenants {
		var owner []byte
		var until *time.Time
		err := o.q.QueryRow(ctx, `SELECT lease_owner, lease_until FROM events WHERE tenant_id = $1 AND delivered_at IS NULL
			AND seq IS NOT NULL ORDER BY seq LIMIT 1`, idBytes(t)).Scan(&owner, &until)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // delivered since the list was read
		}
		if err != nil {
			return nil, o.fail(ctx, err)
		}
		if owner != nil && !bytes.Equal(owner, idBytes(p.Owner)) && until != nil && until.After(p.Now) {
			continue
		}
		evs, err := list(ctx, o, newQuery(`UPDATE events SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
			WHERE id IN (SELECT id FROM events WHERE tenant_id = $3 AND delivered_at IS NULL AND seq IS NOT NULL ORDER BY seq LIMIT $4)
			AND delivered_at IS NULL RETURNING `+eventColumns, idBytes(p.Owner), p.Until, idBytes(t), p.Limit), scanEvent)
		if err != nil {
			return nil, err
		}
		slices.SortFunc(evs, func(a, b *convstore.Event) int { return cmp.Compare(a.Seq, b.Seq) })
		out = append(out, evs...)
	}
	return out, nil
}

func (o *ops) EventDeliver(ctx context.Context, ids []convstore.ID, at time.Time) error {
	_, err := o.exec(ctx, `UPDATE events SET delivered_at = COALESCE(delivered_at, $2), lease_owner = NULL, lease_until = NULL
		WHERE id = ANY($1)`, idsArg(ids), at)
	return err
}

func (o *ops) EventRelease(ctx context.Context, owner convstore.ID, ids []convstore.ID) error {
	_, err := o.exec(ctx, `UPDATE events SET lease_owner = NULL, lease_until = NULL
		WHERE id = ANY($1) AND lease_owner = $2 AND delivered_at IS NULL`, idsArg(ids), idBytes(owner))
	return err
}
