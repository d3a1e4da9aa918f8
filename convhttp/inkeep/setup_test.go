package inkeep_test

import (
	"encoding/json"
	"testing"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/inkeep"
)

// env is a store with tenants A and B and the door mounted twice: at the
// root of its own server and under /compat/inkeep of another.
type env struct {
	*doortest.Env
	c      *doortest.Client // door at "/"
	compat *doortest.Client // door at "/compat/inkeep"
}

func setup(tb testing.TB) *env {
	tb.Helper()
	e := doortest.New(tb)
	return &env{
		Env:    e,
		c:      e.Serve(func(s *convhttp.Server) { s.Mount("/", inkeep.New(s)) }),
		compat: e.Serve(func(s *convhttp.Server) { s.Mount("/compat/inkeep", inkeep.New(s)) }),
	}
}

// bearer returns the Authorization header pair of a key.
func bearer(key string) []string { return []string{"Authorization", "Bearer " + key} }

// must sends a request with tenant A's admin key and expects a 200 JSON body.
func (e *env) must(tb testing.TB, method, path string, body any) map[string]any {
	tb.Helper()
	r := e.c.Do(method, path, body, bearer(e.KeyA)...)
	doortest.Expect(tb, r, 200, "application/json")
	return r.Map(tb)
}

// problem checks an Inkeep problem body: status, content type, every member
// with its type, and the codes.
func problem(tb testing.TB, r *doortest.Response, status int, code string) map[string]any {
	tb.Helper()
	doortest.Expect(tb, r, status, inkeep.ContentTypeProblem)
	var p map[string]any
	if err := json.Unmarshal(r.Body, &p); err != nil {
		tb.Fatalf("%v: %v", r, err)
	}
	for _, k := range []string{"title", "detail", "instance", "requestId", "code", "type"} {
		if _, ok := p[k].(string); !ok {
			tb.Fatalf("%v: member %q missing or not a string", r, k)
		}
	}
	if p["status"] != float64(status) || p["code"] != code {
		tb.Fatalf("%v: want status %d code %q", r, status, code)
	}
	if p["requestId"] != r.Header.Get("X-Request-Id") || p["requestId"] == "" {
		tb.Fatalf("%v: requestId %v, header %q", r, p["requestId"], r.Header.Get("X-Request-Id"))
	}
	perr, ok := p["error"].(map[string]any)
	if !ok || perr["code"] != code || perr["message"] != p["detail"] || len(perr) != 2 {
		tb.Fatalf("%v: legacy error member wrong", r)
	}
	if len(p) != 8 {
		tb.Fatalf("%v: want exactly 8 members", r)
	}
	return p
}

// withoutRequest returns a problem body without its per-request members.
func withoutRequest(tb testing.TB, r *doortest.Response) string {
	tb.Helper()
	p := r.Map(tb)
	delete(p, "requestId")
	delete(p, "instance")
	b, _ := json.Marshal(p)
	return string(b)
}

// keysOf fails unless m has exactly the keys given.
func keysOf(tb testing.TB, what string, m map[string]any, keys ...string) {
	tb.Helper()
	if len(m) != len(keys) {
		tb.Fatalf("%s: %d members %v, want %v", what, len(m), m, keys)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			tb.Fatalf("%s: member %q missing in %v", what, k, m)
		}
	}
}

// checkConversation checks a Conversation against the SDK's schema: every
// member present, required strings strings, nullable members string or null.
func checkConversation(tb testing.TB, c map[string]any) {
	tb.Helper()
	keysOf(tb, "conversation", c, "id", "type", "externalId", "externalUrl", "supportTicketConversationId",
		"createdAt", "updatedAt", "projectId", "integrationId", "properties", "userProperties", "tags",
		"visibility", "messages", "messagesOpenAIFormat")
	for _, k := range []string{"id", "createdAt", "updatedAt"} {
		if s, ok := c[k].(string); !ok || s == "" {
			tb.Fatalf("conversation %s = %v", k, c[k])
		}
	}
	if c["type"] != "openai" {
		tb.Fatalf("conversation type %v", c["type"])
	}
	for _, k := range []string{"externalId", "externalUrl", "supportTicketConversationId", "projectId", "integrationId", "visibility"} {
		if _, ok := c[k].(string); !ok && c[k] != nil {
			tb.Fatalf("conversation %s = %v, want string or null", k, c[k])
		}
	}
	msgs, ok := c["messages"].([]any)
	oa, ok2 := c["messagesOpenAIFormat"].([]any)
	if !ok || !ok2 || len(msgs) != len(oa) {
		tb.Fatalf("conversation messages %v / %v", c["messages"], c["messagesOpenAIFormat"])
	}
	for i, m := range msgs {
		mm := m.(map[string]any)
		keysOf(tb, "message", mm, "id", "type", "externalId", "externalUrl", "conversationId", "createdAt",
			"updatedAt", "role", "content", "name", "links", "properties", "userProperties", "tool_calls")
		if mm["type"] != "openai" || mm["conversationId"] != c["id"] {
			tb.Fatalf("message %d: %v", i, mm)
		}
		switch mm["role"] {
		case "system", "user", "assistant":
		default:
			tb.Fatalf("message %d role %v", i, mm["role"])
		}
		om := oa[i].(map[string]any)
		keysOf(tb, "openai message", om, "role", "name", "content", "tool_calls")
		if om["role"] != mm["role"] {
			tb.Fatalf("openai message %d role %v", i, om["role"])
		}
	}
}

// msgs returns a conversation's messages.
func msgs(c map[string]any) []map[string]any {
	var out []map[string]any
	for _, m := range c["messages"].([]any) {
		out = append(out, m.(map[string]any))
	}
	return out
}
