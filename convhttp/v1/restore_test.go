package v1_test

import (
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// With a restore window set through PUT /v1/retention, a delete answers a
// receipt with restorable_until, the conversation is listed by
// ?deleted=true only, and POST …/restore (delete scope) brings it back.
func TestRestoreWindow(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var ret api.Retention
	e.must(200, "PUT", "/v1/retention", e.KeyA, map[string]any{"policies": []any{}, "restore_window_days": 7}, &ret)
	if ret.RestoreWindowDays != 7 {
		t.Fatalf("put: %+v", ret)
	}
	e.must(200, "GET", "/v1/retention", e.KeyA, nil, &ret)
	if ret.RestoreWindowDays != 7 {
		t.Fatalf("get: %+v", ret)
	}
	if r := e.do("PUT", "/v1/retention", e.KeyA, map[string]any{"policies": []any{}, "restore_window_days": 366}); r.Status != 422 && r.Status != 400 {
		t.Fatalf("a 366-day window: %v", r)
	}

	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{
		"title": "call", "messages": []map[string]any{{"role": "user", "content": "kept"}},
	}, &conv)
	c := "/v1/conversations/" + conv.ID
	if r := e.do("PUT", c+"/attachments/notes.txt", e.KeyA, "notes", "Content-Type", "text/plain"); r.Status != 201 {
		t.Fatalf("%v", r)
	}
	var del api.ConversationDeleted
	e.must(200, "DELETE", c, e.Scoped["delete"], nil, &del)
	if del.Receipt.RestorableUntil == nil || *del.Receipt.RestorableUntil < del.Receipt.CreatedAt+7*86400 || del.Receipt.KeyEpoch != nil {
		t.Fatalf("receipt: %+v", del.Receipt)
	}
	if r := e.do("GET", c, e.KeyA, nil); r.Status != 404 {
		t.Fatalf("get of a deleted conversation: %v", r)
	}
	var live, deleted api.List[api.Conversation]
	e.must(200, "GET", "/v1/conversations", e.KeyA, nil, &live)
	e.must(200, "GET", "/v1/conversations?deleted=true", e.KeyA, nil, &deleted)
	if len(live.Data) != 0 || len(deleted.Data) != 1 || deleted.Data[0].ID != conv.ID {
		t.Fatalf("live %+v, deleted %+v", live.Data, deleted.Data)
	}
	if r := e.do("GET", "/v1/conversations?deleted=maybe", e.KeyA, nil); r.Status != 400 {
		t.Errorf("deleted=maybe: %v", r)
	}

	// A write-only key may not restore; another tenant's key and an
	// unknown id get 404.
	if r := e.do("POST", c+"/restore", e.Scoped[convstore.ScopeWrite], nil); r.Status != 403 {
		t.Errorf("restore with the write scope: %v", r)
	}
	if r := e.do("POST", c+"/restore", e.KeyB, nil); r.Status != 404 {
		t.Errorf("restore by another tenant: %v", r)
	}
	if r := e.do("POST", "/v1/conversations/"+convstore.NewID().Format(convstore.PrefixConversation)+"/restore", e.KeyA, nil); r.Status != 404 {
		t.Errorf("restore of an unknown id: %v", r)
	}

	var back api.Conversation
	e.must(200, "POST", c+"/restore", e.Scoped["delete"], nil, &back)
	if back.ID != conv.ID || back.Title != "call" {
		t.Fatalf("restored: %+v", back)
	}
	var msgs api.List[api.Message]
	e.must(200, "GET", c+"/messages", e.KeyA, nil, &msgs)
	if len(msgs.Data) != 1 {
		t.Errorf("messages after the restore: %+v", msgs.Data)
	}
	if r := e.do("GET", c+"/attachments/notes.txt", e.KeyA, nil); r.Status != 200 || string(r.Body) != "notes" {
		t.Errorf("attachment after the restore: %v", r)
	}
	var receipt api.Deletion
	e.must(200, "GET", "/v1/deletions/"+del.Receipt.ID, e.KeyA, nil, &receipt)
	if receipt.RestoredAt == nil {
		t.Errorf("receipt after the restore: %+v", receipt)
	}
	if r := e.do("POST", c+"/restore", e.KeyA, nil); r.Status != 404 {
		t.Errorf("a second restore: %v", r)
	}

	// A PUT without the window turns it off: the next delete is final.
	e.must(200, "PUT", "/v1/retention", e.KeyA, map[string]any{"policies": []any{}}, &ret)
	if ret.RestoreWindowDays != 0 {
		t.Fatalf("put without the window: %+v", ret)
	}
	e.must(200, "DELETE", c, e.KeyA, nil, &del)
	if del.Receipt.RestorableUntil != nil {
		t.Errorf("receipt with the window off: %+v", del.Receipt)
	}
	if r := e.do("POST", c+"/restore", e.KeyA, nil); r.Status != 404 {
		t.Errorf("restore with the window off: %v", r)
	}
}
