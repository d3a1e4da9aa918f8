package openai_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// TestConversationLifecycle creates, retrieves, updates and deletes a
// conversation at both mounts, checking every member the SDK types
// declare and the store behind them.
func TestConversationLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, c := range []*doortest.Client{e.c, e.compat} {
		prefix := ""
		if c == e.compat {
			prefix = "/compat/openai"
		}
		r := c.Do("POST", prefix+"/v1/conversations", map[string]any{"metadata": map[string]string{"topic": "demo", "tier": "gold"},
			"items": []map[string]any{{"type": "message", "role": "user", "content": "hello"}}}, bearer(e.KeyA)...)
		doortest.Expect(t, r, 200, "application/json")
		conv := r.Map(t)
		id, _ := conv["id"].(string)
		if !strings.HasPrefix(id, "conv_") || conv["object"] != "conversation" || len(conv) != 4 {
			t.Fatalf("%v: not a conversation object", r)
		}
		created, _ := conv["created_at"].(float64)
		if d := time.Since(time.Unix(int64(created), 0)); d < -time.Minute || d > time.Minute {
			t.Fatalf("created_at %v is not now in seconds", conv["created_at"])
		}
		if m := conv["metadata"].(map[string]any); len(m) != 2 || m["topic"] != "demo" {
			t.Fatalf("metadata %v", m)
		}
		stored, err := e.Store.FindConversationByID(context.Background(), e.TenantA, nativeID(t, id))
		if err != nil || stored.MessageCount != 1 || stored.Metadata["tier"] != "gold" {
			t.Fatalf("stored %+v, %v", stored, err)
		}

		got := c.Do("GET", prefix+"/v1/conversations/"+id, nil, bearer(e.KeyA)...)
		doortest.Expect(t, got, 200, "application/json")
		if string(got.Body) != string(r.Body) {
			t.Fatalf("retrieve %s, create %s", got.Body, r.Body)
		}

		// Update replaces the metadata; null clears it; absent is refused.
		up := c.Do("POST", prefix+"/v1/conversations/"+id, map[string]any{"metadata": map[string]string{"topic": "other"}}, bearer(e.KeyA)...)
		doortest.Expect(t, up, 200, "application/json")
		if m := up.Map(t)["metadata"].(map[string]any); len(m) != 1 || m["topic"] != "other" {
			t.Fatalf("updated metadata %v", m)
		}
		wantError(t, c.Do("POST", prefix+"/v1/conversations/"+id, map[string]any{}, bearer(e.KeyA)...), 400, "invalid_request_error", "")
		up = c.Do("POST", prefix+"/v1/conversations/"+id, `{"metadata":null}`, bearer(e.KeyA)...)
		doortest.Expect(t, up, 200, "application/json")
		if m := up.Map(t)["metadata"].(map[string]any); len(m) != 0 {
			t.Fatalf("metadata after null: %v", m)
		}

		del := c.Do("DELETE", prefix+"/v1/conversations/"+id, nil, bearer(e.KeyA)...)
		doortest.Expect(t, del, 200, "application/json")
		if string(del.Body) != `{"id":"`+id+`","object":"conversation.deleted","deleted":true}`+"\n" {
			t.Fatalf("delete answered %s", del.Body)
		}
		for table, n := range e.ConversationRows(nativeID(t, id)) {
			if n != 0 {
				t.Fatalf("%s holds %d rows after the delete", table, n)
			}
		}
		wantError(t, c.Do("GET", prefix+"/v1/conversations/"+id, nil, bearer(e.KeyA)...), 404, "invalid_request_error", "")
	}
}

// TestCreateWithoutBody: a create with no body at all is a create with {}.
func TestCreateWithoutBody(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.c.Do("POST", "/v1/conversations", nil, bearer(e.KeyA)...)
	doortest.Expect(t, r, 200, "application/json")
	if m := r.Map(t); m["object"] != "conversation" || len(m["metadata"].(map[string]any)) != 0 {
		t.Fatalf("%v", r)
	}
}

// TestMetadataBounds: 16 pairs, keys of 64 bytes and values of 512 are
// accepted; one more of each, a non-string value and a control character
// are 400 naming metadata, with nothing stored.
func TestMetadataBounds(t *testing.T) {
	t.Parallel()
	e := setup(t)
	pairs := func(n int) map[string]any {
		m := map[string]any{}
		for i := range n {
			m["k"+strings.Repeat("x", i)] = "v"
		}
		return m
	}
	ok := []map[string]any{pairs(16), {strings.Repeat("k", 64): strings.Repeat("v", 512)}}
	for _, m := range ok {
		doortest.Expect(t, e.c.Do("POST", "/v1/conversations", map[string]any{"metadata": m}, bearer(e.KeyA)...), 200, "application/json")
	}
	bad := []map[string]any{pairs(17), {strings.Repeat("k", 65): "v"}, {"k": strings.Repeat("v", 513)}, {"k": 1}, {"k": nil},
		{"k": "a\x01b"}, {"": "v"}}
	for _, m := range bad {
		r := e.c.Do("POST", "/v1/conversations", map[string]any{"metadata": m}, bearer(e.KeyA)...)
		if got := wantError(t, r, 400, "invalid_request_error", ""); got["param"] != "metadata" {
			t.Fatalf("%v: param %v", r, got["param"])
		}
		id := e.createConversation(t)
		r = e.c.Do("POST", "/v1/conversations/"+id, map[string]any{"metadata": m}, bearer(e.KeyA)...)
		wantError(t, r, 400, "invalid_request_error", "")
	}
	convs, _, err := e.Store.FindConversations(context.Background(), e.TenantA, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: 100}})
	if err != nil || len(convs) != len(ok)+len(bad) {
		t.Fatalf("%d conversations stored, want %d: %v", len(convs), len(ok)+len(bad), err)
	}
	for _, c := range convs {
		if len(c.Metadata) > 16 {
			t.Fatalf("a refused update was stored: %v", c.Metadata)
		}
	}
}

// TestTenantIsolation: another tenant's conversation and item ids answer
// every route exactly as a missing or malformed id does, and change
// nothing.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	conv := e.createConversation(t, map[string]any{"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"})
	item := e.must(t, "GET", "/v1/conversations/"+conv+"/items", nil)["data"].([]any)[0].(map[string]any)["id"].(string)
	missing := convstore.NewID().Format(convstore.PrefixConversation)
	for path, methods := range map[string][]string{"": {"GET", "POST", "DELETE"}, "/items": {"GET", "POST"}, "/items/" + item: {"GET", "DELETE"}} {
		for _, m := range methods {
			body := any(nil)
			if m == "POST" {
				body = map[string]any{"metadata": map[string]string{"a": "b"}, "items": []map[string]any{{"role": "user", "content": "x"}}}
			}
			foreign := e.c.Do(m, "/v1/conversations/"+conv+path, body, bearer(e.KeyB)...)
			absent := e.c.Do(m, "/v1/conversations/"+missing+path, body, bearer(e.KeyA)...)
			malformed := e.c.Do(m, "/v1/conversations/conv_nope"+path, body, bearer(e.KeyA)...)
			sameNotFound(t, foreign, absent, malformed)
		}
	}
	// A foreign or missing item of one's own conversation.
	sameNotFound(t,
		e.c.Do("GET", "/v1/conversations/"+conv+"/items/msg_01m84da9czf2dshz2bsxj5yvbx", nil, bearer(e.KeyA)...),
		e.c.Do("GET", "/v1/conversations/"+conv+"/items/nope", nil, bearer(e.KeyA)...),
		e.c.Do("DELETE", "/v1/conversations/"+conv+"/items/fc_01m84da9czf2dshz2bsxj5yvbx", nil, bearer(e.KeyA)...))
	c, err := e.Store.FindConversationByID(context.Background(), e.TenantA, nativeID(t, conv))
	if err != nil || c.MessageCount != 1 || len(c.Metadata) != 0 {
		t.Fatalf("after the foreign requests: %+v, %v", c, err)
	}
}

// TestAuth: no key and a bad key are 401 invalid_api_key with
// WWW-Authenticate; a key without the route's scope is 403.
func TestAuth(t *testing.T) {
	t.Parallel()
	e := setup(t)
	conv := e.createConversation(t)
	for _, h := range [][]string{nil, {"Authorization", "Bearer csk_notakeynotakeynotakey"}, {"Authorization", "Basic abc"}} {
		r := e.c.Do("GET", "/v1/conversations/"+conv, nil, h...)
		wantError(t, r, 401, "invalid_request_error", "invalid_api_key")
		if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatalf("%v: no WWW-Authenticate", r)
		}
	}
	r := e.c.Do("DELETE", "/v1/conversations/"+conv, nil, bearer(e.Scoped[convstore.ScopeRead])...)
	wantError(t, r, 403, "invalid_request_error", "insufficient_permissions")
	r = e.c.Do("POST", "/v1/conversations/"+conv+"/items", map[string]any{"items": []map[string]any{{"role": "user", "content": "x"}}},
		bearer(e.Scoped[convstore.ScopeRead])...)
	wantError(t, r, 403, "invalid_request_error", "insufficient_permissions")
	doortest.Expect(t, e.c.Do("GET", "/v1/conversations/"+conv, nil, bearer(e.Scoped[convstore.ScopeRead])...), 200, "application/json")
	doortest.Expect(t, e.c.Do("DELETE", "/v1/conversations/"+conv, nil, bearer(e.Scoped[convstore.ScopeDelete])...), 200, "application/json")
}

// TestMethodsAndMedia: an unrouted method is 405 and a body that is not
// JSON 415, both in OpenAI's error shape.
func TestMethodsAndMedia(t *testing.T) {
	t.Parallel()
	e := setup(t)
	conv := e.createConversation(t)
	wantError(t, e.c.Do("PATCH", "/v1/conversations/"+conv, map[string]any{}, bearer(e.KeyA)...), 405, "invalid_request_error", "method_not_allowed")
	wantError(t, e.c.Do("PUT", "/v1/conversations/"+conv+"/items", map[string]any{}, bearer(e.KeyA)...), 405, "invalid_request_error", "method_not_allowed")
	r := e.c.Do("POST", "/v1/conversations", `{"metadata":{}}`, bearer(e.KeyA, "Content-Type", "text/plain")...)
	wantError(t, r, 415, "invalid_request_error", "unsupported_media_type")
	wantError(t, e.c.Do("POST", "/v1/conversations", `{"metadata":`, bearer(e.KeyA)...), 400, "invalid_request_error", "invalid_json")
	wantError(t, e.c.Do("POST", "/v1/conversations", `[1]`, bearer(e.KeyA)...), 400, "invalid_request_error", "invalid_json")
	wantError(t, e.c.Do("POST", "/v1/conversations", `{"items":{}}`, bearer(e.KeyA)...), 400, "invalid_request_error", "")
}

// TestOtherDoorsConversation: a conversation written natively, with
// messages of every role, reads as message items of its text.
func TestOtherDoorsConversation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c, msgs, err := e.Store.CreateConversation(context.Background(), e.TenantA, &convstore.ConversationCreate{
		AgentID: "bot", Metadata: convstore.Metadata{"botpress.channel": "web"},
		Messages: []*convstore.MessageCreate{
			{Role: convstore.RoleSystem, Content: "be kind"}, {Role: convstore.RoleUser, Content: "hi <there>"},
			{Role: convstore.RoleAssistant, Content: "hello"}, {Role: convstore.RoleTool, Content: "42", Parts: json.RawMessage(`{"x":1}`)},
		}})
	if err != nil {
		t.Fatal(err)
	}
	id := c.ID.Format(convstore.PrefixConversation)
	conv := e.must(t, "GET", "/v1/conversations/"+id, nil)
	if conv["metadata"].(map[string]any)["botpress.channel"] != "web" {
		t.Fatalf("metadata %v", conv["metadata"])
	}
	r := e.c.Do("GET", "/v1/conversations/"+id+"/items?order=asc", nil, bearer(e.KeyA)...)
	doortest.Expect(t, r, 200, "application/json")
	var list struct {
		Object          string
		Data            []map[string]any
		FirstID, LastID string `json:"-"`
		HasMore         bool   `json:"has_more"`
	}
	r.JSON(t, &list)
	want := []string{
		`{"content":[{"text":"be kind","type":"input_text"}],"id":"` + msgs[0].ID.Format("msg") + `","role":"system","status":"completed","type":"message"}`,
		`{"content":[{"text":"hi <there>","type":"input_text"}],"id":"` + msgs[1].ID.Format("msg") + `","role":"user","status":"completed","type":"message"}`,
		`{"content":[{"annotations":[],"text":"hello","type":"output_text"}],"id":"` + msgs[2].ID.Format("msg") + `","role":"assistant","status":"completed","type":"message"}`,
		`{"content":[{"text":"42","type":"input_text"}],"id":"` + msgs[3].ID.Format("msg") + `","role":"tool","status":"completed","type":"message"}`,
	}
	if list.Object != "list" || len(list.Data) != len(want) || list.HasMore {
		t.Fatalf("%s", r.Body)
	}
	for i, item := range list.Data {
		if got, _ := json.Marshal(item); !jsonEqual(t, got, []byte(want[i])) {
			t.Errorf("item %d: %s\nwant %s", i, got, want[i])
		}
	}
	m := r.Map(t)
	if m["first_id"] != msgs[0].ID.Format("msg") || m["last_id"] != msgs[3].ID.Format("msg") {
		t.Fatalf("first_id %v last_id %v", m["first_id"], m["last_id"])
	}
}

// jsonEqual reports whether two JSON texts are the same value.
func jsonEqual(tb testing.TB, a, b []byte) bool {
	tb.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		tb.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		tb.Fatalf("%s: %v", b, err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
