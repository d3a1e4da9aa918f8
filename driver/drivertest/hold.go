package drivertest

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var holdTests = []test{
	{"InsertGetListDelete", testHolds},
	{"HoldsOn", testHoldsOn},
	{"UserIndexCarry", testHoldUserIndexCarry},
}

// hold stores a hold of the tenant as mod sets it (one target) and
// returns it.
func (f *fixture) hold(tb testing.TB, tenantID convstore.ID, mod func(h *driver.HoldRow)) *driver.HoldRow {
	tb.Helper()
	h := &driver.HoldRow{ID: convstore.NewID(), TenantID: tenantID, Reason: "matter", CreatedAt: now()}
	mod(h)
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.HoldInsert(ctx, h) })
	return h
}

// testHolds checks that each kind of hold reads back as stored, the list
// pages by id, another tenant's hold is missing, and a delete removes one
// hold once.
func testHolds(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	conv := f.conversation(t, a.ID, nil)
	actor := convstore.NewID()
	byConv := f.hold(t, a.ID, func(h *driver.HoldRow) { h.ConversationID, h.ActorKeyID = conv.ID, actor })
	byUser := f.hold(t, a.ID, func(h *driver.HoldRow) { h.UserIndex, h.IndexRoot = blind("user_id", "u"), 3 })
	byAgent := f.hold(t, a.ID, func(h *driver.HoldRow) { h.AgentID = "bot" })
	theirs := f.hold(t, b.ID, func(h *driver.HoldRow) { h.AgentID = "bot" })

	for _, want := range []*driver.HoldRow{byConv, byUser, byAgent} {
		got, err := f.drv.Reads().HoldGet(f.ctx, a.ID, want.ID)
		must(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("HoldGet = %+v, want %+v", got, want)
		}
	}
	_, err := f.drv.Reads().HoldGet(f.ctx, a.ID, theirs.ID)
	wantCode(t, "HoldGet of another tenant's hold", err, convstore.ENOTFOUND, "hold")

	list, err := f.drv.Reads().HoldList(f.ctx, a.ID, page(10, true))
	must(t, err)
	if got := ids(list, func(h *driver.HoldRow) convstore.ID { return h.ID }); !slices.Equal(got, []convstore.ID{byAgent.ID, byUser.ID, byConv.ID}) {
		t.Errorf("HoldList desc = %v", got)
	}
	list, err = f.drv.Reads().HoldList(f.ctx, a.ID, driver.Page{After: byConv.ID, Limit: 1})
	must(t, err)
	if len(list) != 1 || list[0].ID != byUser.ID {
		t.Errorf("HoldList after the first, limit 1 = %v", list)
	}

	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.HoldDelete(ctx, a.ID, theirs.ID) })
	wantCode(t, "HoldDelete of another tenant's hold", err, convstore.ENOTFOUND, "hold")
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.HoldDelete(ctx, a.ID, byUser.ID) })
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.HoldDelete(ctx, a.ID, byUser.ID) })
	wantCode(t, "a second HoldDelete", err, convstore.ENOTFOUND, "hold")
	if _, err := f.drv.Reads().HoldGet(f.ctx, b.ID, theirs.ID); err != nil {
		t.Errorf("another tenant's hold is gone: %v", err)
	}

	// A hold with no target, or two, is refused by the schema.
	for _, bad := range []*driver.HoldRow{
		{ID: convstore.NewID(), TenantID: a.ID, Reason: "r", CreatedAt: now()},
		{ID: convstore.NewID(), TenantID: a.ID, Reason: "r", CreatedAt: now(), AgentID: "x", ConversationID: conv.ID},
	} {
		if err := f.try(func(ctx context.Context, tx driver.Tx) error { return tx.HoldInsert(ctx, bad) }); err == nil {
			t.Errorf("HoldInsert of %+v succeeded", bad)
		}
	}
}

// testHoldsOn checks the batch lookup: each kind of hold matches what it
// covers in its own tenant only, in the documented precedence, and
// conversations that are missing, unheld or another tenant's are absent.
func testHoldsOn(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	both := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.UserID, c.AgentID = "u", "bot" })
	user := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.UserID = "u" })
	agent := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.AgentID = "bot" })
	free := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.UserID, c.AgentID = "v", "other-bot" })
	bare := f.conversation(t, a.ID, nil)
	theirs := f.conversation(t, b.ID, func(c *convstore.Conversation) { c.UserID, c.AgentID = "u", "bot" })
	all := []convstore.ID{both.ID, user.ID, agent.ID, free.ID, bare.ID, theirs.ID, convstore.NewID()}

	on := func(tenantID convstore.ID) map[convstore.ID]convstore.ID {
		t.Helper()
		got, err := f.drv.Reads().HoldsOn(f.ctx, tenantID, all)
		must(t, err)
		return got
	}
	if got := on(a.ID); len(got) != 0 {
		t.Fatalf("HoldsOn without holds = %v", got)
	}
	agentHold := f.hold(t, a.ID, func(h *driver.HoldRow) { h.AgentID = "bot" })
	userHold := f.hold(t, a.ID, func(h *driver.HoldRow) { h.UserIndex = blind("user_id", "u") })
	convHold := f.hold(t, a.ID, func(h *driver.HoldRow) { h.ConversationID = both.ID })
	f.hold(t, a.ID, func(h *driver.HoldRow) { h.ConversationID = both.ID }) // a second, newer one
	want := map[convstore.ID]convstore.ID{both.ID: convHold.ID, user.ID: userHold.ID, agent.ID: agentHold.ID}
	if got := on(a.ID); !maps.Equal(got, want) {
		t.Errorf("HoldsOn = %v, want %v", got, want)
	}
	if got := on(b.ID); len(got) != 0 {
		t.Errorf("another tenant's holds reach tenant b: %v", got)
	}
	// Inside a write transaction too, as deletes ask.
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		got, err := tx.HoldsOn(ctx, a.ID, []convstore.ID{user.ID})
		if err == nil && got[user.ID] != userHold.ID {
			t.Errorf("HoldsOn in a transaction = %v", got)
		}
		return err
	})
	if got, err := f.drv.Reads().HoldsOn(f.ctx, a.ID, nil); err != nil || len(got) != 0 {
		t.Errorf("HoldsOn(nil) = %v, %v", got, err)
	}
}

// testHoldUserIndexCarry checks the re-index's moves of user holds: a
// carry moves only the tenant's holds on the old index, keeping it as the
// alternative that still matches; dropping the alternatives counts the
// holds left under an older root.
func testHoldUserIndexCarry(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	oldIdx, newIdx := blind("user_id", "u@root1"), blind("user_id", "u@root2")
	moved := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.UserID = "u@root2" })
	notYet := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.UserID = "u@root1" })
	mine := f.hold(t, a.ID, func(h *driver.HoldRow) { h.UserIndex, h.IndexRoot = oldIdx, 1 })
	theirs := f.hold(t, b.ID, func(h *driver.HoldRow) { h.UserIndex, h.IndexRoot = oldIdx, 1 })
	stale := f.hold(t, a.ID, func(h *driver.HoldRow) { h.UserIndex, h.IndexRoot = blind("user_id", "nobody"), 1 })
	var n int
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		n, err = tx.HoldUserIndexCarry(ctx, a.ID, oldIdx, newIdx, 2)
		return err
	})
	if n != 1 {
		t.Errorf("HoldUserIndexCarry moved %d holds, want 1", n)
	}
	got, err := f.drv.Reads().HoldGet(f.ctx, a.ID, mine.ID)
	must(t, err)
	if string(got.UserIndex) != string(newIdx) || string(got.UserIndexAlt) != string(oldIdx) || got.IndexRoot != 2 {
		t.Errorf("carried hold: %+v", got)
	}
	if got, err := f.drv.Reads().HoldGet(f.ctx, b.ID, theirs.ID); err != nil || string(got.UserIndex) != string(oldIdx) || got.UserIndexAlt != nil {
		t.Errorf("another tenant's hold was carried: %+v, %v", got, err)
	}
	on, err := f.drv.Reads().HoldsOn(f.ctx, a.ID, []convstore.ID{moved.ID, notYet.ID})
	must(t, err)
	if on[moved.ID] != mine.ID || on[notYet.ID] != mine.ID {
		t.Errorf("HoldsOn during the re-index = %v, want both held by %s", on, mine.ID.UUID())
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		n, err = tx.HoldUserIndexDropAlt(ctx, 2)
		return err
	})
	if n != 2 {
		t.Errorf("HoldUserIndexDropAlt counted %d stale holds, want 2 (%s and the other tenant's)", n, stale.ID.UUID())
	}
	if got, err := f.drv.Reads().HoldGet(f.ctx, a.ID, mine.ID); err != nil || got.UserIndexAlt != nil {
		t.Errorf("after HoldUserIndexDropAlt: %+v, %v", got, err)
	}
}
