// Package pgtest opens PostgreSQL stores for tests, each in a schema of
// its own that is dropped when the test ends. Tests that use it are
// skipped unless CONVSTORE_TEST_POSTGRES_URL names a database, for
// example postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/driver/drivertest"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// EnvURL is the environment variable naming the test database.
const EnvURL = "CONVSTORE_TEST_POSTGRES_URL"

// defaultMaxConns is the pool size of test stores unless opts say.
const defaultMaxConns = 4

// testWaitTimeout is the lock and acquire timeout of test drivers unless
// their options say otherwise.
const testWaitTimeout = 30 * time.Second

// setupTimeout bounds opening a store and dropping its schema.
const setupTimeout = time.Minute

// skipMessage says why the PostgreSQL tests do not run.
const skipMessage = EnvURL + " not set: skipping PostgreSQL tests (set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)"

// URL returns the test database's URL, skipping tb when it is not set.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		noticeSkipped()
		tb.Skip(skipMessage)
	}
	return u
}

var skipNotice sync.Once

// noticeSkipped says once that the PostgreSQL tests are skipped, even
// without -v, where go test shows no skip message. In package list mode
// (go test ./...) go test also discards everything a passing package's
// tests print, so the notice goes to the terminal itself when there is
// one, once per go command (its pid marks a file in the temp directory);
// without a terminal (CI) it goes to stderr, shown if the package fails.
func noticeSkipped() {
	skipNotice.Do(func() {
		if testing.Verbose() {
			return // every skipped test says it
		}
		tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
		if err != nil {
			notice(os.Stderr, nil, "")
			return
		}
		defer tty.Close()
		notice(os.Stderr, tty, filepath.Join(os.TempDir(), fmt.Sprintf("convstore-pgtest-notice-%d", os.Getppid())))
	})
}

// notice writes the skip notice to tty unless marker already exists (it
// creates it), or to stderr when there is no tty.
func notice(stderr, tty io.Writer, marker string) {
	msg := "pgtest: " + skipMessage + "\n"
	if tty == nil {
		fmt.Fprint(stderr, msg)
		return
	}
	f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return // another package of this go command said it
	}
	f.Close()
	fmt.Fprint(tty, msg)
}

// NewSchema returns the name of a fresh schema, dropped with everything in
// it when tb ends. Open creates it.
func NewSchema(tb testing.TB) string {
	tb.Helper()
	url := URL(tb)
	var b [8]byte
	rand.Read(b[:])
	schema := "convstore_test_" + hex.EncodeToString(b[:])
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			tb.Errorf("pgtest: connecting to drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("pgtest: dropping schema %s: %v", schema, err)
		}
	})
	return schema
}

// OpenSchema opens a driver in schema (from NewSchema) with opts, logging to
// tb unless opts has a logger, with a pool of 4 connections unless opts
// say otherwise, and closes it when tb ends. Several stores
// opened on one schema share its data, like nodes sharing a database.
func OpenSchema(tb testing.TB, schema string, opts postgres.Options) *postgres.DB {
	tb.Helper()
	return OpenURL(tb, URL(tb), schema, opts)
}

// OpenURL is OpenSchema with another URL for the test database, such as a
// proxy in front of it.
func OpenURL(tb testing.TB, url, schema string, opts postgres.Options) *postgres.DB {
	tb.Helper()
	opts.Schema = schema
	if opts.MaxConns == 0 {
		// Tests run in parallel, each with its own store, against one
		// server (max_connections is 100 by default): small pools keep
		// many of them within it.
		opts.MaxConns = defaultMaxConns
	}
	// The suites test rules, not waits: on a loaded machine (tests in
	// parallel, -race) 40 appends queued on one conversation may take
	// longer than the default 5 s turn. The tests of timeouts set theirs.
	if opts.LockTimeout == 0 {
		opts.LockTimeout = testWaitTimeout
	}
	if opts.AcquireTimeout == 0 {
		opts.AcquireTimeout = testWaitTimeout
	}
	if opts.Logger == nil {
		opts.Logger = servicetest.Logger(tb)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	db, err := postgres.Open(ctx, url, opts)
	if err != nil {
		tb.Fatalf("pgtest: opening a store in schema %s: %v", schema, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// DriverHarness opens a driver in a fresh schema for the driver
// conformance suite: drivertest.Run(t, pgtest.DriverHarness).
func DriverHarness(tb testing.TB) *drivertest.Harness {
	tb.Helper()
	schema := NewSchema(tb)
	return &drivertest.Harness{
		Driver:    OpenSchema(tb, schema, postgres.Options{}),
		RowCounts: NewTables(tb, schema).RowCounts,
		Close:     true,
	}
}

// ServiceHarness is the service conformance suite's harness: a service
// over this driver in a fresh schema, each node (Harness.NewNode) with a
// driver of its own: servicetest.Run(t, pgtest.ServiceHarness).
var ServiceHarness = servicetest.ServiceHarness(Database)

// Database creates a fresh schema for services over the driver: each
// node opens its own driver on it, like nodes sharing a database. The
// blob store is the built-in one, over a small pool of its own.
func Database(tb testing.TB) *servicetest.Database {
	tb.Helper()
	return DatabaseIn(tb, NewSchema(tb), postgres.Options{})
}

// DatabaseIn is Database on schema, each node's driver opened with opts.
func DatabaseIn(tb testing.TB, schema string, opts postgres.Options) *servicetest.Database {
	tb.Helper()
	tables := NewTables(tb, schema)
	blobs := OpenSchema(tb, schema, postgres.Options{MaxConns: 2}).Blobs()
	return &servicetest.Database{
		Open:             func(tb testing.TB) driver.Driver { return OpenSchema(tb, schema, opts) },
		Blobs:            blobs,
		RowCounts:        tables.RowCounts,
		ConversationRows: tables.ConversationRows,
	}
}

// Node is one node of a PostgreSQL deployment in a test: a service over
// a driver of its own, on a schema other nodes may share.
type Node struct {
	*service.Service
	DB *postgres.DB
}

// NodeOptions configure OpenNode; the zero value is usable.
type NodeOptions struct {
	URL     string              // the database's URL; "" means the test database (URL)
	Driver  postgres.Options    // Schema is OpenNode's
	Service service.Options     // Logger defaults to the test's log
	Blobs   convstore.BlobStore // nil means the driver's own (DB.Blobs)
}

// OpenNode opens a node on schema (from NewSchema), closed when tb ends.
func OpenNode(tb testing.TB, schema string, o NodeOptions) *Node {
	tb.Helper()
	if o.URL == "" {
		o.URL = URL(tb)
	}
	return NodeOver(tb, OpenURL(tb, o.URL, schema, o.Driver), o.Blobs, o.Service)
}

// NodeOver opens a node over an open driver, with blobs (nil: the
// driver's own) and opts, closed (with the driver) when tb ends.
func NodeOver(tb testing.TB, db *postgres.DB, blobs convstore.BlobStore, opts service.Options) *Node {
	tb.Helper()
	if blobs == nil {
		blobs = db.Blobs()
	}
	if opts.Logger == nil {
		opts.Logger = servicetest.Logger(tb)
	}
	svc := service.New(db, blobs, opts)
	tb.Cleanup(func() { svc.Close() })
	return &Node{Service: svc, DB: db}
}

// Open opens a node in a fresh schema.
func Open(tb testing.TB) *Node {
	tb.Helper()
	return OpenNode(tb, NewSchema(tb), NodeOptions{})
}
