// Package doortest is the shared test harness of the API doors: a real
// server over a fresh SQLite store with two tenants and their keys, a small
// HTTP client that reads whole responses, Raw for the exact JSON of one
// member, and the Fuzzer every door's fuzz target drives. Door packages
// (the native one included) use it from their tests only.
package doortest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
	"github.com/convstore/convstore/sqlite"
)

// Env is one test's world: a store with tenants A and B, and servers over it.
type Env struct {
	TB    testing.TB
	Store convstore.Store
	Logs  *SyncBuffer

	TenantA   convstore.ID
	KeyA      string                           // tenant A's admin key secret
	KeyAID    convstore.ID                     // its id
	Scoped    map[convstore.Scope]string       // tenant A's single-scope key secrets
	ScopedIDs map[convstore.Scope]convstore.ID // their ids
	TenantB   convstore.ID
	KeyB      string // tenant B's admin key secret

	// DBPath and BlobDir locate the SQLite file and the attachment bytes
	// of a store opened by New ("" with NewWithStore).
	DBPath, BlobDir string
}

// New opens a fresh SQLite store with file blobs in a temporary directory
// and creates tenants A and B with their keys. Everything is closed when the
// test ends.
func New(tb testing.TB) *Env {
	tb.Helper()
	return NewWithOptions(tb, service.Options{})
}

// NewWithOptions is New with service options, such as a small message cap.
func NewWithOptions(tb testing.TB, opts service.Options) *Env {
	tb.Helper()
	dir := tb.TempDir()
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	drv, err := sqlite.Open(context.Background(), filepath.Join(dir, "convstore.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	// Doors run over a sealed store, as cmd/convstore opens it.
	if opts.Keyring == nil {
		opts.Keyring = servicetest.NewKeyring(tb)
	}
	db := service.New(drv, blobs, opts)
	tb.Cleanup(func() { _ = db.Close() })
	e := NewWithStore(tb, db)
	e.DBPath, e.BlobDir = filepath.Join(dir, "convstore.db"), filepath.Join(dir, "blobs")
	return e
}

// conversationTables name the column of each table that refers to a
// conversation; after a delete none may hold a row of it.
var conversationTables = map[string]string{
	"conversations": "id",
	"messages":      "conversation_id",
	"artifacts":     "conversation_id",
	"attachments":   "conversation_id",
}

// ConversationRows counts the rows of every table that refer to the
// conversation, reading the SQLite file directly (a store opened by New).
func (e *Env) ConversationRows(id convstore.ID) map[string]int {
	e.TB.Helper()
	if e.DBPath == "" {
		e.TB.Fatal("doortest: ConversationRows needs a store opened by New")
	}
	// A delete answers before its rows are purged: count after the purge.
	if p, ok := e.Store.(interface {
		Purge(context.Context) (int, error)
	}); ok {
		if _, err := p.Purge(context.Background()); err != nil {
			e.TB.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", "file:"+e.DBPath+"?mode=ro")
	if err != nil {
		e.TB.Fatal(err)
	}
	defer db.Close()
	out := map[string]int{}
	for table, col := range conversationTables {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM `+table+` WHERE `+col+` = ?`, id[:]).Scan(&n); err != nil {
			e.TB.Fatalf("doortest: count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// BlobFiles returns the paths of the attachment files on disk, once the
// store's background blob removals (a delete answers before its bytes are
// gone) are done.
func (e *Env) BlobFiles() []string {
	e.TB.Helper()
	if w, ok := e.Store.(interface{ WaitBlobRemovals(context.Context) error }); ok {
		if err := w.WaitBlobRemovals(context.Background()); err != nil {
			e.TB.Fatal(err)
		}
	}
	var files []string
	err := filepath.WalkDir(e.BlobDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		e.TB.Fatal(err)
	}
	return files
}

// NewWithStore creates tenants A and B with their keys in store.
func NewWithStore(tb testing.TB, store convstore.Store) *Env {
	tb.Helper()
	ctx := context.Background()
	e := &Env{TB: tb, Store: store, Logs: &SyncBuffer{}, Scoped: map[convstore.Scope]string{}, ScopedIDs: map[convstore.Scope]convstore.ID{}}
	_, ka, err := store.CreateTenant(ctx, "tenant-a", convstore.DeleteParams{Door: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	e.TenantA, e.KeyA, e.KeyAID = ka.TenantID, ka.Secret, ka.ID
	for _, s := range convstore.AllScopes {
		if s == convstore.ScopeConfirm {
			continue // a confirm key needs a registered processor: the tests of confirmations make their own
		}
		k, err := store.CreateKey(ctx, ka.TenantID, &convstore.KeyCreate{Name: "only " + string(s), Scopes: []convstore.Scope{s}}, convstore.DeleteParams{Door: "test"})
		if err != nil {
			tb.Fatal(err)
		}
		e.Scoped[s], e.ScopedIDs[s] = k.Secret, k.ID
	}
	_, kb, err := store.CreateTenant(ctx, "tenant-b", convstore.DeleteParams{Door: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	e.TenantB, e.KeyB = kb.TenantID, kb.Secret
	tb.Cleanup(func() {
		if tb.Failed() {
			lines := strings.Split(e.Logs.String(), "\n")
			tb.Logf("server log (last 40 lines):\n%s", strings.Join(lines[max(0, len(lines)-40):], "\n"))
		}
	})
	return e
}

// Config returns a server configuration over the env's store that logs into
// e.Logs.
func (e *Env) Config() convhttp.Config {
	return convhttp.Config{
		Store:  e.Store,
		Logger: slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// Serve starts an HTTP server whose routes mount adds to a new
// convhttp.Server, and returns a client of it.
func (e *Env) Serve(mount func(s *convhttp.Server)) *Client {
	e.TB.Helper()
	return e.ServeConfig(e.Config(), mount)
}

// ServeConfig is Serve with a server configuration of the caller's (start
// from e.Config() to keep the store and the log).
func (e *Env) ServeConfig(cfg convhttp.Config, mount func(s *convhttp.Server)) *Client {
	e.TB.Helper()
	s := convhttp.NewServer(cfg)
	mount(s)
	ts := httptest.NewServer(s.Handler())
	e.TB.Cleanup(ts.Close)
	return &Client{TB: e.TB, URL: ts.URL, Server: s}
}

// Client sends requests to one test server.
type Client struct {
	TB     testing.TB
	URL    string
	Server *convhttp.Server
	HTTP   *http.Client // nil: http.DefaultClient
}

// Response is a fully read response.
type Response struct {
	Method, Path string
	Status       int
	Header       http.Header
	Body         []byte
}

// String describes the response for failure messages.
func (r *Response) String() string {
	return r.Method + " " + r.Path + " → " + http.StatusText(r.Status) + " " + string(r.Body)
}

// ContentType returns the response's media type without parameters.
func (r *Response) ContentType() string {
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	return strings.TrimSpace(ct)
}

// JSON decodes the body into v, failing the test if it is not valid JSON.
func (r *Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("%v: decode body: %v", r, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	r.JSON(tb, &m)
	return m
}

// Do sends a request. body is sent raw when it is a string, []byte or
// io.Reader, and as JSON otherwise (nil: no body); a body is sent as
// application/json. hdr holds header name/value pairs; a pair with an
// empty value removes that header (no Content-Type, no Authorization).
func (c *Client) Do(method, path string, body any, hdr ...string) *Response {
	c.TB.Helper()
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
			c.TB.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.URL+path, rd)
	if err != nil {
		c.TB.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		c.TB.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.TB.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &Response{Method: method, Path: path, Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// Raw returns the JSON text at path in body: object members by name,
// array elements by decimal index; "" when a step is missing. It is how
// a test asserts the exact JSON of one member ("[]", "{}", "null").
func Raw(tb testing.TB, body []byte, path ...string) string {
	tb.Helper()
	v := json.RawMessage(body)
	for _, step := range path {
		var obj map[string]json.RawMessage
		var arr []json.RawMessage
		switch {
		case json.Unmarshal(v, &obj) == nil && obj != nil:
			v = obj[step]
		case json.Unmarshal(v, &arr) == nil:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(arr) {
				return ""
			}
			v = arr[i]
		default:
			return ""
		}
		if v == nil {
			return ""
		}
	}
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		tb.Fatalf("doortest: %s is not JSON: %v", v, err)
	}
	return b.String()
}

// Expect fails the test unless r has the status and media type given.
func Expect(tb testing.TB, r *Response, status int, contentType string) {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("%v: want status %d", r, status)
	}
	if ct := r.ContentType(); ct != contentType {
		tb.Fatalf("%v: content type %q, want %q", r, ct, contentType)
	}
}

// SyncBuffer is a goroutine-safe log sink.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
