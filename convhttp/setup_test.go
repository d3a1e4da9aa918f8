package convhttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
)

// stubStore answers Authenticate and Ping; every other method panics through
// the nil embedded interface, which no test here reaches.
type stubStore struct {
	convstore.Store
	keys    map[string]*convstore.APIKey
	pingErr error
	auths   atomic.Int64 // Authenticate calls
}

func (s *stubStore) Authenticate(ctx context.Context, secret string) (*convstore.APIKey, error) {
	s.auths.Add(1)
	if k, ok := s.keys[secret]; ok {
		return k, nil
	}
	return nil, convstore.Errorf(convstore.EUNAUTHORIZED, "invalid key (store wording)")
}

func (s *stubStore) Ping(ctx context.Context) error { return s.pingErr }

// testDoor is a vendor-style door with its own header and error format.
type testDoor struct {
	srv *convhttp.Server
}

func (d *testDoor) Name() string                  { return "test" }
func (d *testDoor) Secret(r *http.Request) string { return r.Header.Get("X-Test-Key") }

// WriteError writes {"error": message, "status": n}: not problem+json.
func (d *testDoor) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status := map[string]int{
		convstore.ENOTFOUND: 404, convstore.EUNAUTHORIZED: 401, convstore.EFORBIDDEN: 403, convstore.ERATELIMITED: 429,
		"method_not_allowed": 405, convstore.ETOOLARGE: 413, "invalid_json": 400,
	}[convstore.ErrorCode(err)]
	if status == 0 {
		status = 500
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": convstore.ErrorMessage(err), "status": status})
}

func (d *testDoor) Routes() []convhttp.Route {
	return []convhttp.Route{
		{Method: "GET", Path: "/public", Handler: func(w http.ResponseWriter, r *http.Request) error {
			return convhttp.WriteJSON(w, 200, map[string]string{"public": "yes"})
		}},
		{Method: "GET", Path: "/things/{id}", Scope: convstore.ScopeRead, Handler: func(w http.ResponseWriter, r *http.Request) error {
			return convhttp.WriteJSON(w, 200, map[string]string{"id": r.PathValue("id"), "tenant": convhttp.Key(r.Context()).Name})
		}},
		{Method: "DELETE", Path: "/things/{id}", Scope: convstore.ScopeDelete, Handler: func(w http.ResponseWriter, r *http.Request) error {
			return convhttp.WriteJSON(w, 200, map[string]bool{"deleted": true})
		}},
		{Method: "POST", Path: "/echo", Scope: convstore.ScopeWrite, Handler: func(w http.ResponseWriter, r *http.Request) error {
			var v struct {
				Name string `json:"name"`
				N    int    `json:"n"`
			}
			if err := d.srv.DecodeJSON(w, r, &v); err != nil {
				return err
			}
			return convhttp.WriteJSON(w, 200, v)
		}},
		{Method: "GET", Path: "/panic", Handler: func(w http.ResponseWriter, r *http.Request) error {
			panic("boom in handler")
		}},
		{Method: "GET", Path: "/fail", Handler: func(w http.ResponseWriter, r *http.Request) error {
			return errors.New("database exploded: secret dsn=postgres://u:p@h")
		}},
		{Method: "GET", Path: "/half", Handler: func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(200)
			_, _ = io.WriteString(w, "partial")
			_ = http.NewResponseController(w).Flush() // the client has the status and some bytes
			return errors.New("stream broke midway")
		}},
	}
}

// env is one test's server with a test door at /compat/test and nothing at
// the root but the probes.
type env struct {
	t     *testing.T
	c     *doortest.Client
	url   string
	store *stubStore
	logs  *doortest.SyncBuffer
}

const (
	readKey  = "csk_readreadreadreadreadread"
	writeKey = "csk_writewritewritewritewrite"
)

func setup(t *testing.T) *env {
	t.Helper()
	st := &stubStore{keys: map[string]*convstore.APIKey{
		readKey:  {Name: "reader", Prefix: convstore.KeyPrefix(readKey), Scopes: []convstore.Scope{convstore.ScopeRead}},
		writeKey: {Name: "writer", Prefix: convstore.KeyPrefix(writeKey), Scopes: []convstore.Scope{convstore.ScopeWrite}},
	}}
	logs := &doortest.SyncBuffer{}
	srv := convhttp.NewServer(convhttp.Config{
		Store:        st,
		Logger:       slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MaxBodyBytes: 64,
	})
	srv.Mount("/compat/test/", &testDoor{srv: srv})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &env{t: t, c: &doortest.Client{TB: t, URL: ts.URL, Server: srv}, url: ts.URL, store: st, logs: logs}
}

// do sends a request through the shared door harness's client, a body
// (none when "") as application/json; hdr holds header name/value pairs
// (an empty value removes the header).
func (e *env) do(method, path, body string, hdr ...string) *doortest.Response {
	e.t.Helper()
	if body == "" {
		return e.c.Do(method, path, nil, hdr...)
	}
	return e.c.Do(method, path, body, hdr...)
}
