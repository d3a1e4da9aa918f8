package v1_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	convhttp "github.com/convstore/convstore/http"
	v1 "github.com/convstore/convstore/http/v1"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/sqlite"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// MustOpenStore opens a fresh SQLite store with file blobs in a temporary
// directory; it is closed when the test ends.
func MustOpenStore(tb testing.TB) *service.Service {
	tb.Helper()
	dir := tb.TempDir()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	drv, err := sqlite.Open(context.Background(), filepath.Join(dir, "convstore.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	db := service.New(drv, fs, service.Options{})
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// env is one test's bundle: a real server over a real store, and keys of
// two tenants.
type env struct {
	tb    testing.TB
	url   string
	srv   *convhttp.Server
	store convstore.Store
	logs  *syncBuffer

	admin   string                     // tenant A's admin key secret
	adminID convstore.ID               // its id
	keys    map[convstore.Scope]string // tenant A's single-scope keys
	other   string                     // tenant B's admin key secret
}

// options change the server configuration or wrap the store.
type options struct {
	cfg  convhttp.Config
	wrap func(convstore.Store) convstore.Store
}

// setup starts a server with the native door on a fresh store and creates
// tenants A and B.
func setup(tb testing.TB, opts ...func(*options)) *env {
	tb.Helper()
	db := MustOpenStore(tb)
	ctx := context.Background()
	e := &env{tb: tb, store: db, logs: &syncBuffer{}, keys: map[convstore.Scope]string{}}
	_, ka, err := db.CreateTenant(ctx, "tenant-a", convstore.DeleteParams{Door: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	e.admin, e.adminID = ka.Secret, ka.ID
	for _, s := range convstore.AllScopes {
		k, err := db.CreateKey(ctx, ka.TenantID, &convstore.KeyCreate{Name: "only " + string(s), Scopes: []convstore.Scope{s}}, convstore.DeleteParams{Door: "test"})
		if err != nil {
			tb.Fatal(err)
		}
		e.keys[s] = k.Secret
	}
	_, kb, err := db.CreateTenant(ctx, "tenant-b", convstore.DeleteParams{Door: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	e.other = kb.Secret

	o := &options{cfg: convhttp.Config{
		Store:  db,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}}
	for _, f := range opts {
		f(o)
	}
	if o.wrap != nil {
		o.cfg.Store = o.wrap(db)
	}
	e.srv = v1.NewServer(o.cfg)
	ts := httptest.NewServer(e.srv.Handler())
	tb.Cleanup(ts.Close)
	tb.Cleanup(func() {
		if tb.Failed() {
			lines := strings.Split(e.logs.String(), "\n")
			tb.Logf("server log (last 40 lines):\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	})
	e.url = ts.URL
	return e
}

// response is a fully read response.
type response struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

// String describes the response for failure messages.
func (r *response) String() string {
	return r.method + " " + r.path + " → " + http.StatusText(r.status) + " " + string(r.body)
}

// do sends a request with key as Bearer token ("" for none). body is sent
// raw when it is a string or []byte, and as JSON otherwise (nil: no body);
// a body is labelled application/json except on attachment uploads. hdr
// holds extra header name/value pairs (an empty value removes the header).
func (e *env) do(method, path, key string, body any, hdr ...string) *response {
	e.tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.tb.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.tb.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil && !strings.Contains(path, "/attachments/") {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &response{method: method, path: path, status: resp.StatusCode, header: resp.Header, body: b}
}

// must sends a request like do and fails unless the status is want and the
// content type JSON; it decodes the body into out when out is not nil.
func (e *env) must(want int, method, path, key string, body, out any) *response {
	e.tb.Helper()
	r := e.do(method, path, key, body)
	if r.status != want {
		e.tb.Fatalf("%v: want status %d", r, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		e.tb.Fatalf("%v: content type %q, want application/json", r, ct)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			e.tb.Fatalf("%v: decode: %v", r, err)
		}
	}
	return r
}

// problem checks that r is a problem+json body with the given status and
// code (and field, when not "-"), and returns it as a map.
func problem(tb testing.TB, r *response, status int, code, field string) map[string]any {
	tb.Helper()
	if r.status != status {
		tb.Fatalf("%v: want status %d", r, status)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("%v: content type %q, want application/problem+json", r, ct)
	}
	var p map[string]any
	if err := json.Unmarshal(r.body, &p); err != nil {
		tb.Fatalf("%v: %v", r, err)
	}
	if p["code"] != code || p["status"] != float64(status) || p["type"] != "https://convstore.dev/problems/"+code ||
		p["title"] != http.StatusText(status) || p["detail"] == "" || p["request_id"] != r.header.Get("X-Request-Id") ||
		p["instance"] != strings.SplitN(r.path, "?", 2)[0] {
		tb.Fatalf("%v: malformed problem for %d %s", r, status, code)
	}
	if field != "-" && p["field"] != field && !(field == "" && p["field"] == nil) {
		tb.Fatalf("%v: field %v, want %q", r, p["field"], field)
	}
	return p
}

// normalized returns a problem body without request_id and instance, the
// two members that differ between otherwise identical answers.
func normalized(tb testing.TB, r *response) string {
	tb.Helper()
	var p map[string]any
	if err := json.Unmarshal(r.body, &p); err != nil {
		tb.Fatalf("%v: %v", r, err)
	}
	delete(p, "request_id")
	delete(p, "instance")
	b, _ := json.Marshal(p)
	return r.header.Get("Content-Type") + " " + http.StatusText(r.status) + " " + string(b)
}
