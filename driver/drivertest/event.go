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

// testEventOutbox checks the outbox: each tenant's sequence counts on its
// own, events read back as stored in sequence order, by type, after a
// cursor and never as another tenant's, and pruning by age.
func testEventOutbox(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	old := now().Add(-time.Hour)
	conv := convstore.NewID()
	ev := func(tenantID convstore.ID, seq int64, typ string, at time.Time) *convstore.Event {
		return &convstore.Event{ID: convstore.NewID(), TenantID: tenantID, Seq: seq, Type: typ, ConversationID: conv,
			OccurredAt: at, Data: json.RawMessage(`{"conversation_id":"x","n":1}`)}
	}
	var stored []*convstore.Event
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		last, err := tx.EventSeqReserve(ctx, a.ID, 2)
		if err != nil {
			return err
		}
		if last != 2 {
			t.Errorf("first reserve of 2 = %d, want 2", last)
		}
		if last, err = tx.EventSeqReserve(ctx, a.ID, 1); err != nil || last != 3 {
			t.Errorf("next reserve of 1 = %d, %v; want 3", last, err)
		}
		if last, err = tx.EventSeqReserve(ctx, b.ID, 1); err != nil || last != 1 {
			t.Errorf("tenant B's first reserve = %d, %v; want 1 (its own sequence)", last, err)
		}
		stored = []*convstore.Event{ev(a.ID, 1, "conversation.deleted", old), ev(a.ID, 2, "conversation.purged", now()),
			ev(a.ID, 3, "conversation.deleted", now()), ev(b.ID, 1, "conversation.deleted", old)}
		stored[3].ConversationID = convstore.ID{}
		return tx.EventInsert(ctx, stored)
	})
	list := func(p driver.EventListParams) []*convstore.Event {
		t.Helper()
		got, err := f.drv.Reads().EventList(f.ctx, &p)
		must(t, err)
		return got
	}
	got := list(driver.EventListParams{TenantID: a.ID, Limit: 10})
	if len(got) != 3 {
		t.Fatalf("tenant A's events: %d, want 3", len(got))
	}
	for i, e := range got {
		w := stored[i]
		if e.ID != w.ID || e.TenantID != a.ID || e.Seq != w.Seq || e.Type != w.Type || e.ConversationID != conv ||
			!e.OccurredAt.Equal(w.OccurredAt) || string(e.Data) != string(w.Data) || e.DeliveredAt != nil {
			t.Errorf("event %d read back as %+v, stored %+v", i, e, w)
		}
	}
	if got := list(driver.EventListParams{TenantID: a.ID, After: 1, Limit: 1}); len(got) != 1 || got[0].Seq != 2 {
		t.Errorf("after 1, limit 1: %v; want seq 2", got)
	}
	if got := list(driver.EventListParams{TenantID: a.ID, Type: "conversation.deleted", Limit: 10}); len(got) != 2 || got[1].Seq != 3 {
		t.Errorf("type filter: %v; want seqs 1 and 3", got)
	}
	if got := list(driver.EventListParams{TenantID: b.ID, Limit: 10}); len(got) != 1 || !got[0].ConversationID.IsZero() {
		t.Errorf("tenant B's events: %v; want its one, of no conversation", got)
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
}

// testEventSeqMissingTenant checks that a missing tenant has no sequence.
func testEventSeqMissingTenant(t *testing.T, f *fixture) {
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.EventSeqReserve(ctx, convstore.NewID(), 1)
		return err
	})
	if convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("EventSeqReserve of a missing tenant: %v, want ENOTFOUND", err)
	}
}
