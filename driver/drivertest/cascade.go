package drivertest

import (
	"context"
	"slices"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var cascadeTests = []test{
	{"CountedDelete", testCountedDelete},
	{"DeleteScoped", testDeleteScoped},
}

// ConversationDelete hides the conversation and reports exactly what it
// holds; the purge then removes it with its children and leaves every
// other row.
func testCountedDelete(t *testing.T, f *fixture) {
	a := f.tenant(t)
	c, kept := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	f.messages(t, a.ID, c.ID, 3)
	f.messages(t, a.ID, kept.ID, 2)
	for range 2 {
		f.write(t, func(ctx context.Context, tx driver.Tx) error {
			return tx.ArtifactInsert(ctx, a.ID, &convstore.Artifact{ID: convstore.NewID(), ConversationID: c.ID, Type: convstore.ArtifactTopic, Text: "x", CreatedAt: now()})
		})
	}
	x, y := f.attachment(t, a.ID, c.ID, "x", 100), f.attachment(t, a.ID, c.ID, "y", 23)
	f.attachment(t, a.ID, kept.ID, "z", 7)
	before := f.counts(t)
	var gone *driver.ConversationDeleted
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		gone, err = tx.ConversationDelete(ctx, a.ID, c.ID)
		return err
	})
	keys := f.purgeAll(t, a.ID, c.ID)
	slices.Sort(keys)
	want := []string{x.BlobKey, y.BlobKey}
	slices.Sort(want)
	if gone.Seq != c.Seq || gone.Messages != 3 || gone.Artifacts != 2 || gone.Attachments != 2 || gone.AttachmentBytes != 123 ||
		len(gone.BlobKeys) != 0 || !slices.Equal(keys, want) {
		t.Errorf("ConversationDelete = %+v, purged keys %v; want seq %d, 3 messages, 2 artifacts, 2 attachments of 123 bytes, keys %v purged",
			gone, keys, c.Seq, want)
	}
	if before != nil {
		after := f.counts(t)
		for table, n := range map[string]int{"conversations": 1, "messages": 3, "artifacts": 2, "attachments": 2} {
			if before[table]-after[table] != n {
				t.Errorf("%s: %d rows before, %d after; want %d fewer", table, before[table], after[table], n)
			}
		}
	}
	if got, _ := f.drv.Reads().ConversationGetByID(f.ctx, a.ID, kept.ID); got == nil || got.MessageCount != 2 {
		t.Errorf("the other conversation: %+v", got)
	}
	_, err := f.drv.Reads().ConversationGetByID(f.ctx, a.ID, c.ID)
	wantCode(t, "the deleted conversation", err, convstore.ENOTFOUND, "conversation")
	err = f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationDelete(ctx, a.ID, c.ID)
		return err
	})
	wantCode(t, "deleting twice", err, convstore.ENOTFOUND, "conversation")
	// A conversation without children reports zeros and no keys.
	empty := f.conversation(t, a.ID, nil)
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		gone, err = tx.ConversationDelete(ctx, a.ID, empty.ID)
		return err
	})
	if gone.Messages != 0 || gone.Attachments != 0 || gone.AttachmentBytes != 0 || len(gone.BlobKeys) != 0 {
		t.Errorf("an empty conversation's delete: %+v", gone)
	}
}

func testDeleteScoped(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c := f.conversation(t, a.ID, nil)
	f.messages(t, a.ID, c.ID, 2)
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationDelete(ctx, b.ID, c.ID)
		return err
	})
	wantCode(t, "deleting another tenant's conversation", err, convstore.ENOTFOUND, "conversation")
	got, err := f.drv.Reads().MessageList(f.ctx, &driver.MessageListParams{TenantID: a.ID, ConversationID: c.ID, Page: page(10, false)})
	if err != nil || len(got) != 2 {
		t.Errorf("after another tenant's delete: %d messages, %v", len(got), err)
	}
}

// counts returns RowCounts, or nil without it.
func (f *fixture) counts(tb testing.TB) map[string]int {
	tb.Helper()
	if f.RowCounts == nil {
		return nil
	}
	c, err := f.RowCounts(f.ctx)
	must(tb, err)
	return c
}
