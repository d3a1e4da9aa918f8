package driver

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// EventReader reads the outbox.
type EventReader interface {
	// EventList returns up to p.Limit of the tenant's events whose Seq is
	// above p.After, of p.Type if set, in Seq order.
	EventList(ctx context.Context, p *EventListParams) ([]*convstore.Event, error)
}

// EventTx writes the outbox.
type EventTx interface {
	// EventSeqReserve raises the tenant's event sequence by n (1 or
	// more) and returns its new value: the caller numbers its n events up
	// to it. The tenant's sequence stays locked until the transaction
	// ends, so sequences commit in the order they were drawn (what lets a
	// reader page by Seq without skipping). The caller reserves last,
	// after every other lock it takes. ENOTFOUND "tenant" if the tenant
	// is missing.
	EventSeqReserve(ctx context.Context, tenantID convstore.ID, n int) (int64, error)
	// EventInsert stores events as given (ids, seqs, times).
	EventInsert(ctx context.Context, events []*convstore.Event) error
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
