package drivertest

import (
	"bytes"
	"context"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var convKeyTests = []test{
	{"RoundTripAndConflicts", testConvKeyRoundTrip},
	{"DeletedWithConversation", testConvKeyDeleted},
	{"StoreMeta", testStoreMeta},
}

// key stores a wrapped key for the conversation.
func (f *fixture) convKey(tb testing.TB, tenantID, convID convstore.ID, epoch uint32) *driver.ConversationKey {
	tb.Helper()
	k := &driver.ConversationKey{TenantID: tenantID, ConversationID: convID, Epoch: epoch,
		Wrapped: []byte("wrapped-" + convID.Base32()), CreatedAt: now()}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.ConversationKeyInsert(ctx, k) })
	return k
}

func testConvKeyRoundTrip(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c := f.conversation(t, a.ID, nil)
	want := f.convKey(t, a.ID, c.ID, 4000000000) // above int32: stored unsigned
	got, err := f.drv.Reads().ConversationKeyGet(f.ctx, a.ID, c.ID)
	must(t, err)
	if got.TenantID != a.ID || got.ConversationID != c.ID || got.Epoch != want.Epoch ||
		!bytes.Equal(got.Wrapped, want.Wrapped) || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("ConversationKeyGet = %+v, want %+v", got, want)
	}
	_, err = f.drv.Reads().ConversationKeyGet(f.ctx, b.ID, c.ID)
	wantCode(t, "another tenant's key", err, convstore.ENOTFOUND, "conversation key")
	// A second key conflicts, and the transaction goes on.
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		err := tx.ConversationKeyInsert(ctx, &driver.ConversationKey{TenantID: a.ID, ConversationID: c.ID, Epoch: 1,
			Wrapped: []byte("other"), CreatedAt: now()})
		wantErr(t, "a second key", err, driver.ErrConversationKeyTaken())
		k, err := tx.ConversationKeyGet(ctx, a.ID, c.ID)
		if err != nil || !bytes.Equal(k.Wrapped, want.Wrapped) {
			t.Errorf("after the conflict: %+v, %v", k, err)
		}
		return nil
	})
	err = f.try(func(ctx context.Context, tx driver.Tx) error {
		return tx.ConversationKeyInsert(ctx, &driver.ConversationKey{TenantID: b.ID, ConversationID: c.ID, Epoch: 1,
			Wrapped: []byte("x"), CreatedAt: now()})
	})
	wantCode(t, "a key under another tenant's conversation", err, convstore.ENOTFOUND, "conversation")
	err = f.try(func(ctx context.Context, tx driver.Tx) error {
		return tx.ConversationKeyInsert(ctx, &driver.ConversationKey{TenantID: a.ID, ConversationID: convstore.NewID(),
			Epoch: 1, Wrapped: []byte("x"), CreatedAt: now()})
	})
	wantCode(t, "a key of a missing conversation", err, convstore.ENOTFOUND, "conversation")
}

// ConversationDelete removes the key in its transaction: read inside it,
// after the delete, the key is gone; the other conversation's stays.
func testConvKeyDeleted(t *testing.T, f *fixture) {
	a := f.tenant(t)
	c, kept := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	f.convKey(t, a.ID, c.ID, 1)
	f.convKey(t, a.ID, kept.ID, 1)
	before := f.counts(t)
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.ConversationDelete(ctx, a.ID, c.ID); err != nil {
			return err
		}
		_, err := tx.ConversationKeyGet(ctx, a.ID, c.ID)
		wantCode(t, "the key inside the delete's transaction", err, convstore.ENOTFOUND, "conversation key")
		return nil
	})
	_, err := f.drv.Reads().ConversationKeyGet(f.ctx, a.ID, c.ID)
	wantCode(t, "the deleted conversation's key", err, convstore.ENOTFOUND, "conversation key")
	if _, err := f.drv.Reads().ConversationKeyGet(f.ctx, a.ID, kept.ID); err != nil {
		t.Errorf("the other conversation's key: %v", err)
	}
	if before != nil {
		if after := f.counts(t); before["conversation_keys"]-after["conversation_keys"] != 1 {
			t.Errorf("conversation_keys: %d rows before, %d after; want 1 fewer", before["conversation_keys"], after["conversation_keys"])
		}
	}
}

func testStoreMeta(t *testing.T, f *fixture) {
	_, err := f.drv.Reads().StoreMetaGet(f.ctx, "test_name")
	wantCode(t, "a missing meta row", err, convstore.ENOTFOUND, "store meta")
	var got string
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		got, err = tx.StoreMetaInsert(ctx, "test_name", "first")
		return err
	})
	if got != "first" {
		t.Errorf("the first insert returned %q", got)
	}
	// A second value never replaces the first.
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		got, err = tx.StoreMetaInsert(ctx, "test_name", "second")
		return err
	})
	if got != "first" {
		t.Errorf("the second insert returned %q, want the first value", got)
	}
	if v, err := f.drv.Reads().StoreMetaGet(f.ctx, "test_name"); err != nil || v != "first" {
		t.Errorf("StoreMetaGet = %q, %v", v, err)
	}
}
