package drivertest

import (
	"context"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var attachmentTests = []test{
	{"RoundTripAndConflicts", testAttachments},
}

// attachment stores an attachment record of the conversation, its name
// "sealed" (bytes the driver must keep as they are) with a blind index
// (nameIndex).
func (f *fixture) attachment(tb testing.TB, tenantID, convID convstore.ID, name string, size int64) *driver.AttachmentRow {
	tb.Helper()
	row := &driver.AttachmentRow{Attachment: convstore.Attachment{ID: convstore.NewID(), ConversationID: convID, Name: sealed(name),
		ContentType: "audio/wav", Size: size, SHA256: "abc", CreatedAt: now()}, TenantID: tenantID, BlobKey: convstore.NewID().UUID(),
		NameIndex: nameIndex(name)}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.AttachmentInsert(ctx, row) })
	return row
}

// nameIndex stands for a name's blind index.
func nameIndex(name string) []byte { return []byte("idx\x00" + name) }

// byName looks an attachment up by the index of name.
func byName(name string) driver.NameLookup {
	return driver.NameLookup{Index: nameIndex(name), Plain: name}
}

func testAttachments(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c, other := f.conversation(t, a.ID, nil), f.conversation(t, a.ID, nil)
	one := f.attachment(t, a.ID, c.ID, "one.wav", 10)
	f.attachment(t, a.ID, c.ID, "two.wav", 20)
	f.attachment(t, a.ID, other.ID, "one.wav", 5) // a name is unique per conversation only

	dup := *one
	dup.ID, dup.BlobKey = convstore.NewID(), "another-key"
	err := f.try(func(ctx context.Context, tx driver.Tx) error { return tx.AttachmentInsert(ctx, &dup) })
	wantErr(t, "a taken name", err, driver.ErrAttachmentNameTaken())

	got, err := f.drv.Reads().AttachmentGetByName(f.ctx, a.ID, c.ID, byName("one.wav"))
	must(t, err)
	if got.ID != one.ID || got.Name != one.Name || string(got.NameIndex) != string(one.NameIndex) || got.BlobKey != one.BlobKey || got.TenantID != a.ID || got.Size != 10 || got.ContentType != "audio/wav" ||
		got.SHA256 != "abc" || !got.CreatedAt.Equal(one.CreatedAt) {
		t.Errorf("AttachmentGetByName = %+v, want %+v", got, one)
	}
	_, err = f.drv.Reads().AttachmentGetByName(f.ctx, b.ID, c.ID, byName("one.wav"))
	wantCode(t, "AttachmentGetByName from another tenant", err, convstore.ENOTFOUND, "attachment")
	if n, err := f.drv.Reads().AttachmentCount(f.ctx, a.ID, c.ID); err != nil || n != 2 {
		t.Errorf("AttachmentCount = %d, %v; want 2", n, err)
	}
	if n, err := f.drv.Reads().AttachmentCount(f.ctx, b.ID, c.ID); err != nil || n != 0 {
		t.Errorf("AttachmentCount from another tenant = %d, %v", n, err)
	}
	list, err := f.drv.Reads().AttachmentList(f.ctx, &driver.AttachmentListParams{TenantID: a.ID, ConversationID: c.ID, Page: page(1, true)})
	must(t, err)
	if len(list) != 1 || list[0].Name != sealed("two.wav") {
		t.Errorf("AttachmentList = %v", list)
	}
	_, err = deleteByName(f, b.ID, c.ID, "one.wav")
	wantCode(t, "deleting another tenant's attachment", err, convstore.ENOTFOUND, "attachment")
	gone, err := deleteByName(f, a.ID, c.ID, "one.wav")
	must(t, err)
	if gone.ID != one.ID || gone.BlobKey != one.BlobKey {
		t.Errorf("AttachmentDeleteByName = %+v, want %+v", gone, one)
	}
	_, err = deleteByName(f, a.ID, c.ID, "one.wav")
	wantCode(t, "deleting twice", err, convstore.ENOTFOUND, "attachment")

	// A row written before sealing has its name in plaintext and no
	// index: it is found, and deleted, by the plaintext.
	legacy := &driver.AttachmentRow{Attachment: convstore.Attachment{ID: convstore.NewID(), ConversationID: c.ID, Name: "old.wav",
		ContentType: "audio/wav", Size: 1, SHA256: "abc", CreatedAt: now()}, TenantID: a.ID, BlobKey: convstore.NewID().UUID()}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.AttachmentInsert(ctx, legacy) })
	if got, err := f.drv.Reads().AttachmentGetByName(f.ctx, a.ID, c.ID, byName("old.wav")); err != nil || got.ID != legacy.ID ||
		got.NameIndex != nil {
		t.Errorf("a row without an index, by its plaintext name: %+v, %v", got, err)
	}
	if gone, err := deleteByName(f, a.ID, c.ID, "old.wav"); err != nil || gone.ID != legacy.ID {
		t.Errorf("deleting a row without an index: %+v, %v", gone, err)
	}
}

func deleteByName(f *fixture, tenantID, convID convstore.ID, name string) (*driver.AttachmentRow, error) {
	var row *driver.AttachmentRow
	err := f.try(func(ctx context.Context, tx driver.Tx) (err error) {
		row, err = tx.AttachmentDeleteByName(ctx, tenantID, convID, byName(name))
		return err
	})
	return row, err
}
