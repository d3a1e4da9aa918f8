package servicetest

import (
	"testing"
	"time"

	"github.com/convstore/convstore"
)

var tombstoneTests = []subtest{
	{"RefusesDeletedExternalID", testTombstoneRefuses},
	{"Expires", testTombstoneExpires},
}

// After a delete, a create with the deleted conversation's external id is
// refused and writes nothing, in its tenant only; a conversation's id
// stays not found.
func testTombstoneRefuses(t *testing.T, f *fixture) {
	c, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{ExternalID: "crm-1", Messages: textMessages("m", 1)})
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, c.ID, f.params)
	before := MustRowCounts(t, f.ctx, f.Harness)
	_, _, err := f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{ExternalID: "crm-1", Messages: textMessages("late", 1)})
	wantCode(t, err, convstore.ECONFLICT, "a create with a deleted conversation's external id")
	if f.ServerDoor == "" && !convstore.IsTombstone(err) {
		t.Errorf("the refusal %v is not a TombstoneError", err)
	}
	after := MustRowCounts(t, f.ctx, f.Harness)
	for table, n := range before {
		if after[table] != n {
			t.Errorf("the refused create changed %s: %d rows, was %d", table, after[table], n)
		}
	}
	_, err = f.Store.FindConversationByExternalID(f.ctx, f.tenant.ID, "crm-1")
	wantCode(t, err, convstore.ENOTFOUND, "the deleted conversation by its external id")
	_, err = f.Store.CreateMessages(f.ctx, f.tenant.ID, c.ID, textMessages("late", 1))
	wantCode(t, err, convstore.ENOTFOUND, "an append to the deleted conversation")

	// Another tenant's external ids are its own.
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("tomb"))
	MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{ExternalID: "crm-1"})
	// A conversation without an external id leaves nothing to refuse.
	plain, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{})
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, plain.ID, f.params)
	MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{ExternalID: "crm-2"})

	if f.ServerDoor == "" {
		// A door whose external id names a participant starts afresh.
		fresh, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{ExternalID: "crm-1", ReuseDeletedExternalID: true})
		if fresh.ID == c.ID {
			t.Errorf("the fresh conversation reuses the deleted one's id")
		}
	}
}

// A tombstone refuses its external id for the retention (30 days by
// default), then the id names a new conversation; the sweeper removes it.
func testTombstoneExpires(t *testing.T, f *fixture) {
	clock := f.needClock(t)
	c, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{ExternalID: "crm-old"})
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, c.ID, f.params)
	clock.Advance(29 * 24 * time.Hour)
	_, _, err := f.Store.CreateConversation(f.ctx, f.tenant.ID, &convstore.ConversationCreate{ExternalID: "crm-old"})
	wantCode(t, err, convstore.ECONFLICT, "a create within the retention")
	if f.SweepTombstones != nil {
		if n, err := f.SweepTombstones(f.ctx); n != 0 || err != nil {
			t.Errorf("SweepTombstones within the retention = %d, %v", n, err)
		}
	}
	clock.Advance(24*time.Hour + time.Minute)
	if f.SweepTombstones != nil {
		if n, err := f.SweepTombstones(f.ctx); n != 1 || err != nil {
			t.Errorf("SweepTombstones after the retention = %d, %v; want 1", n, err)
		}
	}
	fresh, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{ExternalID: "crm-old"})
	if fresh.ID == c.ID || fresh.MessageCount != 0 {
		t.Errorf("the new conversation %+v is the deleted one", fresh)
	}
}
