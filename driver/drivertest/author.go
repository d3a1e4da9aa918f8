package drivertest

import (
	"context"
	"reflect"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var authorTests = []test{
	{"ListInsertDelete", testAuthors},
	{"NotPending", testAuthorsNotPending},
	{"Backfill", testAuthorBackfill},
}

// AuthorBackfill replaces every author row of the conversation, and no
// other's; a store made after the authors were kept has none pending to
// claim.
func testAuthorBackfill(t *testing.T, f *fixture) {
	a := f.tenant(t)
	c, d := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	row := func(name string) *driver.AuthorRow {
		return &driver.AuthorRow{MessageID: convstore.NewID(), Name: name}
	}
	partial, other, whole := []*driver.AuthorRow{row("Dee"), row("Ann again")}, row("Kay"), []*driver.AuthorRow{row("Ann"), row("Bob")}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		if err := tx.AuthorInsert(ctx, a.ID, c.ID, partial); err != nil {
			return err
		}
		return tx.AuthorInsert(ctx, a.ID, d.ID, []*driver.AuthorRow{other})
	})
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		claimed, err := tx.AuthorPendingClaim(ctx, 10)
		if len(claimed) != 0 {
			t.Errorf("AuthorPendingClaim = %v; nothing is pending", claimed)
		}
		if err != nil {
			return err
		}
		return tx.AuthorBackfill(ctx, a.ID, c.ID, whole)
	})
	got, err := f.drv.Reads().AuthorList(f.ctx, a.ID, []convstore.ID{c.ID, d.ID})
	must(t, err)
	want := map[convstore.ID][]*driver.AuthorRow{c.ID: whole, d.ID: {other}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after AuthorBackfill: %v, want %v", got, want)
	}
	pending, err := f.drv.Reads().AuthorPendingIn(f.ctx, a.ID, []convstore.ID{c.ID, d.ID})
	must(t, err)
	if len(pending) != 0 {
		t.Errorf("pending after AuthorBackfill: %v", pending)
	}
}

// AuthorInsert stores rows as given (sealed bytes unchanged), skips one of
// a message that has one, and AuthorList reads every conversation's in
// one call, ordered by message id, scoped to the tenant; AuthorDelete
// deletes by message and tells whether there was a row.
func testAuthors(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c, d, empty := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	foreign := f.conversation(t, b.ID, nil)
	row := func(name, user string) *driver.AuthorRow {
		return &driver.AuthorRow{MessageID: convstore.NewID(), Name: name, UserID: user}
	}
	c1, c2, c3 := row("Ann", ""), row("\xf5sealed\x00\xff", "\xf6\x01user"), row("", "carol@example.com")
	d1, x1 := row("Dee", ""), row("Zed", "")
	insert := func(tenantID, convID convstore.ID, rows ...*driver.AuthorRow) {
		t.Helper()
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.AuthorInsert(ctx, tenantID, convID, rows) })
	}
	insert(a.ID, c.ID, c3, c1) // given out of order
	insert(a.ID, c.ID, c2, &driver.AuthorRow{MessageID: c1.MessageID, Name: "not Ann"})
	insert(a.ID, d.ID, d1)
	insert(b.ID, foreign.ID, x1)
	insert(a.ID, empty.ID)
	list := func(tenantID convstore.ID, convs ...convstore.ID) map[convstore.ID][]*driver.AuthorRow {
		t.Helper()
		got, err := f.drv.Reads().AuthorList(f.ctx, tenantID, convs)
		must(t, err)
		return got
	}
	got := list(a.ID, d.ID, c.ID, empty.ID, foreign.ID, convstore.NewID())
	want := map[convstore.ID][]*driver.AuthorRow{c.ID: {c1, c2, c3}, d.ID: {d1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AuthorList = %v, want %v", got, want)
	}
	if got := list(a.ID); len(got) != 0 {
		t.Errorf("no conversations: %v", got)
	}
	del := func(tenantID, convID, id convstore.ID) (gone bool) {
		t.Helper()
		f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
			gone, err = tx.AuthorDelete(ctx, tenantID, convID, id)
			return err
		})
		return gone
	}
	if del(b.ID, c.ID, c2.MessageID) || del(a.ID, d.ID, c2.MessageID) || del(a.ID, foreign.ID, x1.MessageID) {
		t.Error("AuthorDelete deleted another tenant's or another conversation's row")
	}
	if !del(a.ID, c.ID, c2.MessageID) || del(a.ID, c.ID, c2.MessageID) {
		t.Error("AuthorDelete: want true, then false")
	}
	want = map[convstore.ID][]*driver.AuthorRow{c.ID: {c1, c3}}
	if got := list(a.ID, c.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("after a delete: %v, want %v", got, want)
	}
	if got := list(b.ID, foreign.ID); !reflect.DeepEqual(got, map[convstore.ID][]*driver.AuthorRow{foreign.ID: {x1}}) {
		t.Errorf("the other tenant's: %v", got)
	}
	// The rows go with their conversation.
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationDelete(ctx, a.ID, c.ID)
		return err
	})
	if got := list(a.ID, c.ID, d.ID); !reflect.DeepEqual(got, map[convstore.ID][]*driver.AuthorRow{d.ID: {d1}}) {
		t.Errorf("after the conversation's delete: %v", got)
	}
}

// Conversations stored by the driver are never pending (only those a
// migration found are).
func testAuthorsNotPending(t *testing.T, f *fixture) {
	a := f.tenant(t)
	c := f.conversation(t, a.ID, nil)
	f.messages(t, a.ID, c.ID, 2)
	got, err := f.drv.Reads().AuthorPendingIn(f.ctx, a.ID, []convstore.ID{c.ID, convstore.NewID()})
	must(t, err)
	if len(got) != 0 {
		t.Errorf("AuthorPendingIn = %v, want none", got)
	}
	got, err = f.drv.Reads().AuthorPendingIn(f.ctx, a.ID, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("AuthorPendingIn of none = %v, %v", got, err)
	}
}
