package inkeep_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

func TestLogConversationWithoutID(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.must(t, "POST", "/conversations", map[string]any{
		"type":     "openai",
		"messages": []any{map[string]any{"role": "user", "content": "Can I log any conversation?"}, map[string]any{"role": "assistant", "content": "Yes."}},
	})
	checkConversation(t, c)
	if !strings.HasPrefix(c["id"].(string), "conv_") || len(c["id"].(string)) != 31 {
		t.Fatalf("id %v, want a native conv_ id", c["id"])
	}
	for _, k := range []string{"externalId", "externalUrl", "supportTicketConversationId", "projectId", "integrationId", "visibility", "properties", "userProperties", "tags"} {
		if c[k] != nil {
			t.Fatalf("%s = %v, want null", k, c[k])
		}
	}
	m := msgs(c)
	if len(m) != 2 || m[0]["content"] != "Can I log any conversation?" || m[1]["role"] != "assistant" || !strings.HasPrefix(m[0]["id"].(string), "msg_") {
		t.Fatalf("messages %v", m)
	}
	for _, k := range []string{"externalId", "externalUrl", "name", "links", "properties", "userProperties", "tool_calls"} {
		if m[0][k] != nil {
			t.Fatalf("message %s = %v, want null", k, m[0][k])
		}
	}
	// The same body again without an id is a second conversation.
	c2 := e.must(t, "POST", "/conversations", map[string]any{"type": "openai", "messages": []any{map[string]any{"role": "user", "content": "x"}}})
	if c2["id"] == c["id"] {
		t.Fatal("a body without id must create a new conversation")
	}
	// Its native id upserts it.
	c3 := e.must(t, "POST", "/conversations", map[string]any{"id": c["id"], "type": "openai", "messages": []any{
		map[string]any{"role": "user", "content": "Can I log any conversation?"}, map[string]any{"role": "assistant", "content": "Yes."},
		map[string]any{"role": "user", "content": "Thanks"},
	}})
	if c3["id"] != c["id"] || len(msgs(c3)) != 3 || msgs(c3)[2]["content"] != "Thanks" || msgs(c3)[0]["id"] != m[0]["id"] {
		t.Fatalf("upsert by native id: %v", c3)
	}
}

func TestLogConversationUpsertRoundTrip(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	first := map[string]any{
		"id": "conv_1234", "type": "openai", "externalId": "ext-1", "externalUrl": "https://example.com/c/1",
		"createdAt": "2024-01-31T12:00:00+01:00", "projectId": "proj", "integrationId": "integ", "visibility": "public",
		"properties": map[string]any{"source": "web", "n": 3}, "userProperties": map[string]any{"userId": 42, "userType": "free"},
		"tags": []string{"a", "b"},
		"messages": []any{
			map[string]any{"id": "m1", "role": "system", "content": "Be brief."},
			map[string]any{"id": "m2", "role": "user", "content": []any{
				map[string]any{"type": "text", "text": "What is this?"},
				map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/i.png", "detail": "low"}},
			}, "name": "alice", "externalId": "e2", "createdAt": "2024-01-31T11:00:00Z"},
		},
	}
	c := e.must(t, "POST", "/conversations", first)
	checkConversation(t, c)
	want := map[string]any{"id": "conv_1234", "externalId": "ext-1", "externalUrl": "https://example.com/c/1", "createdAt": "2024-01-31T11:00:00.000Z",
		"projectId": "proj", "integrationId": "integ", "visibility": "public"}
	for k, v := range want {
		if c[k] != v {
			t.Fatalf("%s = %v, want %v", k, c[k], v)
		}
	}
	if p, _ := json.Marshal(c["properties"]); string(p) != `{"n":3,"source":"web"}` {
		t.Fatalf("properties %s", p)
	}
	if u, _ := json.Marshal(c["userProperties"]); string(u) != `{"userId":42,"userType":"free"}` {
		t.Fatalf("userProperties %s", u)
	}
	if tg, _ := json.Marshal(c["tags"]); string(tg) != `["a","b"]` {
		t.Fatalf("tags %s", tg)
	}
	m := msgs(c)
	if ct, _ := json.Marshal(m[1]["content"]); string(ct) != `[{"text":"What is this?","type":"text"},{"image_url":{"detail":"low","url":"https://example.com/i.png"},"type":"image_url"}]` {
		t.Fatalf("array content %s", ct)
	}
	if m[1]["name"] != "alice" || m[1]["externalId"] != "e2" || m[1]["createdAt"] != "2024-01-31T11:00:00.000Z" || m[0]["role"] != "system" {
		t.Fatalf("message members %v", m[1])
	}
	// Second log: all messages again (one by its native id, one by its
	// client id) plus two new ones with links and tool calls; tags cleared,
	// visibility kept by omission.
	second := map[string]any{
		"id": "conv_1234", "type": "openai", "tags": nil, "projectId": "proj2",
		"messages": []any{
			map[string]any{"id": m[0]["id"], "role": "system", "content": "Be brief."},
			map[string]any{"id": "m2", "role": "user", "content": "changed text is ignored"},
			map[string]any{"role": "assistant", "content": "", "tool_calls": []any{map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "lookup", "arguments": `{"q":1}`}}}},
			map[string]any{"id": "m4", "role": "assistant", "content": "See docs.", "links": []any{map[string]any{"url": "https://docs.example.com", "title": "Docs", "breadcrumbs": []string{"a", "b"}}}},
		},
	}
	c2 := e.must(t, "POST", "/conversations", second)
	checkConversation(t, c2)
	if c2["id"] != "conv_1234" || c2["tags"] != nil || c2["visibility"] != "public" || c2["projectId"] != "proj2" || c2["externalId"] != "ext-1" {
		t.Fatalf("patched fields %v", c2)
	}
	m2 := msgs(c2)
	if len(m2) != 4 || m2[0]["id"] != m[0]["id"] || m2[1]["id"] != m[1]["id"] || m2[2]["content"] != "" || m2[3]["content"] != "See docs." {
		t.Fatalf("messages after upsert %v", m2)
	}
	if ct, _ := json.Marshal(m2[1]["content"]); !strings.Contains(string(ct), "What is this?") {
		t.Fatalf("stored message changed: %s", ct)
	}
	if tc, _ := json.Marshal(m2[2]["tool_calls"]); string(tc) != `[{"function":{"arguments":"{\"q\":1}","name":"lookup"},"id":"call_1","type":"function"}]` {
		t.Fatalf("tool_calls %s", tc)
	}
	if l, _ := json.Marshal(m2[3]["links"]); string(l) != `[{"breadcrumbs":["a","b"],"description":null,"label":null,"title":"Docs","type":null,"url":"https://docs.example.com"}]` {
		t.Fatalf("links %s", l)
	}
	if oa, _ := json.Marshal(c2["messagesOpenAIFormat"].([]any)[2]); !strings.Contains(string(oa), `"id":"call_1"`) || !strings.Contains(string(oa), `"role":"assistant"`) {
		t.Fatalf("openai format %s", oa)
	}
	// Third log with the same messages: nothing is appended, one
	// conversation holds everything.
	c3 := e.must(t, "POST", "/conversations", second)
	if len(msgs(c3)) != 4 {
		t.Fatalf("repeat upsert appended: %d messages", len(msgs(c3)))
	}
	if n, err := e.Store.CountConversations(ctx, e.TenantA, convstore.ConversationFilter{}); err != nil || n != 1 {
		t.Fatalf("conversations %d %v, want 1", n, err)
	}
	conv, err := e.Store.FindConversationByExternalID(ctx, e.TenantA, "inkeep:conv_1234")
	if err != nil || conv.MessageCount != 4 || conv.UserID != "42" {
		t.Fatalf("stored %+v %v", conv, err)
	}
	arts, _, err := e.Store.FindArtifacts(ctx, e.TenantA, conv.ID, convstore.ArtifactFilter{})
	if err != nil || len(arts) != 1 {
		t.Fatalf("want exactly one field artifact, got %d %v", len(arts), err)
	}
	// GET answers the same conversation.
	g := e.must(t, "GET", "/conversations/conv_1234", nil)
	if gb, _ := json.Marshal(g); !strings.Contains(string(gb), `"id":"conv_1234"`) || len(msgs(g)) != 4 {
		t.Fatalf("get %s", gb)
	}
}

func TestLogConversationValidation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		field  string
	}{
		{"not json", `{"type":`, 400, "bad_request", ""},
		{"empty", ``, 400, "bad_request", ""},
		{"array", `[]`, 400, "bad_request", ""},
		{"no type", `{"messages":[{"role":"user","content":"x"}]}`, 422, "unprocessable_entity", "type"},
		{"support ticket", `{"type":"support_ticket","messages":[{"role":"user","content":"x"}]}`, 422, "unprocessable_entity", "openai"},
		{"bad type", `{"type":"chat","messages":[{"role":"user","content":"x"}]}`, 422, "unprocessable_entity", "type"},
		{"no messages", `{"type":"openai"}`, 422, "unprocessable_entity", "messages"},
		{"zero messages", `{"type":"openai","messages":[]}`, 422, "unprocessable_entity", "messages"},
		{"tool role", `{"type":"openai","messages":[{"role":"tool","content":"x"}]}`, 422, "unprocessable_entity", "messages[0].role"},
		{"content number", `{"type":"openai","messages":[{"role":"user","content":5}]}`, 422, "unprocessable_entity", "messages[0].content"},
		{"content item type", `{"type":"openai","messages":[{"role":"user","content":[{"type":"audio"}]}]}`, 422, "unprocessable_entity", "messages[0].content[0].type"},
		{"tags type", `{"type":"openai","tags":"a","messages":[{"role":"user","content":"x"}]}`, 422, "unprocessable_entity", "tags"},
		{"visibility", `{"type":"openai","visibility":"secret","messages":[{"role":"user","content":"x"}]}`, 422, "unprocessable_entity", "visibility"},
		{"createdAt", `{"type":"openai","createdAt":"yesterday","messages":[{"role":"user","content":"x"}]}`, 422, "unprocessable_entity", "createdAt"},
		{"userProperties", `{"type":"openai","userProperties":{"userId":{}},"messages":[{"role":"user","content":"x"}]}`, 422, "unprocessable_entity", "userProperties.userId"},
		{"tool call", `{"type":"openai","messages":[{"role":"assistant","content":"x","tool_calls":[{"id":"c","type":"function"}]}]}`, 422, "unprocessable_entity", "messages[0].tool_calls[0].function"},
		{"duplicate ids", `{"type":"openai","messages":[{"id":"a","role":"user","content":"x"},{"id":"a","role":"user","content":"y"}]}`, 422, "unprocessable_entity", "messages[1].id"},
		{"id too long", `{"id":"` + strings.Repeat("x", 250) + `","type":"openai","messages":[{"role":"user","content":"x"}]}`, 422, "unprocessable_entity", "id"},
		{"url too long", `{"type":"openai","externalUrl":"` + strings.Repeat("x", 513) + `","messages":[{"role":"user","content":"x"}]}`, 422, "unprocessable_entity", "externalUrl"},
	}
	for _, tc := range tests {
		r := e.c.Do("POST", "/conversations", tc.body, bearer(e.KeyA)...)
		p := problem(t, r, tc.status, tc.code)
		if !strings.Contains(p["detail"].(string), tc.field) || p["instance"] != "/conversations" {
			t.Errorf("%s: detail %q instance %q, want mention of %q", tc.name, p["detail"], p["instance"], tc.field)
		}
	}
	if n, _ := e.Store.CountConversations(context.Background(), e.TenantA, convstore.ConversationFilter{}); n != 0 {
		t.Fatalf("a rejected body wrote %d conversations", n)
	}
	// The exact shape of one 422.
	r := e.c.Do("POST", "/conversations", `{"type":"openai"}`, bearer(e.KeyA)...)
	p := r.Map(t)
	delete(p, "requestId")
	if b, _ := json.Marshal(p); string(b) != `{"code":"unprocessable_entity","detail":"messages must contain at least one message.","error":{"code":"unprocessable_entity","message":"messages must contain at least one message."},"instance":"/conversations","status":422,"title":"Unprocessable Entity","type":"about:blank"}` {
		t.Fatalf("422 body %s", b)
	}
}

func TestListConversations(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for i := range 5 {
		e.must(t, "POST", "/conversations", map[string]any{"id": "c" + string(rune('0'+i)), "type": "openai", "messages": []any{map[string]any{"role": "user", "content": "x"}}})
	}
	// Another door's conversation with a tool message and foreign parts.
	_, _, err := e.Store.CreateConversation(context.Background(), e.TenantA, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{
		{Role: convstore.RoleTool, Content: "42", Parts: json.RawMessage(`{"kind":"result"}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	e.c.Do("POST", "/conversations", map[string]any{"type": "openai", "messages": []any{map[string]any{"role": "user", "content": "x"}}}, bearer(e.KeyB)...)

	l := e.must(t, "GET", "/conversations", nil)
	keysOf(t, "list", l, "conversations", "total", "pageSize", "count")
	if l["total"] != 6.0 || l["pageSize"] != 20.0 || l["count"] != 6.0 {
		t.Fatalf("list %v %v %v", l["total"], l["pageSize"], l["count"])
	}
	convs := l["conversations"].([]any)
	for _, c := range convs {
		checkConversation(t, c.(map[string]any))
	}
	newest := convs[0].(map[string]any)
	if m := msgs(newest); !strings.HasPrefix(newest["id"].(string), "conv_") || m[0]["role"] != "assistant" || m[0]["content"] != "42" {
		t.Fatalf("other door's conversation %v", newest)
	}
	p := e.must(t, "GET", "/conversations?limit=2&offset=1", nil)
	if p["total"] != 6.0 || p["pageSize"] != 2.0 || p["count"] != 2.0 || p["conversations"].([]any)[0].(map[string]any)["id"] != "c4" {
		t.Fatalf("page %v", p)
	}
	z := e.must(t, "GET", "/conversations?limit=0", nil)
	if z["count"] != 0.0 || len(z["conversations"].([]any)) != 0 || z["total"] != 6.0 {
		t.Fatalf("limit 0: %v", z)
	}
	for _, q := range []string{"limit=101", "limit=-1", "limit=x", "offset=-1", "offset=100001", "offset=1.5"} {
		problem(t, e.c.Do("GET", "/conversations?"+q, nil, bearer(e.KeyA)...), 400, "bad_request")
	}
}

func TestDeleteConversation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	c := e.must(t, "POST", "/conversations", map[string]any{"id": "bye", "type": "openai", "tags": []string{"t"}, "messages": []any{
		map[string]any{"role": "user", "content": "q"}, map[string]any{"role": "assistant", "content": "a"}}})
	msgID := msgs(c)[1]["id"].(string)
	fb := e.must(t, "POST", "/feedback", map[string]any{"type": "positive", "messageId": msgID})
	conv, err := e.Store.FindConversationByExternalID(ctx, e.TenantA, "inkeep:bye")
	if err != nil {
		t.Fatal(err)
	}
	r := e.c.Do("DELETE", "/conversations/bye", nil, bearer(e.KeyA)...)
	doortest.Expect(t, r, 200, "application/json")
	if string(r.Body) != `{"success":true,"message":"Conversation deleted successfully"}`+"\n" {
		t.Fatalf("delete body %q", r.Body)
	}
	problem(t, e.c.Do("GET", "/conversations/bye", nil, bearer(e.KeyA)...), 404, "not_found")
	problem(t, e.c.Do("DELETE", "/conversations/bye", nil, bearer(e.KeyA)...), 404, "not_found")
	problem(t, e.c.Do("GET", "/feedback/"+fb["id"].(string), nil, bearer(e.KeyA)...), 404, "not_found")
	dels, _, err := e.Store.FindDeletions(ctx, e.TenantA, convstore.DeletionFilter{})
	if err != nil || len(dels) != 1 {
		t.Fatalf("deletions %v %v", dels, err)
	}
	d := dels[0]
	if d.Door != "inkeep" || d.ConversationID != conv.ID || d.Messages != 2 || d.Artifacts != 2 || d.ActorKeyID != e.KeyAID || d.RequestID != r.Header.Get("X-Request-Id") {
		t.Fatalf("receipt %+v", d)
	}
	if _, err := e.Store.FindMessageByID(ctx, e.TenantA, convstore.ID{}, mustParse(t, convstore.PrefixMessage, msgID)); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("message survived: %v", err)
	}
	if _, err := e.Store.FindArtifactByID(ctx, e.TenantA, convstore.ID{}, mustParse(t, convstore.PrefixArtifact, fb["id"].(string))); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("feedback survived: %v", err)
	}
	if _, _, err := e.Store.FindAttachments(ctx, e.TenantA, conv.ID, convstore.AttachmentFilter{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("attachments still listed: %v", err)
	}
	// A late log under the id does not bring it back: its tombstone holds it.
	problem(t, e.c.Do("POST", "/conversations", map[string]any{"id": "bye", "type": "openai", "messages": []any{map[string]any{"role": "user", "content": "again"}}},
		bearer(e.KeyA)...), 404, "not_found")
}
