package drivertest

import (
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
		n, err = tx.EventPrune(ctx, now().Add(-time.Minute), 10)
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
