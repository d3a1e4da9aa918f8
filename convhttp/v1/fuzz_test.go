package v1_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	v1 "github.com/convstore/convstore/convhttp/v1"
)

// FuzzRequestBodies sends arbitrary bodies to every route that decodes JSON.
// Whatever the body, the answer is a well-formed success or client error:
// never a 500, never a panic (which the server would turn into a 500).
func FuzzRequestBodies(f *testing.F) {
	seeds := []string{
		``, ` `, `{}`, `[]`, `null`, `true`, `0`, `"x"`, `{`, `}`, `{"a":1}{`, `{} {}`, "\x00", "\xff\xfe",
		`{"title":"t","agent_id":"a","user_id":"u","metadata":{"k":"v"}}`,
		`{"title":null,"metadata":null,"messages":null}`,
		`{"messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[null,{}]}`,
		`{"messages":{"role":"user"}}`,
		`{"Messages":[{"role":"user","content":"x"}]}`,
		`{"role":"user","content":"hi","start_offset_ms":-1}`,
		`{"role":"user","content":"hi","start_offset_ms":9223372036854775807}`,
		`{"role":"user","content":"hi","end_offset_ms":1e30}`,
		`{"role":"tool","parts":{"deep":[[[[[[[[[[[]]]]]]]]]]]}}`,
		`{"role":"user","content":"\ud800"}`,
		`{"role":"user","content":"x","metadata":{"":""}}`,
		`{"type":"summary","text":"s","score":1e308}`,
		`{"type":"summary","data":null}`,
		`{"type":"summary","text":"s","message_ids":["msg_x",""]}`,
		`{"type":"summary","text":"s","message_ids":["msg_7zzzzzzzzzzzzzzzzzzzzzzzzz"]}`,
		`{"name":"k","scopes":["admin","read","nope"]}`,
		`{"name":"k","scopes":[null]}`,
		`{"agent_id":"` + string(make([]byte, 300)) + `"}`,
		`{"metadata":{"a":"1","a":"2"}}`,
		`{"title":"\u0000"}`,
	}
	for i, s := range seeds {
		for target := range 5 {
			if (i+target)%2 == 0 || len(s) < 3 {
				f.Add(uint8(target), []byte(s))
			}
		}
	}
	e := setup(f)
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &conv)
	fz := nativeFuzzer(e)
	fz.Allowed = map[int]bool{200: true, 201: true, 400: true, 409: true, 413: true, 422: true}
	targets := []struct{ method, path string }{
		{"POST", "/v1/conversations"},
		{"POST", "/v1/conversations/" + conv.ID + "/messages"},
		{"POST", "/v1/conversations/" + conv.ID + "/artifacts"},
		{"POST", "/v1/keys"},
		{"PATCH", "/v1/conversations/" + conv.ID},
	}
	f.Fuzz(func(t *testing.T, target uint8, body []byte) {
		tg := targets[int(target)%len(targets)]
		if body == nil {
			body = []byte{} // an empty body, still labelled JSON
		}
		r := fz.Check(t, tg.method, tg.path, body, e.KeyA)
		if !json.Valid(r.Body) {
			t.Fatalf("%v: body is not JSON", r)
		}
	})
}

// nativeFuzzer returns the shared fuzzer over a second server of e's
// store with the native door, checking every error as a native problem.
func nativeFuzzer(e *env) *doortest.Fuzzer {
	fz := e.Fuzzer(func(s *convhttp.Server) { s.Mount("/", v1.New(s)) })
	fz.Auth = func(h http.Header, key string) { h.Set("Authorization", "Bearer "+key) }
	fz.ErrorType = "application/problem+json"
	fz.CheckError = func(tb testing.TB, r *doortest.Response) { problem(tb, r, r.Status, problemCode(tb, r), "-") }
	return fz
}

// problemCode returns the code member of a problem body.
func problemCode(tb testing.TB, r *doortest.Response) string {
	tb.Helper()
	var p api.Problem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		tb.Fatalf("%v: %v", r, err)
	}
	return p.Code
}
