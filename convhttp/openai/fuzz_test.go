package openai_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/openai"
)

// FuzzOpenAIIDs sends arbitrary ids through every id-taking route
// (conversation and item ids in paths, after cursors), at the root and
// under /compat/openai. Whatever the id, the answer is never a 500 and
// every error is an OpenAI error body.
func FuzzOpenAIIDs(f *testing.F) {
	e := doortest.New(f)
	fz := e.Fuzzer(func(s *convhttp.Server) {
		s.Mount("/", openai.New(s))
		s.Mount("/compat/openai", openai.New(s))
	})
	fz.Auth = func(h http.Header, key string) { h.Set("Authorization", "Bearer "+key) }
	fz.ErrorType = "application/json"
	fz.CheckError = func(tb testing.TB, r *doortest.Response) { checkErrorBody(tb, r.Body, r.Status, "", "-", r.String()) }

	// Valid ids of tenant A's and tenant B's conversations and items.
	var convA string
	for _, key := range []string{e.KeyA, e.KeyB} {
		r := fz.Serve("POST", "/v1/conversations", []byte(`{"items":[{"role":"user","content":"x"},{"type":"reasoning","id":"rs_seed","summary":[]},{"type":"function_call","call_id":"c","name":"n","arguments":"{}"}]}`), key)
		var c struct{ ID string }
		_ = json.Unmarshal(r.Body, &c)
		if c.ID == "" {
			f.Fatalf("seed failed: %s", r.Body)
		}
		if key == e.KeyA {
			convA = c.ID
		}
		f.Add(c.ID)
		r = fz.Serve("GET", "/v1/conversations/"+c.ID+"/items", nil, key)
		var l struct{ Data []struct{ ID string } }
		_ = json.Unmarshal(r.Body, &l)
		for _, it := range l.Data {
			f.Add(it.ID)
		}
	}
	for _, s := range []string{
		"", "conv_", "msg_", "fc_", "_", "__", "rs_seed", "conv_00000000000000000000000000", "conv_7zzzzzzzzzzzzzzzzzzzzzzzzz",
		"conv_8zzzzzzzzzzzzzzzzzzzzzzzzz", "CONV_01J00000000000000000000000", "msg_01j0000000000000000000000u", "..", ".", "%00", "a/b",
		"\x00", "\xff", "items", strings.Repeat("x", 500), convstore.NewID().Format("conv"), convstore.NewID().Format("fc"),
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, id string) {
		p, q := url.PathEscape(id), url.QueryEscape(id)
		jid, _ := json.Marshal(id)
		reqs := []struct{ method, target, body string }{
			{"GET", "/v1/conversations/" + p, ""},
			{"POST", "/v1/conversations/" + p, `{"metadata":{"k":"v"}}`},
			{"GET", "/v1/conversations/" + p + "/items?after=" + q, ""},
			{"GET", "/v1/conversations/" + convA + "/items?after=" + q + "&include=" + q, ""},
			{"GET", "/v1/conversations/" + convA + "/items/" + p, ""},
			{"POST", "/v1/conversations/" + p + "/items", `{"items":[{"role":"user","content":"x"}]}`},
			{"POST", "/v1/conversations/" + convA + "/items", `{"items":[{"type":` + string(jid) + `,"id":` + string(jid) + `}]}`},
			{"POST", "/v1/conversations", `{"metadata":{` + string(jid) + `:` + string(jid) + `}}`},
			{"GET", "/compat/openai/v1/conversations/" + p, ""},
			{"GET", "/compat/openai/v1/conversations/" + convA + "/items/" + p, ""},
			// Deletes last, so earlier requests still meet live records.
			{"DELETE", "/v1/conversations/" + convA + "/items/" + p, ""},
			{"DELETE", "/compat/openai/v1/conversations/" + p, ""},
		}
		for _, rq := range reqs {
			r := fz.Check(t, rq.method, rq.target, []byte(rq.body), e.KeyA)
			if r != nil && r.Status < 300 && !json.Valid(r.Body) {
				t.Fatalf("%v: body is not JSON", r)
			}
		}
	})
}
