package inkeep_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/inkeep"
)

// FuzzInkeepIDs sends arbitrary ids through every id-taking route, at both
// mount points, straight into the server's handler. Whatever the id, the
// answer is a success or an Inkeep problem: never a 500, never another
// error format.
func FuzzInkeepIDs(f *testing.F) {
	e := doortest.New(f)
	fz := e.Fuzzer(func(s *convhttp.Server) {
		s.Mount("/", inkeep.New(s))
		s.Mount("/compat/inkeep", inkeep.New(s))
	})
	fz.Auth = func(h http.Header, key string) { h.Set("Authorization", "Bearer "+key) }
	fz.ErrorType = inkeep.ContentTypeProblem
	fz.CheckError = checkProblem
	send := fz.Serve
	logBody := func(id string) []byte {
		b, _ := json.Marshal(map[string]any{"id": id, "type": "openai", "messages": []any{map[string]any{"id": id, "role": "user", "content": "x"}}})
		return b
	}
	// Seeds: tenant A's and B's ids in every form, and malformed ones.
	var mine, theirs map[string]any
	json.Unmarshal(send("POST", "/conversations", logBody("seed-a"), e.KeyA).Body, &mine)
	json.Unmarshal(send("POST", "/conversations", logBody("seed-b"), e.KeyB).Body, &theirs)
	var native map[string]any
	json.Unmarshal(send("POST", "/conversations", []byte(`{"type":"openai","messages":[{"role":"user","content":"x"}]}`), e.KeyB).Body, &native)
	seeds := []string{"seed-a", "seed-b", "", " ", "conv_", "msg_", "art_", "conv_zzzzzzzzzzzzzzzzzzzzzzzzzz",
		"conv_" + convstore.NewID().Base32(), "%", "../../x", "\x00", "\xff", "a/b", string(make([]byte, 300))}
	for _, c := range []map[string]any{mine, theirs, native} {
		if c == nil {
			f.Fatal("seed conversation not created")
		}
		seeds = append(seeds, c["id"].(string))
		for _, m := range c["messages"].([]any) {
			mid := m.(map[string]any)["id"].(string)
			seeds = append(seeds, mid)
			var fb map[string]any
			body, _ := json.Marshal(map[string]any{"type": "positive", "messageId": mid})
			key := e.KeyA
			if c["id"] != "seed-a" {
				key = e.KeyB
			}
			json.Unmarshal(send("POST", "/feedback", body, key).Body, &fb)
			if id, ok := fb["id"].(string); ok {
				seeds = append(seeds, id)
			}
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		fbBody, _ := json.Marshal(map[string]any{"type": "negative", "messageId": id, "id": id})
		for _, prefix := range []string{"", "/compat/inkeep"} {
			esc := url.PathEscape(id)
			for _, rq := range []struct {
				method, path string
				body         []byte
			}{
				{"GET", prefix + "/conversations/" + esc, nil},
				{"GET", prefix + "/feedback/" + esc, nil},
				{"POST", prefix + "/conversations", logBody(id)},
				{"POST", prefix + "/feedback", fbBody},
				{"DELETE", prefix + "/conversations/" + esc, nil},
			} {
				if r := fz.Check(t, rq.method, rq.path, rq.body, e.KeyA); r != nil && !json.Valid(r.Body) && r.Status < 300 {
					t.Fatalf("%v: body is not JSON", r)
				}
			}
		}
	})
}

// checkProblem fails unless r is an Inkeep problem.
func checkProblem(tb testing.TB, r *doortest.Response) {
	tb.Helper()
	var p inkeep.Problem
	if err := json.Unmarshal(r.Body, &p); err != nil || p.Status != r.Status || p.Code == "" || p.Title == "" ||
		p.Detail == "" || p.Error.Code != p.Code || p.Error.Message != p.Detail || p.RequestID == "" {
		tb.Fatalf("%v: not an Inkeep problem", r)
	}
}
