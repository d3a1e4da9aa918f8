package stammer_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/stammer"
	v1 "github.com/convstore/convstore/convhttp/v1"
)

// Documented paths, relative to the mount point.
const (
	pathMessage       = "/en/chatbot/api/v1/message/"
	pathConversations = "/en/chatbot/api/v1/conversations/"
)

func pathDeactivate(uuid string) string {
	return "/en/chatbot/api/v1/conversation/" + uuid + "/deactivate/"
}

// Chatbots of the tests.
const (
	bot1 = "0f8fad5b-d9cb-469f-a165-70867728950e"
	bot2 = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
)

var ctx = context.Background()

// fixture is a server with the door mounted at prefix.
type fixture struct {
	*doortest.Env
	c      *doortest.Client
	prefix string
}

// mounts runs fn once with the door on its own listener (mounted at "/")
// and once at "/compat/stammer" beside the native door, as serve does.
func mounts(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Run("root", func(t *testing.T) { fn(t, setupRoot(t)) })
	t.Run("compat", func(t *testing.T) { fn(t, setupCompat(t)) })
}

func setupRoot(t *testing.T) *fixture {
	e := doortest.New(t)
	return &fixture{Env: e, c: e.Serve(func(s *convhttp.Server) { s.Mount("/", stammer.New(s)) })}
}

func setupCompat(t *testing.T) *fixture {
	e := doortest.New(t)
	c := e.Serve(func(s *convhttp.Server) {
		s.Mount("/", v1.New(s))
		s.Mount("/compat/stammer", stammer.New(s))
	})
	return &fixture{Env: e, c: c, prefix: "/compat/stammer"}
}

// token returns the Authorization value for a key secret ("" for none).
func token(secret string) string {
	if secret == "" {
		return ""
	}
	return "Token " + secret
}

// do sends a request to the door with key's token.
func (f *fixture) do(method, path string, body any, key string, hdr ...string) *doortest.Response {
	f.TB.Helper()
	return f.c.Do(method, f.prefix+path, body, append([]string{"Authorization", token(key)}, hdr...)...)
}

// message posts a query and returns the 200 body.
func (f *fixture) message(key, chatbot, userKey, query string) map[string]any {
	f.TB.Helper()
	r := f.do("POST", pathMessage, map[string]any{"chatbot_uuid": chatbot, "query": query, "user_key": userKey}, key)
	doortest.Expect(f.TB, r, 200, "application/json")
	return r.Map(f.TB)
}

// conversation returns the stored conversation of a door uuid.
func (f *fixture) conversation(tenant convstore.ID, uuid string) (*convstore.Conversation, error) {
	id, ok := convstore.ParseUUID(uuid)
	if !ok {
		f.TB.Fatalf("not a uuid: %q", uuid)
	}
	return f.Store.FindConversationByID(ctx, tenant, id)
}

// expectError checks an error answer: status, application/json, and the
// door's error shape with both message and error; it returns the body.
func expectError(t testing.TB, r *doortest.Response, status int, code string) map[string]any {
	t.Helper()
	doortest.Expect(t, r, status, "application/json")
	m := r.Map(t)
	for _, k := range []string{"detail", "message", "error", "request_id"} {
		if s, ok := m[k].(string); !ok || s == "" {
			t.Fatalf("%v: %q missing or not a non-empty string", r, k)
		}
	}
	if m["message"] != m["detail"] {
		t.Fatalf("%v: message and detail differ", r)
	}
	if m["error"] != code {
		t.Fatalf("%v: error %v, want %q", r, m["error"], code)
	}
	if m["request_id"] != r.Header.Get("X-Request-Id") {
		t.Fatalf("%v: request_id differs from the header", r)
	}
	return m
}

// expectField checks a 400 validation error naming field.
func expectField(t testing.TB, r *doortest.Response, field string) {
	t.Helper()
	m := expectError(t, r, 400, "invalid")
	if m["field"] != field {
		t.Fatalf("%v: field %v, want %q", r, m["field"], field)
	}
}

var requestIDs = regexp.MustCompile(`"request_id":"[^"]*"`)

// sameAnswer fails unless two responses have the same status, headers that
// matter and body, apart from request ids.
func sameAnswer(t testing.TB, a, b *doortest.Response) {
	t.Helper()
	strip := func(r *doortest.Response) string {
		return requestIDs.ReplaceAllString(string(r.Body), `"request_id":""`)
	}
	if a.Status != b.Status || a.Header.Get("Content-Type") != b.Header.Get("Content-Type") ||
		a.Header.Get("WWW-Authenticate") != b.Header.Get("WWW-Authenticate") || strip(a) != strip(b) {
		t.Fatalf("answers differ:\n%v\n%v", a, b)
	}
}

// keys fails unless m has exactly the keys given.
func keys(t testing.TB, what string, m map[string]any, want ...string) {
	t.Helper()
	if len(m) != len(want) {
		t.Fatalf("%s: keys %v, want %v", what, m, want)
	}
	for _, k := range want {
		if _, ok := m[k]; !ok {
			t.Fatalf("%s: key %q missing in %v", what, k, m)
		}
	}
}
