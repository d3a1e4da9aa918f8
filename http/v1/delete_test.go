package v1_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/convstore/convstore/api"
)

func TestDeleteConversationCascades(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.admin, map[string]any{
		"title":    "call",
		"messages": []map[string]any{{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}},
	}, &conv)
	c := "/v1/conversations/" + conv.ID
	var more api.List[api.Message]
	e.must(201, "POST", c+"/messages", e.admin, map[string]any{"role": "user", "content": "c"}, &more)
	var art api.Artifact
	e.must(201, "POST", c+"/artifacts", e.admin, map[string]any{"type": "summary", "text": "abc"}, &art)
	audio := bytes.Repeat([]byte("wav!"), 1000)
	if r := e.do("PUT", c+"/attachments/call.wav", e.admin, audio, "Content-Type", "audio/wav"); r.status != 201 {
		t.Fatalf("%v", r)
	}
	if r := e.do("PUT", c+"/attachments/notes.txt", e.admin, "notes", "Content-Type", "text/plain"); r.status != 201 {
		t.Fatalf("%v", r)
	}

	// The delete key deletes, and the answer is the receipt.
	r := e.do("DELETE", c, e.keys["delete"], nil, "X-Request-Id", "erase-42")
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("%v", r)
	}
	m := hasKeys(t, "delete", r.body, "id", "object", "deleted", "receipt")
	hasKeys(t, "receipt", mustJSON(t, m["receipt"]), deletionKeys...)
	var out api.ConversationDeleted
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	rc := out.Receipt
	var delKey api.List[api.APIKey]
	e.must(200, "GET", "/v1/keys", e.admin, nil, &delKey)
	var deleteKeyID string
	for _, k := range delKey.Data {
		if k.Name == "only delete" {
			deleteKeyID = k.ID
		}
	}
	if out.ID != conv.ID || out.Object != "conversation.deleted" || !out.Deleted || rc.Object != "deletion" ||
		rc.ConversationID != conv.ID || rc.ConversationSeq != conv.Seq || rc.Messages != 3 || rc.Artifacts != 1 ||
		rc.Attachments != 2 || rc.AttachmentBytes != int64(len(audio)+5) || rc.Door != "native" ||
		rc.RequestID != r.header.Get("X-Request-Id") || rc.DeletedBy == nil || *rc.DeletedBy != deleteKeyID {
		t.Fatalf("delete: %s", r.body)
	}

	// Every sub-resource is gone.
	for _, p := range []string{c, c + "/messages", c + "/messages/" + more.Data[0].ID, c + "/artifacts", c + "/artifacts/" + art.ID,
		c + "/attachments", c + "/attachments/call.wav", c + "/attachments/notes.txt"} {
		problem(t, e.do("GET", p, e.admin, nil), 404, "not_found", "")
	}
	problem(t, e.do("PATCH", c, e.admin, map[string]any{"title": "x"}), 404, "not_found", "")
	problem(t, e.do("POST", c+"/messages", e.admin, map[string]any{"role": "user", "content": "late"}), 404, "not_found", "")
	problem(t, e.do("PUT", c+"/attachments/late.wav", e.admin, "x"), 404, "not_found", "")
	var convs api.List[api.Conversation]
	e.must(200, "GET", "/v1/conversations", e.admin, nil, &convs)
	if len(convs.Data) != 0 {
		t.Fatalf("listed after delete: %+v", convs.Data)
	}

	// A second delete is 404; the receipt stays readable.
	problem(t, e.do("DELETE", c, e.admin, nil), 404, "not_found", "")
	var got api.Deletion
	e.must(200, "GET", "/v1/deletions/"+rc.ID, e.keys["read"], nil, &got)
	if string(mustJSON(t, got)) != string(mustJSON(t, rc)) {
		t.Fatalf("receipt %+v, want %+v", got, rc)
	}
	var audit api.List[api.AuditEntry]
	e.must(200, "GET", "/v1/audit", e.admin, nil, &audit)
	if len(audit.Data) != 1 || audit.Data[0].Action != "conversation.delete" || audit.Data[0].TargetID != rc.ID ||
		audit.Data[0].RequestID != r.header.Get("X-Request-Id") || audit.Data[0].Door != "native" {
		t.Fatalf("audit: %+v", audit.Data)
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
