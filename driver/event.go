package driver

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// EventReader reads the outbox.
type EventReader interface {
	// EventList returns up to p.Limit of the tenant's numbered events
	// whose Seq is above p.After, of p.Type if set, in Seq order.
	EventList(ctx context.Context, p *EventListParams) ([]*convstore.Event, error)
	// EventUnnumbered returns the tenants (of any tenant, a system job;
	// only tenantID's if it is set) that have events not numbered yet, at
	// most limit.
	EventUnnumbered(ctx context.Context, tenantID convstore.ID, limit int) ([]convstore.ID, error)
	// EventBacklog counts the events of every tenant (a system job) not
	// delivered yet, numbered or not, and returns when the oldest of them
	// occurred (zero if none).
	EventBacklog(ctx context.Context) (int64, time.Time, error)
}

// EventTx writes the outbox.
type EventTx interface {
	// EventInsert stores events as given (ids, times), unnumbered (Seq is
	// ignored), each after every event inserted before it: a driver with
	// concurrent writers draws that place as the row is inserted, so two
	// transactions that lock one conversation in turn insert its events in
	// that order.
	EventInsert(ctx context.Context, events []*convstore.Event) error
	// EventNumber numbers up to limit of the tenant's committed,
	// unnumbered events in the order they were inserted, continuing the
	// tenant's sequence, and returns how many it numbered. It holds the
	// tenant's sequence until the transaction ends, so numbers are handed
	// out, and committed, in order and without gaps. ENOTFOUND "tenant"
	// if the tenant is missing.
	EventNumber(ctx context.Context, tenantID convstore.ID, limit int) (int, error)
	// EventPrune deletes up to limit events of any tenant (a system job)
	// that occurred before before, delivered or not, returning how many,
	// and how many of them were not delivered.
	EventPrune(ctx context.Context, before time.Time, limit int) (pruned, undelivered int, err error)

	// EventClaim leases to p.Owner until p.Until the first undelivered
	// numbered events of up to p.Tenants tenants (a system job), at most
	// p.Limit of each, in Seq order from the tenant's first undelivered
	// event, and returns them ordered by tenant id and Seq. Only tenants
	// whose id is above p.After are looked at, in id order (a relay goes
	// round its tenants, then starts again with a zero After). A tenant
	// is skipped whole while its first
	// undelivered event is under another owner's lease that ends after
	// p.Now, or while another transaction claims or numbers its events (a
	// driver with several nodes locks the tenant's sequence row, FOR
	// UPDATE SKIP LOCKED): so one tenant's events are with one relay at a
	// time, and a relay publishes them in order. A lease that ended
	// (its node died) is taken over. Each claim counts an attempt.
	EventClaim(ctx context.Context, p *EventClaimParams) ([]*convstore.Event, error)
	// EventDeliver marks the events delivered at at and ends their
	// leases, whoever holds them (their publication was acknowledged);
	// one delivered already keeps its time. Missing ids are no error.
	EventDeliver(ctx context.Context, ids []convstore.ID, at time.Time) error
	// EventRelease ends owner's leases on the undelivered events among
	// ids, so that any relay may claim them at once; a lease another
	// owner took over is left alone.
	EventRelease(ctx context.Context, owner convstore.ID, ids []convstore.ID) error
}

// EventClaimParams claim undelivered events for one relay.
type EventClaimParams struct {
	Now     time.Time    // a lease that ends at or before Now is free
	Owner   convstore.ID // the claiming relay, drawn once per relay
	Until   time.Time    // the new leases' end
	After   convstore.ID // only tenants above this id (zero: from the first)
	Tenants int          // tenants at most
	Limit   int          // events of one tenant at most
}

// EventListParams select a page of a tenant's events.
type EventListParams struct {
	TenantID convstore.ID
	After    int64
	Type     string
	Limit    int
}
