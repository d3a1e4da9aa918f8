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
	"github.com/convstore/convstore/convhttp"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service/servicetest"
	"github.com/convstore/convstore/sqlite"
)

// TestConformanceOverHTTP runs the service conformance suite through the
// Go client, the native door of a real server and the service over each
// driver: every call of the suite's services is an HTTP request, so
// whatever the suite proves of the service tier, it proves of the native
// API too. The suite still looks under the store (row counts, blob
// files, sweeps, the clock, other nodes) through the service and its
// database.
func TestConformanceOverHTTP(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		servicetest.Run(t, overHTTP(servicetest.ServiceHarness(sqliteDatabase)))
	})
	t.Run("postgres", func(t *testing.T) {
		pgtest.URL(t) // skips without CONVSTORE_TEST_POSTGRES_URL
		servicetest.Run(t, overHTTP(pgtest.ServiceHarness))
	})
}

// skipOverHTTP lists the subtests that cannot run through the client, with
// the reason. Keep it short.
var skipOverHTTP = map[string]string{
	"Deletion/EmptyConversationByOperator": "an operator's delete (no key, door \"cli\") never crosses HTTP: every API call is made with a key, which the receipt names",
	"Authentication/LastUseInBackground":   "every look at the keys over HTTP is made with a key, which that look uses: no key is ever unused",
	"Digests/EndsOfEachConversation":       "the native API serves no digests (the doors' list views read them in process)",
	"Digests/NewestArtifacts":              "the native API serves no digests (the doors' list views read them in process)",
	"Digests/MessagePages":                 "the native API serves no batch reads (the doors' list views read them in process)",
	"Digests/ArtifactPages":                "the native API serves no batch reads (the doors' list views read them in process)",
	"ConversationUsers/GroupedByUser":      "the native API serves no conversation users (the ElevenLabs door reads them in process)",
	"ConversationUsers/Pages":              "the native API serves no conversation users (the ElevenLabs door reads them in process)",
	"ConversationUsers/Filters":            "the native API serves no conversation users (the ElevenLabs door reads them in process)",
	"Authors/KeptOnAppendAndDelete":        "the native API serves no authors (the Symbl door's members read them in process)",
	"Authors/Scoped":                       "the native API serves no authors (the Symbl door's members read them in process)",
	"Messages/Update":                      "the native API has no message update (the Botpress door's PUT rewrites messages in process)",
	"Messages/ByExternalID":                "the native API serves no lookup of messages by external id (the Inkeep door's reads do it in process)",
	"Divergences/SeqFilter":                "the native API filters by one sequence number (the Stammer door's ranges of numbers a JavaScript client rounded are read in process)",
	"Artifacts/TenantWide":                 "the native API lists artifacts of one conversation (the Inkeep door's feedback list reads a tenant's in process)",
}

// sqliteDatabase creates a SQLite database file and a blob directory in a
// temporary directory.
func sqliteDatabase(tb testing.TB) *servicetest.Database {
	dir := tb.TempDir()
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(dir, "db", "convstore.db")
	open := func(tb testing.TB) *sqlite.DB {
		db, err := sqlite.Open(context.Background(), path, sqlite.Options{Logger: servicetest.Logger(tb)})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { db.Close() })
		return db
	}
	counter := open(tb) // its own driver: a service closes the one it runs on
	return &servicetest.Database{
		Open:             func(tb testing.TB) driver.Driver { return open(tb) },
		Blobs:            blobs,
		RowCounts:        counter.RowCounts,
		ConversationRows: counter.ConversationRows,
	}
}

// overHTTP puts the native API in front of the stores of a service
// harness: the store the suite calls is a set of clients of a server over
// the service. Every node (Harness.NewNode) gets a server of its own.
func overHTTP(service servicetest.NewHarnessFunc) servicetest.NewHarnessFunc {
	return func(tb testing.TB) *servicetest.Harness {
		h := service(tb)
		keys := &keyRing{keys: map[convstore.ID]*knownKey{}}
		s := serve(tb, h.Store, keys)
		o := *h
		o.Store = s
		o.RowCounts = func(ctx context.Context) (map[string]int, error) {
			if err := s.uploads.settle(ctx); err != nil {
				return nil, err
			}
			return h.RowCounts(ctx)
		}
		o.ConversationRows = func(ctx context.Context, id convstore.ID) (map[string]int, error) {
			if err := s.uploads.settle(ctx); err != nil {
				return nil, err
			}
			return h.ConversationRows(ctx, id)
		}
		o.WaitBlobRemovals = func(ctx context.Context) error {
			if err := s.uploads.settle(ctx); err != nil {
				return err
			}
			if h.WaitBlobRemovals == nil {
				return nil
			}
			return h.WaitBlobRemovals(ctx)
		}
		o.NewStore = func(tb testing.TB, opts servicetest.StoreOptions) convstore.Store {
			return serve(tb, h.NewStore(tb, opts), &keyRing{keys: map[convstore.ID]*knownKey{}})
		}
		if h.NewNode != nil {
			o.NewNode = func(tb testing.TB) convstore.Store { return serve(tb, h.NewNode(tb), keys) }
		}
		o.ServerDoor = v1.DoorName
		o.Skip = skipOverHTTP
		return &o
	}
}

// serve starts the native door over engine on two listeners, one for
// uploads, and returns the store the suite calls, which acts with the
// keys of keys.
//
// Uploads get a listener of their own, one connection per request, whose
// connections are counted from dial to close: when a body fails or is cut
// off, the client returns before the server has even read what arrived,
// and the suite must not count rows or blobs until the server has finished
// with it (uploads.settle).
func serve(tb testing.TB, engine convstore.Store, keys *keyRing) *httpStore {
	handler := v1.NewServer(convhttp.Config{Store: engine, Logger: servicetest.Logger(tb)}).Handler()
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
		keys:      keys,
		clients:   map[convstore.ID]*client.Client{},
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
