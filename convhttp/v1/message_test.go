package v1_test

import (
	"encoding/json"
	"testing"

	"github.com/convstore/convstore/api"
)

func TestMessages(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &conv)
	base := "/v1/conversations/" + conv.ID + "/messages"

	// A single message object.
	r := e.must(201, "POST", base, e.KeyA, map[string]any{
		"role": "user", "content": "hello", "author_name": "Ann", "start_offset_ms": 250, "end_offset_ms": 1250,
		"metadata": map[string]string{"lang": "en"},
	}, nil)
	var one api.List[api.Message]
	_ = json.Unmarshal(r.Body, &one)
	checkList(t, r, messageKeys, []string{one.Data[0].ID}, false)
	m := one.Data[0]
	if m.Object != "message" || m.ConversationID != conv.ID || m.Role != "user" || m.Content != "hello" ||
		*m.AuthorName != "Ann" || *m.StartOffsetMS != 250 || *m.EndOffsetMS != 1250 || m.Metadata["lang"] != "en" ||
		string(m.Parts) != "null" {
		t.Fatalf("single: %s", r.Body)
	}

	// A batch, with structured parts.
	var batch api.List[api.Message]
	r = e.must(201, "POST", base, e.KeyA, map[string]any{"messages": []map[string]any{
		{"role": "assistant", "content": "hi"},
		{"role": "tool", "parts": []map[string]any{{"type": "json", "value": 1}}},
		{"role": "user", "content": "bye", "parts": nil},
	}}, &batch)
	if len(batch.Data) != 3 || batch.Data[1].Content != "" || string(batch.Data[1].Parts) != `[{"type":"json","value":1}]` ||
		batch.Data[0].AuthorName != nil || batch.Data[0].StartOffsetMS != nil {
		t.Fatalf("batch: %s", r.Body)
	}
	ids := []string{m.ID, batch.Data[0].ID, batch.Data[1].ID, batch.Data[2].ID}

	// List: oldest first by default; pages; descending.
	r = e.must(200, "GET", base, e.KeyA, nil, nil)
	checkList(t, r, messageKeys, ids, false)
	r = e.must(200, "GET", base+"?limit=3", e.KeyA, nil, nil)
	checkList(t, r, messageKeys, ids[:3], true)
	r = e.must(200, "GET", base+"?limit=3&after="+ids[2], e.KeyA, nil, nil)
	checkList(t, r, messageKeys, ids[3:], false)
	r = e.must(200, "GET", base+"?order=desc&limit=2", e.KeyA, nil, nil)
	checkList(t, r, messageKeys, []string{ids[3], ids[2]}, true)

	// The conversation counts them.
	var got api.Conversation
	e.must(200, "GET", "/v1/conversations/"+conv.ID, e.KeyA, nil, &got)
	if got.MessageCount != 4 {
		t.Fatalf("message_count %d, want 4", got.MessageCount)
	}

	// Get and delete one.
	r = e.must(200, "GET", base+"/"+ids[1], e.KeyA, nil, nil)
	if hasKeys(t, "get", r.Body, messageKeys...)["id"] != ids[1] {
		t.Fatalf("get: %s", r.Body)
	}
	r = e.must(200, "DELETE", base+"/"+ids[1], e.KeyA, nil, nil)
	if d := hasKeys(t, "delete", r.Body, deletedKeys...); d["id"] != ids[1] || d["object"] != "message.deleted" || d["deleted"] != true {
		t.Fatalf("delete: %s", r.Body)
	}
	problem(t, e.do("GET", base+"/"+ids[1], e.KeyA, nil), 404, "not_found", "")
	problem(t, e.do("DELETE", base+"/"+ids[1], e.KeyA, nil), 404, "not_found", "")

	// A message id under another conversation is not found there.
	var other api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &other)
	problem(t, e.do("GET", "/v1/conversations/"+other.ID+"/messages/"+ids[0], e.KeyA, nil), 404, "not_found", "")
}

func TestArtifacts(t *testing.T) {
	t.Parallel()
	e := setup(t)
	f := e.populate()
	base := "/v1/conversations/" + f.conv + "/artifacts"

	var a api.Artifact
	r := e.must(201, "POST", base, e.KeyA, map[string]any{
		"type": "insight", "data": map[string]any{"sentiment": "positive"}, "score": 0.75, "message_ids": []string{f.msg},
	}, &a)
	hasKeys(t, "create", r.Body, artifactKeys...)
	if a.Object != "artifact" || a.Type != "insight" || a.Text != "" || string(a.Data) != `{"sentiment":"positive"}` ||
		*a.Score != 0.75 || len(a.MessageIDs) != 1 || a.MessageIDs[0] != f.msg || a.ConversationID != f.conv {
		t.Fatalf("create: %s", r.Body)
	}
	var b api.Artifact
	r = e.must(201, "POST", base, e.KeyA, map[string]any{"type": "topic", "text": "billing"}, &b)
	if b.Score != nil || string(b.Data) != "null" || b.MessageIDs == nil || len(b.MessageIDs) != 0 {
		t.Fatalf("text only: %s", r.Body)
	}

	r = e.must(200, "GET", base, e.KeyA, nil, nil)
	checkList(t, r, artifactKeys, []string{f.art, a.ID, b.ID}, false)
	r = e.must(200, "GET", base+"?type=topic", e.KeyA, nil, nil)
	checkList(t, r, artifactKeys, []string{b.ID}, false)
	r = e.must(200, "GET", base+"?type=question", e.KeyA, nil, nil)
	checkList(t, r, artifactKeys, nil, false)
	r = e.must(200, "GET", base+"?order=desc&limit=1", e.KeyA, nil, nil)
	checkList(t, r, artifactKeys, []string{b.ID}, true)

	r = e.must(200, "GET", base+"/"+a.ID, e.KeyA, nil, nil)
	hasKeys(t, "get", r.Body, artifactKeys...)
	r = e.must(200, "DELETE", base+"/"+a.ID, e.KeyA, nil, nil)
	if d := hasKeys(t, "delete", r.Body, deletedKeys...); d["id"] != a.ID || d["object"] != "artifact.deleted" {
		t.Fatalf("delete: %s", r.Body)
	}
	problem(t, e.do("GET", base+"/"+a.ID, e.KeyA, nil), 404, "not_found", "")
}

func TestFindByIDAlone(t *testing.T) {
	t.Parallel()
	e := setup(t)
	f := e.populate()
	var m api.Message
	r := e.must(200, "GET", "/v1/messages/"+f.msg, e.KeyA, nil, &m)
	hasKeys(t, "message", r.Body, messageKeys...)
	if m.ID != f.msg || m.ConversationID != f.conv {
		t.Errorf("message by id: %s", r.Body)
	}
	var a api.Artifact
	r = e.must(200, "GET", "/v1/artifacts/"+f.art, e.KeyA, nil, &a)
	hasKeys(t, "artifact", r.Body, artifactKeys...)
	if a.ID != f.art || a.ConversationID != f.conv {
		t.Errorf("artifact by id: %s", r.Body)
	}
	problem(t, e.do("GET", "/v1/messages/"+f.art, e.KeyA, nil), 400, "invalid_parameter", "message_id")
	problem(t, e.do("GET", "/v1/artifacts/"+f.msg, e.KeyA, nil), 400, "invalid_parameter", "artifact_id")
	// Gone with their conversation.
	e.must(200, "DELETE", "/v1/conversations/"+f.conv, e.KeyA, nil, nil)
	problem(t, e.do("GET", "/v1/messages/"+f.msg, e.KeyA, nil), 404, "not_found", "")
	problem(t, e.do("GET", "/v1/artifacts/"+f.art, e.KeyA, nil), 404, "not_found", "")
}
