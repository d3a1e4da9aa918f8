package v1_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp/doortest"
)

func TestDeleteConversationCascades(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{
		"title":    "call",
		"messages": []map[string]any{{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}},
	}, &conv)
	c := "/v1/conversations/" + conv.ID
	var more api.List[api.Message]
	e.must(201, "POST", c+"/messages", e.KeyA, map[string]any{"role": "user", "content": "c"}, &more)
	var art api.Artifact
	e.must(201, "POST", c+"/artifacts", e.KeyA, map[string]any{"type": "summary", "text": "abc"}, &art)
	audio := bytes.Repeat([]byte("wav!"), 1000)
	if r := e.do("PUT", c+"/attachments/call.wav", e.KeyA, audio, "Content-Type", "audio/wav"); r.Status != 201 {
		t.Fatalf("%v", r)
	}
	if r := e.do("PUT", c+"/attachments/notes.txt", e.KeyA, "notes", "Content-Type", "text/plain"); r.Status != 201 {
		t.Fatalf("%v", r)
	}

	// The delete key deletes, and the answer is the receipt.
	r := e.do("DELETE", c, e.Scoped["delete"], nil, "X-Request-Id", "erase-42")
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%v", r)
	}
	m := hasKeys(t, "delete", r.Body, "id", "object", "deleted", "receipt")
	hasKeys(t, "receipt", mustJSON(t, m["receipt"]), deletionKeys...)
	var out api.ConversationDeleted
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatal(err)
	}
	rc := out.Receipt
	var delKey api.List[api.APIKey]
	e.must(200, "GET", "/v1/keys", e.KeyA, nil, &delKey)
	var deleteKeyID string
	for _, k := range delKey.Data {
		if k.Name == "only delete" {
			deleteKeyID = k.ID
		}
	}
	if out.ID != conv.ID || out.Object != "conversation.deleted" || !out.Deleted || rc.Object != "deletion" ||
		rc.ConversationID != conv.ID || rc.ConversationSeq != conv.Seq || rc.Messages != 3 || rc.Artifacts != 1 ||
		rc.Attachments != 2 || rc.AttachmentBytes != int64(len(audio)+5) || rc.Door != "native" ||
		rc.RequestID != r.Header.Get("X-Request-Id") || rc.DeletedBy == nil || *rc.DeletedBy != deleteKeyID ||
		rc.ClientRequestID == nil || *rc.ClientRequestID != "erase-42" {
		t.Fatalf("delete: %s", r.Body)
	}

	// Every sub-resource is gone.
	for _, p := range []string{c, c + "/messages", c + "/messages/" + more.Data[0].ID, c + "/artifacts", c + "/artifacts/" + art.ID,
		c + "/attachments", c + "/attachments/call.wav", c + "/attachments/notes.txt"} {
		problem(t, e.do("GET", p, e.KeyA, nil), 404, "not_found", "")
	}
	problem(t, e.do("PATCH", c, e.KeyA, map[string]any{"title": "x"}), 404, "not_found", "")
	problem(t, e.do("POST", c+"/messages", e.KeyA, map[string]any{"role": "user", "content": "late"}), 404, "not_found", "")
	problem(t, e.do("PUT", c+"/attachments/late.wav", e.KeyA, "x"), 404, "not_found", "")
	var convs api.List[api.Conversation]
	e.must(200, "GET", "/v1/conversations", e.KeyA, nil, &convs)
	if len(convs.Data) != 0 {
		t.Fatalf("listed after delete: %+v", convs.Data)
	}

	// A second delete is 404; the receipt stays readable.
	problem(t, e.do("DELETE", c, e.KeyA, nil), 404, "not_found", "")
	var got api.Deletion
	e.must(200, "GET", "/v1/deletions/"+rc.ID, e.Scoped["read"], nil, &got)
	if string(mustJSON(t, got)) != string(mustJSON(t, rc)) {
		t.Fatalf("receipt %+v, want %+v", got, rc)
	}
	deletes := e.audit("conversation.delete")
	if len(deletes) != 1 || deletes[0].TargetID != rc.ID || deletes[0].RequestID != r.Header.Get("X-Request-Id") ||
		deletes[0].Door != "native" || deletes[0].ClientRequestID == nil || *deletes[0].ClientRequestID != "erase-42" {
		t.Fatalf("audit: %s", mustJSON(t, deletes))
	}
}

// TestClientRequestIDNeverPassesForTheServers sends a delete whose
// X-Request-Id is an earlier receipt's request id: the new receipt and its
// audit entry carry a fresh server id, and the client's value apart.
func TestClientRequestIDNeverPassesForTheServers(t *testing.T) {
	t.Parallel()
	e := setup(t)
	del := func(clientID string) (*doortest.Response, api.Deletion) {
		var conv api.Conversation
		e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"title": "x"}, &conv)
		hdr := []string{}
		if clientID != "" {
			hdr = []string{"X-Request-Id", clientID}
		}
		r := e.do("DELETE", "/v1/conversations/"+conv.ID, e.KeyA, nil, hdr...)
		var out api.ConversationDeleted
		if r.Status != 200 || json.Unmarshal(r.Body, &out) != nil {
			t.Fatalf("%v", r)
		}
		return r, out.Receipt
	}
	_, first := del("")
	if first.ClientRequestID != nil {
		t.Fatalf("a delete without X-Request-Id: client_request_id %q, want null", *first.ClientRequestID)
	}
	r, second := del(first.RequestID)
	if second.RequestID == first.RequestID || second.RequestID != r.Header.Get("X-Request-Id") ||
		second.ClientRequestID == nil || *second.ClientRequestID != first.RequestID {
		t.Fatalf("receipt of a delete sent with an earlier receipt's request id %q: %s", first.RequestID, mustJSON(t, second))
	}
	var stored api.Deletion
	e.must(200, "GET", "/v1/deletions/"+second.ID, e.KeyA, nil, &stored)
	if string(mustJSON(t, stored)) != string(mustJSON(t, second)) {
		t.Fatalf("stored receipt %s, want %s", mustJSON(t, stored), mustJSON(t, second))
	}
	var entry *api.AuditEntry
	for _, a := range e.audit("conversation.delete") {
		if a.TargetID == second.ID {
			entry = &a
		}
	}
	if entry == nil || entry.RequestID != second.RequestID || entry.ClientRequestID == nil || *entry.ClientRequestID != first.RequestID {
		t.Fatalf("audit entry of the second delete: %s", mustJSON(t, entry))
	}
	// An unacceptable client id (too long, or with spaces) is dropped.
	for _, bad := range []string{strings.Repeat("x", 129), "two words"} {
		if _, d := del(bad); d.ClientRequestID != nil {
			t.Errorf("X-Request-Id %q stored as %q", bad, *d.ClientRequestID)
		}
	}
}

// mustJSON marshals v.
func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
