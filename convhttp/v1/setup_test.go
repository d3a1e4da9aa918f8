package v1_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	v1 "github.com/convstore/convstore/convhttp/v1"
)

// env is one test's bundle: the shared door harness (a real store with
// tenants A and B and their keys) and a client of a server with the
// native door at the root.
type env struct {
	*doortest.Env
	c   *doortest.Client
	srv *convhttp.Server
}

// options change the server configuration or wrap the store.
type options struct {
	cfg  convhttp.Config
	wrap func(convstore.Store) convstore.Store
}

// setup starts a server with the native door on a fresh store with
// tenants A and B.
func setup(tb testing.TB, opts ...func(*options)) *env {
	tb.Helper()
	de := doortest.New(tb)
	o := &options{cfg: de.Config()}
	for _, f := range opts {
		f(o)
	}
	if o.wrap != nil {
		o.cfg.Store = o.wrap(de.Store)
	}
	c := de.ServeConfig(o.cfg, func(s *convhttp.Server) { s.Mount("/", v1.New(s)) })
	return &env{Env: de, c: c, srv: c.Server}
}

// do sends a request with key as Bearer token ("" for none). body is sent
// raw when it is a string or []byte, and as JSON otherwise (nil: no body);
// a body is labelled application/json except on attachment uploads. hdr
// holds extra header name/value pairs (an empty value removes the header).
func (e *env) do(method, path, key string, body any, hdr ...string) *doortest.Response {
	e.TB.Helper()
	var h []string
	if key != "" {
		h = append(h, "Authorization", "Bearer "+key)
	}
	if body != nil && strings.Contains(path, "/attachments/") {
		h = append(h, "Content-Type", "")
	}
	return e.c.Do(method, path, body, append(h, hdr...)...)
}

// must sends a request like do and fails unless the status is want and the
// content type JSON; it decodes the body into out when out is not nil.
func (e *env) must(want int, method, path, key string, body, out any) *doortest.Response {
	e.TB.Helper()
	r := e.do(method, path, key, body)
	if r.Status != want {
		e.TB.Fatalf("%v: want status %d", r, want)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		e.TB.Fatalf("%v: content type %q, want application/json", r, ct)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			e.TB.Fatalf("%v: decode: %v", r, err)
		}
	}
	return r
}

// problem checks that r is a problem+json body with the given status and
// code (and field, when not "-"), and returns it as a map.
func problem(tb testing.TB, r *doortest.Response, status int, code, field string) map[string]any {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("%v: want status %d", r, status)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("%v: content type %q, want application/problem+json", r, ct)
	}
	var p map[string]any
	if err := json.Unmarshal(r.Body, &p); err != nil {
		tb.Fatalf("%v: %v", r, err)
	}
	if p["code"] != code || p["status"] != float64(status) || p["type"] != "https://convstore.dev/problems/"+code ||
		p["title"] != http.StatusText(status) || p["detail"] == "" || p["request_id"] != r.Header.Get("X-Request-Id") ||
		p["instance"] != strings.SplitN(r.Path, "?", 2)[0] {
		tb.Fatalf("%v: malformed problem for %d %s", r, status, code)
	}
	if field != "-" && p["field"] != field && !(field == "" && p["field"] == nil) {
		tb.Fatalf("%v: field %v, want %q", r, p["field"], field)
	}
	return p
}

// normalized returns a problem body without request_id and instance, the
// two members that differ between otherwise identical answers.
func normalized(tb testing.TB, r *doortest.Response) string {
	tb.Helper()
	var p map[string]any
	if err := json.Unmarshal(r.Body, &p); err != nil {
		tb.Fatalf("%v: %v", r, err)
	}
	delete(p, "request_id")
	delete(p, "instance")
	b, _ := json.Marshal(p)
	return r.Header.Get("Content-Type") + " " + http.StatusText(r.Status) + " " + string(b)
}
