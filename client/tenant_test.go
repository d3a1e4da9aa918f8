package client_test

import (
	"bytes"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
)

// countingClient returns a client with f's key whose requests are counted.
func (f *fixture) countingClient(n *atomic.Int64) *client.Client {
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		n.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})}
	return client.New(f.srv.URL, f.key.Secret, client.WithHTTPClient(hc))
}

// TestTenantRule checks that another tenant's id finds nothing without a
// request, as in a store: ENOTFOUND for an item, empty lists, zero counts.
func TestTenantRule(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "mine", 1)
	msgs := f.mustMessages(t, cv.ID)
	var n atomic.Int64
	c := f.countingClient(&n)
	if own, err := c.TenantID(f.ctx); err != nil || own != f.tenant.ID {
		t.Fatalf("TenantID = %s, %v; want %s", own.UUID(), err, f.tenant.ID.UUID())
	}
	if n.Load() != 1 {
		t.Fatalf("%d requests to learn the tenant, want 1", n.Load())
	}
	other, _, err := f.store.CreateTenant(f.ctx, "other", convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, T, p := f.ctx, other.ID, convstore.DeleteParams{}
	title := "x"
	notFound := map[string]error{}
	_, notFound["FindConversationByID"] = c.FindConversationByID(ctx, T, cv.ID)
	_, notFound["FindConversationBySeq"] = c.FindConversationBySeq(ctx, T, cv.Seq)
	_, notFound["FindConversationByExternalID"] = c.FindConversationByExternalID(ctx, T, "x")
	_, _, notFound["CreateConversation"] = c.CreateConversation(ctx, T, &convstore.ConversationCreate{})
	_, notFound["UpdateConversation"] = c.UpdateConversation(ctx, T, cv.ID, &convstore.ConversationUpdate{Title: &title})
	_, notFound["DeleteConversation"] = c.DeleteConversation(ctx, T, cv.ID, p)
	_, notFound["FindMessageByID"] = c.FindMessageByID(ctx, T, convstore.ID{}, msgs[0].ID)
	_, _, notFound["FindMessages"] = c.FindMessages(ctx, T, cv.ID, convstore.MessageFilter{})
	_, notFound["CreateMessages"] = c.CreateMessages(ctx, T, cv.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "x"}})
	notFound["DeleteMessage"] = c.DeleteMessage(ctx, T, cv.ID, msgs[0].ID, p)
	_, notFound["FindArtifactByID"] = c.FindArtifactByID(ctx, T, cv.ID, convstore.NewID())
	_, _, notFound["FindArtifacts"] = c.FindArtifacts(ctx, T, cv.ID, convstore.ArtifactFilter{})
	_, notFound["CreateArtifact"] = c.CreateArtifact(ctx, T, cv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: "x"})
	notFound["DeleteArtifact"] = c.DeleteArtifact(ctx, T, cv.ID, convstore.NewID(), p)
	_, notFound["PutAttachment"] = c.PutAttachment(ctx, T, cv.ID, &convstore.AttachmentPut{Name: "a.txt", Body: strings.NewReader("x")})
	_, notFound["FindAttachmentByName"] = c.FindAttachmentByName(ctx, T, cv.ID, "a.txt")
	_, _, notFound["OpenAttachment"] = c.OpenAttachment(ctx, T, cv.ID, "a.txt")
	_, _, notFound["FindAttachments"] = c.FindAttachments(ctx, T, cv.ID, convstore.AttachmentFilter{})
	notFound["DeleteAttachment"] = c.DeleteAttachment(ctx, T, cv.ID, "a.txt", p)
	_, notFound["FindDeletionByID"] = c.FindDeletionByID(ctx, T, convstore.NewID())
	_, notFound["CreateKey"] = c.CreateKey(ctx, T, &convstore.KeyCreate{Name: "x", Scopes: []convstore.Scope{convstore.ScopeRead}}, p)
	notFound["DeleteKey"] = c.DeleteKey(ctx, T, f.key.ID, p)
	for what, err := range notFound {
		if _, sent := err.(*client.Error); sent || convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Errorf("%s under another tenant: %v, want ENOTFOUND without a request", what, err)
		}
	}
	convs, more, err := c.FindConversations(ctx, T, convstore.ConversationFilter{})
	if err != nil || more || len(convs) != 0 {
		t.Errorf("FindConversations under another tenant: %d, %v", len(convs), err)
	}
	if count, err := c.CountConversations(ctx, T, convstore.ConversationFilter{}); err != nil || count != 0 {
		t.Errorf("CountConversations under another tenant: %d, %v", count, err)
	}
	dels, _, err := c.FindDeletions(ctx, T, convstore.DeletionFilter{})
	if err != nil || len(dels) != 0 {
		t.Errorf("FindDeletions under another tenant: %d, %v", len(dels), err)
	}
	entries, _, err := c.FindAuditEntries(ctx, T, convstore.AuditFilter{})
	if err != nil || len(entries) != 0 {
		t.Errorf("FindAuditEntries under another tenant: %d, %v", len(entries), err)
	}
	keys, err := c.FindKeys(ctx, T)
	if err != nil || len(keys) != 0 {
		t.Errorf("FindKeys under another tenant: %d, %v", len(keys), err)
	}
	if n.Load() != 1 {
		t.Errorf("%d requests, want only the one that learnt the tenant", n.Load())
	}
	// Nothing changed.
	if got, err := c.FindConversationByID(ctx, f.tenant.ID, cv.ID); err != nil || got.MessageCount != 1 || got.Title != "mine" {
		t.Fatalf("own conversation after the refused calls: %+v, %v", got, err)
	}
}

// TestActorRule checks that the server, not the caller, decides the actor,
// door and request id of a receipt: only ClientRequestID passes.
func TestActorRule(t *testing.T) {
	f := setup(t)
	cv := f.mustConversation(t, "x", 1)
	forged := convstore.DeleteParams{ActorKeyID: convstore.NewID(), Door: "cli", RequestID: "req_forged", ClientRequestID: "erase-42"}
	d, err := f.c.DeleteConversation(f.ctx, convstore.ID{}, cv.ID, forged)
	if err != nil {
		t.Fatal(err)
	}
	if d.ActorKeyID != f.key.ID || d.Door != "native" || d.RequestID == forged.RequestID || !strings.HasPrefix(d.RequestID, "req_") ||
		d.ClientRequestID != "erase-42" {
		t.Fatalf("receipt %+v", d)
	}
	// A client request id the server would drop is refused before
	// anything is deleted.
	keep := f.mustConversation(t, "keep", 0)
	for _, bad := range []string{"two words", strings.Repeat("x", 129), "tab\there", "é"} {
		_, err := f.c.DeleteConversation(f.ctx, convstore.ID{}, keep.ID, convstore.DeleteParams{ClientRequestID: bad})
		wantLocal(t, err, convstore.EINVALID, "client_request_id")
		_, err = f.c.PutAttachment(f.ctx, convstore.ID{}, keep.ID, &convstore.AttachmentPut{Name: "a.txt", Body: bytes.NewReader(nil),
			Actor: convstore.DeleteParams{ClientRequestID: bad}})
		wantLocal(t, err, convstore.EINVALID, "client_request_id")
	}
	if _, err := f.c.FindConversationByID(f.ctx, convstore.ID{}, keep.ID); err != nil {
		t.Fatalf("the conversation after refused deletes: %v", err)
	}
	// The replace of an attachment is audited with the client's request id.
	for _, id := range []string{"put-1", "put-2"} {
		if _, err := f.c.PutAttachment(f.ctx, f.tenant.ID, keep.ID, &convstore.AttachmentPut{Name: "a.txt", Body: strings.NewReader(id),
			Actor: convstore.DeleteParams{ClientRequestID: id}}); err != nil {
			t.Fatal(err)
		}
	}
	entries, _, err := f.c.FindAuditEntries(f.ctx, convstore.ID{}, convstore.AuditFilter{})
	if e := entries[0]; err != nil || e.Action != convstore.AuditAttachmentReplace || e.ClientRequestID != "put-2" || e.ActorKeyID != f.key.ID {
		t.Fatalf("audit %v %+v", err, entries)
	}
}
