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
	{"GetMany", testConvKeyGetMany},
	{"StoreMeta", testStoreMeta},
	{"Reseal", testReseal},
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

// The sealing upgrade's rewrites: each replaces the stored content of one
// row by id, and nothing else.
func testReseal(t *testing.T, f *fixture) {
	a := f.tenant(t)
	c := f.conversation(t, a.ID, func(c *convstore.Conversation) { c.ExternalID = "ext" })
	msgs := f.messages(t, a.ID, c.ID, 2)
	ext := sealed("ext2")
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationUpdate(ctx, &driver.ConversationUpdateParams{TenantID: a.ID, ID: c.ID, ExternalID: &ext,
			ExternalIndex: blind("external_id", "ext2"), UpdatedAt: c.UpdatedAt})
		return err
	})
	if got, err := f.drv.Reads().ConversationGetByExternalID(f.ctx, a.ID, blind("external_id", "ext2"), "ext2"); err != nil || got.ExternalID != ext || got.Title != c.Title {
		t.Errorf("after rewriting the external id: %+v, %v", got, err)
	}
	re := *msgs[0]
	re.Content, re.AuthorName, re.Parts, re.Meta = sealed("new"), sealed("author"), []byte(sealed("[1]")), sealedMeta(convstore.Metadata{"k": "v"})
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.MessageReseal(ctx, a.ID, c.ID, []*driver.MessageRow{&re})
	})
	got, err := f.drv.Reads().MessageGet(f.ctx, a.ID, c.ID, re.ID)
	if err != nil || got.Content != re.Content || got.AuthorName != re.AuthorName || string(got.Parts) != string(re.Parts) ||
		!bytes.Equal(got.Meta, re.Meta) || !got.CreatedAt.Equal(re.CreatedAt) {
		t.Errorf("MessageReseal: %+v, %v", got, err)
	}
	if other, _ := f.drv.Reads().MessageGet(f.ctx, a.ID, c.ID, msgs[1].ID); other == nil || other.Content != msgs[1].Content {
		t.Errorf("MessageReseal changed another message: %+v", other)
	}
	art := &convstore.Artifact{ID: convstore.NewID(), ConversationID: c.ID, Type: convstore.ArtifactSummary, Text: "plain", CreatedAt: now()}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactInsert(ctx, a.ID, art) })
	art.Text, art.Data = sealed("text"), []byte(sealed(`{}`))
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.ArtifactReseal(ctx, a.ID, art) })
	if got, err := f.drv.Reads().ArtifactGet(f.ctx, a.ID, c.ID, art.ID); err != nil || got.Text != art.Text || string(got.Data) != string(art.Data) {
		t.Errorf("ArtifactReseal: %+v, %v", got, err)
	}
	att := f.attachment(t, a.ID, c.ID, "x.wav", 3)
	old := att.BlobKey
	att.Name, att.NameIndex, att.BlobKey = sealed("y"), nameIndex("y.wav"), "snewkey"
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.AttachmentReseal(ctx, att, old) })
	if got, err := f.drv.Reads().AttachmentGetByName(f.ctx, a.ID, c.ID, byName("y.wav")); err != nil || got.BlobKey != "snewkey" || got.Name != att.Name {
		t.Errorf("AttachmentReseal: %+v, %v", got, err)
	}
	// A record whose bytes changed meanwhile is not rewritten.
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.AttachmentReseal(ctx, att, old) })
	wantCode(t, "AttachmentReseal of a changed record", err, convstore.ENOTFOUND, "attachment")
}

// ConversationKeyGetMany returns each of the tenant's keys among ids, as
// ConversationKeyGet does; no key, another tenant's or a missing
// conversation is absent.
func testConvKeyGetMany(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c, d, bare := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	foreign := f.conversation(t, b.ID, nil)
	kc, kd := f.convKey(t, a.ID, c.ID, 4000000000), f.convKey(t, a.ID, d.ID, 2)
	f.convKey(t, b.ID, foreign.ID, 1)
	got, err := f.drv.Reads().ConversationKeyGetMany(f.ctx, a.ID, []convstore.ID{d.ID, bare.ID, foreign.ID, convstore.NewID(), c.ID})
	must(t, err)
	byConv := map[convstore.ID]*driver.ConversationKey{}
	for _, k := range got {
		byConv[k.ConversationID] = k
	}
	if len(got) != 2 || len(byConv) != 2 {
		t.Fatalf("%d keys, want 2: %+v", len(got), got)
	}
	for _, want := range []*driver.ConversationKey{kc, kd} {
		k := byConv[want.ConversationID]
		if k == nil || k.TenantID != a.ID || k.Epoch != want.Epoch || !bytes.Equal(k.Wrapped, want.Wrapped) || !k.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("key of %v: %+v, want %+v", want.ConversationID, k, want)
		}
	}
	got, err = f.drv.Reads().ConversationKeyGetMany(f.ctx, b.ID, []convstore.ID{c.ID, d.ID})
	must(t, err)
	if len(got) != 0 {
		t.Errorf("another tenant reads %+v", got)
	}
	got, err = f.drv.Reads().ConversationKeyGetMany(f.ctx, a.ID, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("no ids: %+v, %v", got, err)
	}
	// Inside a write transaction, after a delete in it.
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.ConversationDelete(ctx, a.ID, d.ID); err != nil {
			return err
		}
		got, err := tx.ConversationKeyGetMany(ctx, a.ID, []convstore.ID{c.ID, d.ID})
		if err == nil && (len(got) != 1 || got[0].ConversationID != c.ID) {
			t.Errorf("in a transaction after a delete: %+v", got)
		}
		return err
	})
}
