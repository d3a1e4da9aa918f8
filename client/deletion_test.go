package client_test

import (
	"bytes"
	"net/http"
	"reflect"
	"testing"

	"github.com/convstore/convstore"
)

func TestDeletionsAndAudit(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "call", 3)
	if _, err := f.c.CreateArtifact(f.ctx, convstore.ID{}, cv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "s"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.put(cv.ID, "a.wav", "audio/wav", bytes.NewReader(wavBytes(500)), 0); err != nil {
		t.Fatal(err)
	}
	keep := f.mustConversation(t, "keep", 0)
	msgs := f.mustMessages(t, cv.ID)
	if err := f.c.DeleteMessage(f.ctx, convstore.ID{}, cv.ID, msgs[0].ID, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	d, err := f.c.DeleteConversation(f.ctx, convstore.ID{}, cv.ID, convstore.DeleteParams{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Messages != 2 || d.Artifacts != 1 || d.Attachments != 1 || d.AttachmentBytes != int64(len(wavBytes(500))) {
		t.Fatalf("receipt %+v", d)
	}

	got, err := f.c.FindDeletionByID(f.ctx, convstore.ID{}, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d) || d.TenantID != f.tenant.ID {
		t.Fatalf("FindDeletionByID = %+v, want %+v", got, d)
	}
	dels, more, err := f.c.FindDeletions(f.ctx, convstore.ID{}, convstore.DeletionFilter{})
	if err != nil || more || len(dels) != 1 || dels[0].ID != d.ID {
		t.Fatalf("list: %v, %d items", err, len(dels))
	}
	dels, _, err = f.c.FindDeletions(f.ctx, convstore.ID{}, convstore.DeletionFilter{ConversationID: cv.ID})
	if err != nil || len(dels) != 1 {
		t.Fatalf("by conversation: %v, %d items", err, len(dels))
	}
	dels, _, err = f.c.FindDeletions(f.ctx, convstore.ID{}, convstore.DeletionFilter{ConversationID: keep.ID})
	if err != nil || len(dels) != 0 {
		t.Fatalf("other conversation: %v, %d items", err, len(dels))
	}
	_, err = f.c.FindDeletionByID(f.ctx, convstore.ID{}, convstore.NewID())
	wantCode(t, err, convstore.ENOTFOUND, 404)

	// Newest first: the conversation delete, then the message delete,
	// then the tenant's creation (an operator's: no key, no conversation).
	entries, _, err := f.c.FindAuditEntries(f.ctx, convstore.ID{}, convstore.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Fatalf("audit has %d entries, want 4", len(entries))
	}
	if c := entries[3]; c.Action != convstore.AuditTenantCreate || !c.ActorKeyID.IsZero() || !c.ConversationID.IsZero() || c.TargetID.IsZero() {
		t.Fatalf("oldest audit entry %+v, want the tenant's creation", c)
	}
	e := entries[0]
	if e.ID.IsZero() || e.TenantID != f.tenant.ID || e.Action != convstore.AuditConversationDelete || e.ConversationID != cv.ID ||
		e.TargetID != d.ID || e.ActorKeyID != f.key.ID || e.Door != "native" || e.RequestID != d.RequestID || e.CreatedAt.IsZero() {
		t.Fatalf("audit entry %+v", e)
	}
	if entries[1].Action != convstore.AuditMessageDelete || entries[1].TargetID != msgs[0].ID {
		t.Fatalf("audit entry %+v", entries[1])
	}
	page, more, err := f.c.FindAuditEntries(f.ctx, convstore.ID{}, convstore.AuditFilter{PageFilter: convstore.PageFilter{Limit: 1}})
	if err != nil || !more || len(page) != 1 || page[0].ID != e.ID {
		t.Fatalf("audit page: %v, %d items, more=%v", err, len(page), more)
	}
}

// TestClientRequestIDReadBack deletes with the client's own X-Request-Id
// and reads it back apart from the server's, in the receipt and the audit
// entry.
func TestClientRequestIDReadBack(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "x", 1)
	req, err := http.NewRequestWithContext(f.ctx, http.MethodDelete, f.srv.URL+"/v1/conversations/"+cv.ID.Format(convstore.PrefixConversation), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.key.Secret)
	req.Header.Set("X-Request-Id", "my-erase-7")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	dels, _, err := f.c.FindDeletions(f.ctx, convstore.ID{}, convstore.DeletionFilter{ConversationID: cv.ID})
	if err != nil || len(dels) != 1 {
		t.Fatalf("receipts: %v, %v", dels, err)
	}
	d, err := f.c.FindDeletionByID(f.ctx, convstore.ID{}, dels[0].ID)
	if err != nil || d.ClientRequestID != "my-erase-7" || d.RequestID != resp.Header.Get("X-Request-Id") {
		t.Fatalf("receipt %+v, %v: want client request id my-erase-7 and the server's %s", d, err, resp.Header.Get("X-Request-Id"))
	}
	entries, _, err := f.c.FindAuditEntries(f.ctx, convstore.ID{}, convstore.AuditFilter{})
	if err != nil || len(entries) == 0 || entries[0].ClientRequestID != "my-erase-7" || entries[0].RequestID != d.RequestID {
		t.Fatalf("audit entries %+v, %v", entries, err)
	}
}
