package inkeep_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/convstore/convstore"
	convhttp "github.com/convstore/convstore/http"
	"github.com/convstore/convstore/http/doortest"
	"github.com/convstore/convstore/http/inkeep"
)

// FuzzInkeepIDs sends arbitrary ids through every id-taking route, at both
// mount points, straight into the server's handler. Whatever the id, the
// answer is a success or an Inkeep problem: never a 500, never another
// error format.
func FuzzInkeepIDs(f *testing.F) {
	e := doortest.New(f)
	s := convhttp.NewServer(e.Config())
	s.Mount("/", inkeep.New(s))
	s.Mount("/compat/inkeep", inkeep.New(s))
	h := s.Handler()
	send := func(method, path string, body []byte, key string) *httptest.ResponseRecorder {
		req, err := http.NewRequest(method, path, bytes.NewReader(body))
		if err != nil {
			return nil
		}
		req.Header.Set("Authorization", "Bearer "+key)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	logBody := func(id string) []byte {
		b, _ := json.Marshal(map[string]any{"id": id, "type": "openai", "messages": []any{map[string]any{"id": id, "role": "user", "content": "x"}}})
		return b
	}
	// Seeds: tenant A's and B's ids in every form, and malformed ones.
	var mine, theirs map[string]any
	json.Unmarshal(send("POST", "/conversations", logBody("seed-a"), e.KeyA).Body.Bytes(), &mine)
	json.Unmarshal(send("POST", "/conversations", logBody("seed-b"), e.KeyB).Body.Bytes(), &theirs)
	var native map[string]any
	json.Unmarshal(send("POST", "/conversations", []byte(`{"type":"openai","messages":[{"role":"user","content":"x"}]}`), e.KeyB).Body.Bytes(), &native)
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
			json.Unmarshal(send("POST", "/feedback", body, key).Body.Bytes(), &fb)
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
				w := send(rq.method, rq.path, rq.body, e.KeyA)
				if w == nil {
					continue // not a URL net/http would send
				}
				check(t, rq.method+" "+rq.path, w)
			}
		}
	})
}

// check fails on a 500 or on an error that is not an Inkeep problem.
func check(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s: %d %s", what, w.Code, w.Body)
	}
	if w.Code >= 300 && w.Code < 400 && w.Header().Get("Location") != "" {
		return // the shared server redirects unclean paths ("/conversations/.") before any door sees them
	}
	if !json.Valid(w.Body.Bytes()) {
		t.Fatalf("%s: body is not JSON: %q", what, w.Body)
	}
	if w.Code < 400 {
		return
	}
	if ct := w.Header().Get("Content-Type"); ct != inkeep.ContentTypeProblem {
		t.Fatalf("%s: %d with content type %q", what, w.Code, ct)
	}
	var p inkeep.Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || p.Status != w.Code || p.Code == "" || p.Title == "" ||
		p.Detail == "" || p.Error.Code != p.Code || p.Error.Message != p.Detail || p.RequestID == "" {
		t.Fatalf("%s: not an Inkeep problem: %s", what, w.Body)
	}
}
