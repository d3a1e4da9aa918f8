package client_test

import (
	"bytes"
	"testing"

	"github.com/convstore/convstore"
)

func TestDeletionsAndAudit(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "call", 3)
	if _, err := f.c.CreateArtifact(f.ctx, cv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.PutAttachment(f.ctx, cv.ID, "a.wav", "audio/wav", bytes.NewReader(wavBytes(500))); err != nil {
		t.Fatal(err)
	}
	keep := f.mustConversation(t, "keep", 0)
	msgs, _, err := f.c.ListMessages(f.ctx, cv.ID, convstore.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.c.DeleteMessage(f.ctx, cv.ID, msgs[0].ID); err != nil {
		t.Fatal(err)
	}
	d, err := f.c.DeleteConversation(f.ctx, cv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Messages != 2 || d.Artifacts != 1 || d.Attachments != 1 || d.AttachmentBytes != int64(len(wavBytes(500))) {
		t.Fatalf("receipt %+v", d)
	}

	got, err := f.c.GetDeletion(f.ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *d {
		t.Fatalf("GetDeletion = %+v, want %+v", got, d)
	}
	dels, more, err := f.c.ListDeletions(f.ctx, convstore.DeletionFilter{})
	if err != nil || more || len(dels) != 1 || dels[0].ID != d.ID {
		t.Fatalf("list: %v, %d items", err, len(dels))
	}
	dels, _, err = f.c.ListDeletions(f.ctx, convstore.DeletionFilter{ConversationID: cv.ID})
	if err != nil || len(dels) != 1 {
		t.Fatalf("by conversation: %v, %d items", err, len(dels))
	}
	dels, _, err = f.c.ListDeletions(f.ctx, convstore.DeletionFilter{ConversationID: keep.ID})
	if err != nil || len(dels) != 0 {
		t.Fatalf("other conversation: %v, %d items", err, len(dels))
	}
	_, err = f.c.GetDeletion(f.ctx, convstore.NewID())
	wantCode(t, err, convstore.ENOTFOUND, 404)

	// Newest first: the conversation delete, then the message delete.
	entries, _, err := f.c.ListAudit(f.ctx, convstore.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("audit has %d entries, want 2", len(entries))
	}
	e := entries[0]
	if e.ID.IsZero() || e.Action != convstore.AuditConversationDelete || e.ConversationID != cv.ID ||
		e.TargetID != d.ID || e.ActorKeyID != f.key.ID || e.Door != "native" || e.RequestID != d.RequestID || e.CreatedAt.IsZero() {
		t.Fatalf("audit entry %+v", e)
	}
	if entries[1].Action != convstore.AuditMessageDelete || entries[1].TargetID != msgs[0].ID {
		t.Fatalf("audit entry %+v", entries[1])
	}
	page, more, err := f.c.ListAudit(f.ctx, convstore.AuditFilter{PageFilter: convstore.PageFilter{Limit: 1}})
	if err != nil || !more || len(page) != 1 || page[0].ID != e.ID {
		t.Fatalf("audit page: %v, %d items, more=%v", err, len(page), more)
	}
}
