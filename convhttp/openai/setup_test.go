package openai_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/openai"
)

// env is a store with tenants A and B and the door mounted twice: at the
// root of its own server and under /compat/openai of another.
type env struct {
	*doortest.Env
	c      *doortest.Client // door at "/"
	compat *doortest.Client // door at "/compat/openai"
}

func setup(tb testing.TB) *env {
	tb.Helper()
	e := doortest.New(tb)
	return &env{
		Env:    e,
		c:      e.Serve(func(s *convhttp.Server) { s.Mount("/", openai.New(s)) }),
		compat: e.Serve(func(s *convhttp.Server) { s.Mount("/compat/openai", openai.New(s)) }),
	}
}

// bearer returns the Authorization header pair of a key.
func bearer(key string, extra ...string) []string {
	return append([]string{"Authorization", "Bearer " + key}, extra...)
}

// must sends a request with tenant A's admin key and expects a 200 JSON
// body.
func (e *env) must(tb testing.TB, method, path string, body any) map[string]any {
	tb.Helper()
	r := e.c.Do(method, path, body, bearer(e.KeyA)...)
	doortest.Expect(tb, r, 200, "application/json")
	return r.Map(tb)
}

// createConversation creates a conversation of tenant A with items and
// returns its id.
func (e *env) createConversation(tb testing.TB, items ...any) string {
	tb.Helper()
	body := map[string]any{}
	if items != nil {
		body["items"] = items
	}
	return e.must(tb, "POST", "/v1/conversations", body)["id"].(string)
}

// nativeID parses a conversation's wire id.
func nativeID(tb testing.TB, s string) convstore.ID {
	tb.Helper()
	id, err := convstore.ParseID(convstore.PrefixConversation, "id", s)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// wantError checks an OpenAI error answer: status, Content-Type
// application/json, exactly the member "error" holding exactly message (a
// non-empty string), type, param and code (strings or null), the type
// and, when code is not "-", the code.
func wantError(tb testing.TB, r *doortest.Response, status int, typ, code string) map[string]any {
	tb.Helper()
	doortest.Expect(tb, r, status, "application/json")
	return checkErrorBody(tb, r.Body, status, typ, code, r.String())
}

func checkErrorBody(tb testing.TB, body []byte, status int, typ, code, what string) map[string]any {
	tb.Helper()
	var outer map[string]map[string]any
	if err := json.Unmarshal(body, &outer); err != nil || len(outer) != 1 || outer["error"] == nil {
		tb.Fatalf("%s: not an OpenAI error body (%v)", what, err)
	}
	e := outer["error"]
	var keys []string
	for k := range e {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"code", "message", "param", "type"}) {
		tb.Fatalf("%s: error members %v", what, keys)
	}
	if msg, _ := e["message"].(string); msg == "" {
		tb.Fatalf("%s: empty message", what)
	}
	for _, k := range []string{"param", "code"} {
		if _, isString := e[k].(string); e[k] != nil && !isString {
			tb.Fatalf("%s: %s is neither a string nor null", what, k)
		}
	}
	if typ != "" && e["type"] != typ {
		tb.Fatalf("%s: type %v, want %s", what, e["type"], typ)
	}
	if code != "-" {
		var want any
		if code != "" {
			want = code
		}
		if e["code"] != want {
			tb.Fatalf("%s: code %v, want %v", what, e["code"], want)
		}
	}
	return e
}

// sameNotFound checks that every response is the same 404 byte for byte.
func sameNotFound(tb testing.TB, rs ...*doortest.Response) {
	tb.Helper()
	for _, r := range rs {
		wantError(tb, r, 404, "invalid_request_error", "")
	}
	for _, r := range rs[1:] {
		if !bytes.Equal(r.Body, rs[0].Body) {
			tb.Fatalf("not-found bodies differ:\n%s\n%s", rs[0].Body, r.Body)
		}
	}
}
