package drivertest

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var eventTests = []test{
	{"Outbox", testEventOutbox},
	{"SequenceMissingTenant", testEventSeqMissingTenant},
	{"Claim", testEventClaim},
}

// testEventOutbox checks the outbox: events are numbered after they are
// inserted, in insertion order, each tenant's sequence on its own; they
// read back as stored in sequence order, by type, after a cursor and
// never as another tenant's; pruning goes by age.
func testEventOutbox(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	old := now().Add(-time.Hour)
	conv := convstore.NewID()
	ev := func(tenantID convstore.ID, typ string, at time.Time) *convstore.Event {
		return &convstore.Event{ID: convstore.NewID(), TenantID: tenantID, Type: typ, ConversationID: conv,
			OccurredAt: at, Data: json.RawMessage(`{"conversation_id":"x","n":1}`)}
	}
	// Inserted out of id order: the numbering follows insertion.
	stored := []*convstore.Event{ev(a.ID, "conversation.deleted", old), ev(a.ID, "conversation.purged", now()),
		ev(a.ID, "conversation.deleted", now()), ev(b.ID, "conversation.deleted", old)}
	stored[0].ID, stored[1].ID = stored[1].ID, stored[0].ID
	stored[3].ConversationID = convstore.ID{}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.EventInsert(ctx, stored[:2]) })
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.EventInsert(ctx, stored[2:]) })
	unnumbered := func(tenantID convstore.ID) []convstore.ID {
		t.Helper()
		ids, err := f.drv.Reads().EventUnnumbered(f.ctx, tenantID, 10)
		must(t, err)
		return ids
	}
	if got := unnumbered(convstore.ID{}); len(got) != 2 {
		t.Errorf("tenants with unnumbered events: %v, want both", got)
	}
	list := func(p driver.EventListParams) []*convstore.Event {
		t.Helper()
		got, err := f.drv.Reads().EventList(f.ctx, &p)
		must(t, err)
		return got
	}
	if got := list(driver.EventListParams{TenantID: a.ID, Limit: 10}); len(got) != 0 {
		t.Errorf("unnumbered events listed: %v", got)
	}
	number := func(tenantID convstore.ID, limit int) int {
		t.Helper()
		var n int
		f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
			n, err = tx.EventNumber(ctx, tenantID, limit)
			return err
		})
		return n
	}
	if n := number(a.ID, 2); n != 2 {
		t.Errorf("EventNumber(limit 2) = %d, want 2", n)
	}
	if n := number(a.ID, 10); n != 1 {
		t.Errorf("EventNumber of the rest = %d, want 1", n)
	}
	if n := number(a.ID, 10); n != 0 {
		t.Errorf("EventNumber with none left = %d, want 0", n)
	}
	if got := unnumbered(a.ID); len(got) != 0 {
		t.Errorf("tenant A still has unnumbered events: %v", got)
	}
	if n := number(b.ID, 10); n != 1 {
		t.Errorf("tenant B's EventNumber = %d, want 1", n)
	}
	got := list(driver.EventListParams{TenantID: a.ID, Limit: 10})
	if len(got) != 3 {
		t.Fatalf("tenant A's events: %d, want 3", len(got))
	}
	for i, e := range got {
		w := stored[i]
		if e.ID != w.ID || e.TenantID != a.ID || e.Seq != int64(i+1) || e.Type != w.Type || e.ConversationID != conv ||
			!e.OccurredAt.Equal(w.OccurredAt) || string(e.Data) != string(w.Data) || e.DeliveredAt != nil {
			t.Errorf("event %d read back as %+v, stored %+v (seq %d)", i, e, w, i+1)
		}
	}
	if got := list(driver.EventListParams{TenantID: a.ID, After: 1, Limit: 1}); len(got) != 1 || got[0].Seq != 2 {
		t.Errorf("after 1, limit 1: %v; want seq 2", got)
	}
	if got := list(driver.EventListParams{TenantID: a.ID, Type: "conversation.deleted", Limit: 10}); len(got) != 2 || got[1].Seq != 3 {
		t.Errorf("type filter: %v; want seqs 1 and 3", got)
	}
	if got := list(driver.EventListParams{TenantID: b.ID, Limit: 10}); len(got) != 1 || got[0].Seq != 1 || !got[0].ConversationID.IsZero() {
		t.Errorf("tenant B's events: %v; want its one, numbered 1 in its own sequence, of no conversation", got)
	}
	var n int
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		n, _, err = tx.EventPrune(ctx, now().Add(-time.Minute), 10)
		return err
	})
	if n != 2 {
		t.Errorf("EventPrune = %d, want the 2 old events (both tenants)", n)
	}
	if got := list(driver.EventListParams{TenantID: a.ID, Limit: 10}); len(got) != 2 || got[0].Seq != 2 {
		t.Errorf("after the prune: %v; want seqs 2 and 3", got)
	}
	// The sequence goes on after a prune.
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.EventInsert(ctx, []*convstore.Event{ev(a.ID, "hold.placed", now())})
	})
	number(a.ID, 10)
	if got := list(driver.EventListParams{TenantID: a.ID, After: 3, Limit: 10}); len(got) != 1 || got[0].Seq != 4 {
		t.Errorf("after a prune: %v; want seq 4", got)
	}
}

// testEventSeqMissingTenant checks that a missing tenant has no sequence.
func testEventSeqMissingTenant(t *testing.T, f *fixture) {
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.EventNumber(ctx, convstore.NewID(), 1)
		return err
	})
	if convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("EventSeqReserve of a missing tenant: %v, want ENOTFOUND", err)
	}
}

// testEventClaim checks the relay's claim: the first undelivered numbered
// events of each tenant, in order, leased to one owner; a tenant whose
// first undelivered event another live lease holds is skipped whole; an
// ended lease is taken over; delivered events are never claimed again;
// released ones are claimable at once; the backlog counts the
// undelivered; pruning tells the undelivered apart.
func testEventClaim(t *testing.T, f *fixture) {
	a, b, c := f.tenant(t).ID, f.tenant(t).ID, f.tenant(t).ID
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	at := now()
	ev := func(tenantID convstore.ID) *convstore.Event {
		return &convstore.Event{ID: convstore.NewID(), TenantID: tenantID, Type: "conversation.deleted",
			OccurredAt: at, Data: json.RawMessage(`{}`)}
	}
	stored := []*convstore.Event{ev(a), ev(a), ev(a), ev(b), ev(b)}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.EventInsert(ctx, stored) })
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.EventNumber(ctx, a, 10); err != nil {
			return err
		}
		_, err := tx.EventNumber(ctx, b, 10)
		return err
	})
	// c's event is not numbered: never claimed.
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.EventInsert(ctx, []*convstore.Event{ev(c)}) })

	one, two, three := convstore.NewID(), convstore.NewID(), convstore.NewID()
	claim := func(owner convstore.ID, when time.Time, after convstore.ID, limit int) []*convstore.Event {
		t.Helper()
		var got []*convstore.Event
		f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
			got, err = tx.EventClaim(ctx, &driver.EventClaimParams{Now: when, Owner: owner, Until: when.Add(time.Minute),
				After: after, Tenants: 10, Limit: limit})
			return err
		})
		return got
	}
	want := func(what string, got []*convstore.Event, w ...*convstore.Event) {
		t.Helper()
		ok := len(got) == len(w)
		for i := 0; ok && i < len(w); i++ {
			ok = got[i].ID == w[i].ID && got[i].TenantID == w[i].TenantID && got[i].Type == w[i].Type && got[i].Seq > 0
		}
		if !ok {
			t.Fatalf("%s: claimed %d events %v, want %d", what, len(got), got, len(w))
		}
	}
	want("first claim (2 per tenant)", claim(one, at, convstore.ID{}, 2), stored[0], stored[1], stored[3], stored[4])
	want("claim while the first events are leased", claim(two, at, convstore.ID{}, 10))
	want("the owner claims its own again", claim(one, at, convstore.ID{}, 1), stored[0], stored[3])

	ids := func(evs ...*convstore.Event) []convstore.ID {
		out := make([]convstore.ID, len(evs))
		for i, e := range evs {
			out[i] = e.ID
		}
		return out
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.EventDeliver(ctx, ids(stored[0], stored[1]), at)
	})
	want("after a's first two are delivered", claim(two, at, convstore.ID{}, 10), stored[2])
	// Another owner's release leaves b's lease alone; its owner's frees it.
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.EventRelease(ctx, two, ids(stored[3], stored[4]))
	})
	want("after a foreign release", claim(three, at, a, 10))
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.EventRelease(ctx, one, ids(stored[3], stored[4]))
	})
	want("after the owner's release, above a", claim(three, at, a, 10), stored[3], stored[4])

	n, oldest, err := f.drv.Reads().EventBacklog(f.ctx)
	must(t, err)
	if n != 4 || !oldest.Equal(at) {
		t.Errorf("EventBacklog = %d, %v; want 4 (a's third, b's two, c's unnumbered one), %v", n, oldest, at)
	}
	// Leases that ended are taken over by anyone.
	later := at.Add(2 * time.Minute)
	want("after the leases ended", claim(one, later, convstore.ID{}, 10), stored[2], stored[3], stored[4])

	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.EventDeliver(ctx, ids(stored[2:]...), later) })
	want("with everything delivered", claim(one, later.Add(time.Hour), convstore.ID{}, 10))
	got, err := f.drv.Reads().EventList(f.ctx, &driver.EventListParams{TenantID: a, Limit: 10})
	must(t, err)
	if len(got) != 3 || got[0].DeliveredAt == nil || !got[0].DeliveredAt.Equal(at) || got[2].DeliveredAt == nil || !got[2].DeliveredAt.Equal(later) {
		t.Errorf("a's events after delivery: %v; want delivered at %v, %v, %v", got, at, at, later)
	}
	var pruned, undelivered int
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		pruned, undelivered, err = tx.EventPrune(ctx, at.Add(time.Second), 100)
		return err
	})
	if pruned != 6 || undelivered != 1 {
		t.Errorf("EventPrune = %d, %d undelivered; want the 6 events, c's undelivered", pruned, undelivered)
	}
}
