package symbl_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/symbl"
	v1 "github.com/convstore/convstore/convhttp/v1"
)

// fixture is one test's world: the door on its own listener ("own") and
// under /compat/symbl beside the native door ("main").
type fixture struct {
	env  *doortest.Env
	own  *doortest.Client
	main *doortest.Client
}

func setup(t *testing.T) *fixture {
	t.Helper()
	env := doortest.New(t)
	return &fixture{
		env: env,
		own: env.Serve(func(s *convhttp.Server) { s.Mount("/", symbl.New(s)) }),
		main: env.Serve(func(s *convhttp.Server) {
			s.Mount("/", v1.New(s))
			s.Mount("/compat/symbl", symbl.New(s))
		}),
	}
}

// bearer returns the Authorization header pair for a token or secret.
func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// do sends a request to the door's own listener with a token.
func (f *fixture) do(method, path, tok string, body any) *doortest.Response {
	f.env.TB.Helper()
	hdr := []string{}
	if tok != "" {
		hdr = bearer(tok)
	}
	return f.own.Do(method, path, body, hdr...)
}

// textBody is a POST /v1/process/text body with the given contents.
func textBody(contents ...string) map[string]any {
	msgs := []map[string]any{}
	for _, c := range contents {
		msgs = append(msgs, map[string]any{"payload": map[string]any{"content": c}})
	}
	return map[string]any{"messages": msgs}
}

// create submits text as tenant key tok and returns conversationId, jobId.
func (f *fixture) create(t *testing.T, tok string, body any) (string, string) {
	t.Helper()
	r := f.do("POST", "/v1/process/text", tok, body)
	doortest.Expect(t, r, 201, "application/json")
	var out struct{ ConversationID, JobID string }
	r.JSON(t, &out)
	return out.ConversationID, out.JobID
}

// conv loads a conversation of tenant ten by its Symbl id.
func (f *fixture) conv(t *testing.T, ten convstore.ID, id string) *convstore.Conversation {
	t.Helper()
	seq, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatalf("conversationId %q: %v", id, err)
	}
	c, err := f.env.Store.FindConversationBySeq(context.Background(), ten, seq)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// messages loads a conversation's messages (at most 100).
func (f *fixture) messages(t *testing.T, ten, conv convstore.ID) []*convstore.Message {
	t.Helper()
	msgs, _, err := f.env.Store.FindMessages(context.Background(), ten, conv, convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// expectError checks a Symbl error: status, application/json and exactly
// {"message": msg} (msg "" accepts any non-empty message).
func expectError(t *testing.T, r *doortest.Response, status int, msg string) {
	t.Helper()
	doortest.Expect(t, r, status, "application/json")
	var m map[string]any
	r.JSON(t, &m)
	got, isString := m["message"].(string)
	if len(m) != 1 || !isString || got == "" || msg != "" && got != msg {
		t.Fatalf("%v: want {\"message\":%q}", r, msg)
	}
}

// hasKeys decodes an object and checks that it has the keys.
func hasKeys(t *testing.T, what string, raw any, keys ...string) map[string]any {
	t.Helper()
	var b []byte
	switch v := raw.(type) {
	case []byte:
		b = v
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %s: %v", what, b, err)
	}
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Fatalf("%s: missing %q in %s", what, k, b)
		}
	}
	return m
}

// isDigits reports whether s is a non-empty decimal digit string.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
