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
	// that occurred before before, delivered or not, returning how many.
	EventPrune(ctx context.Context, before time.Time, limit int) (int, error)
}

// EventListParams select a page of a tenant's events.
type EventListParams struct {
	TenantID convstore.ID
	After    int64
	Type     string
	Limit    int
}
