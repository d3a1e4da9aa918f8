package client_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/client"
	convhttp "github.com/convstore/convstore/http"
	v1 "github.com/convstore/convstore/http/v1"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/sqlite"
	"github.com/convstore/convstore/storetest"
)

// TestConformanceOverHTTP runs the conformance suite through the Go client,
// the native door of a real server and the engine: every call of the
// suite's services is an HTTP request, so whatever the suite proves of an
// engine, it proves of the native API too. The suite still looks under the
// store (row counts, blob files, sweeps) through the engine itself.
func TestConformanceOverHTTP(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		storetest.Run(t, overHTTP(sqliteHarness))
	})
	t.Run("postgres", func(t *testing.T) {
		pgtest.URL(t) // skips without CONVSTORE_TEST_POSTGRES_URL
		storetest.Run(t, overHTTP(pgtest.Harness))
	})
}

// skipOverHTTP lists the subtests that cannot run through the client, with
// the reason. Keep it short.
var skipOverHTTP = map[string]string{
	"Deletion/EmptyConversationByOperator": "an operator's delete (no key, door \"cli\") never crosses HTTP: every API call is made with a key, which the receipt names",
}

// sqliteHarness opens a SQLite engine in a temporary directory.
func sqliteHarness(tb testing.TB) *storetest.Harness {
	open := func(tb testing.TB, o storetest.StoreOptions) *sqlite.DB {
		dir := tb.TempDir()
		blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
		if err != nil {
			tb.Fatal(err)
		}
		db, err := sqlite.Open(context.Background(), filepath.Join(dir, "convstore.db"), sqlite.Options{
			Blobs: blobs, Logger: testLogger(tb), MaxConversationMessages: o.MaxConversationMessages,
		})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		return db
	}
	db := open(tb, storetest.StoreOptions{})
	return &storetest.Harness{
		Store:             db,
		Blobs:             db.Blobs(),
		RowCounts:         db.RowCounts,
		ConversationRows:  db.ConversationRows,
		WaitBlobRemovals:  db.WaitBlobRemovals,
		SweepAccessTokens: db.SweepAccessTokens,
		NewStore: func(tb testing.TB, o storetest.StoreOptions) convstore.Store {
			return open(tb, o)
		},
	}
}

// overHTTP puts the native API in front of an engine's harness: the store
// the suite calls is a set of clients of a server over the engine.
func overHTTP(engine storetest.NewHarnessFunc) storetest.NewHarnessFunc {
	return func(tb testing.TB) *storetest.Harness {
		h := engine(tb)
		s := serve(tb, h.Store)
		return &storetest.Harness{
			Store: s,
			Blobs: h.Blobs,
			RowCounts: func(ctx context.Context) (map[string]int, error) {
				if err := s.uploads.settle(ctx); err != nil {
					return nil, err
				}
				return h.RowCounts(ctx)
			},
			ConversationRows: func(ctx context.Context, id convstore.ID) (map[string]int, error) {
				if err := s.uploads.settle(ctx); err != nil {
					return nil, err
				}
				return h.ConversationRows(ctx, id)
			},
			WaitBlobRemovals: func(ctx context.Context) error {
				if err := s.uploads.settle(ctx); err != nil {
					return err
				}
				if h.WaitBlobRemovals == nil {
					return nil
				}
				return h.WaitBlobRemovals(ctx)
			},
			SweepAccessTokens: h.SweepAccessTokens,
			NewStore: func(tb testing.TB, o storetest.StoreOptions) convstore.Store {
				return serve(tb, h.NewStore(tb, o))
			},
			ServerDoor: v1.DoorName,
			Skip:       skipOverHTTP,
		}
	}
}

// serve starts the native door over engine on two listeners, one for
// uploads, and returns the store the suite calls.
//
// Uploads get a listener of their own, one connection per request, whose
// connections are counted from dial to close: when a body fails or is cut
// off, the client returns before the server has even read what arrived,
// and the suite must not count rows or blobs until the server has finished
// with it (uploads.settle).
func serve(tb testing.TB, engine convstore.Store) *httpStore {
	handler := v1.NewServer(convhttp.Config{Store: engine, Logger: testLogger(tb)}).Handler()
	main := httptest.NewServer(handler)
	tb.Cleanup(main.Close)

	conns := newConnCount()
	up := httptest.NewUnstartedServer(handler)
	up.Listener = countingListener{up.Listener, conns}
	up.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateClosed || state == http.StateHijacked {
			conns.add(func() { conns.closed++ })
		}
	}
	up.Config.SetKeepAlivesEnabled(false)
	up.Start()
	tb.Cleanup(up.Close)

	dialer := &net.Dialer{}
	upload := &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err == nil {
				conns.add(func() { conns.dialed++ })
			}
			return c, err
		},
	}
	tb.Cleanup(upload.CloseIdleConnections)
	upHost := up.Listener.Addr().String()
	rest := &http.Transport{MaxIdleConnsPerHost: 64}
	tb.Cleanup(rest.CloseIdleConnections)
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method != http.MethodPut {
			return rest.RoundTrip(r)
		}
		r = r.Clone(r.Context())
		r.URL.Host, r.Host = upHost, upHost
		return upload.RoundTrip(r)
	})}
	return &httpStore{
		tb: tb, engine: engine, url: main.URL, hc: hc, uploads: conns,
		anonymous: client.New(main.URL, "", client.WithHTTPClient(hc)),
		keys:      map[convstore.ID]*knownKey{},
	}
}

// connCount counts the upload listener's connections.
type connCount struct {
	mu                       sync.Mutex
	dialed, accepted, closed int
	changed                  chan struct{} // closed at every change
}

func newConnCount() *connCount { return &connCount{changed: make(chan struct{})} }

// add applies a change under the lock and wakes settle.
func (c *connCount) add(change func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	change()
	close(c.changed)
	c.changed = make(chan struct{})
}

// settle returns once the server has accepted every connection the client
// dialed and closed each after its request: no upload is in flight.
func (c *connCount) settle(ctx context.Context) error {
	for {
		c.mu.Lock()
		done, changed := c.accepted == c.dialed && c.closed == c.accepted, c.changed
		c.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	conns *connCount
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.conns.add(func() { l.conns.accepted++ })
	}
	return c, err
}
