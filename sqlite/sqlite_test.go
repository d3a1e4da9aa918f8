package sqlite

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, newHarness)
}

// newHarness opens a fresh store in a temporary directory.
func newHarness(t testing.TB) *storetest.Harness {
	db, _ := openTest(t, t.TempDir(), nil)
	return harnessFor(db)
}

// openWithOptions opens a fresh store in a temporary directory with the
// suite's options.
func openWithOptions(tb testing.TB, o storetest.StoreOptions) convstore.Store {
	tb.Helper()
	dir := tb.TempDir()
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	db, err := Open(context.Background(), filepath.Join(dir, "db", "convstore.db"), Options{
		Blobs: blobs, Logger: testLogger(tb), MaxConversationMessages: o.MaxConversationMessages,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func harnessFor(db *DB) *storetest.Harness {
	return &storetest.Harness{
		Store:             db,
		Blobs:             db.Blobs(),
		NewStore:          openWithOptions,
		SweepAccessTokens: db.SweepAccessTokens,
		WaitBlobRemovals:  db.WaitBlobRemovals,
		RowCounts:         db.RowCounts,
		ConversationRows:  db.ConversationRows,
	}
}

// openTest opens a store at dir/db/convstore.db with blobs under dir/blobs
// (or the given blob store), closed at the end of the test.
func openTest(tb testing.TB, dir string, blobs convstore.BlobStore) (*DB, *blob.FS) {
	tb.Helper()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		tb.Fatal(err)
	}
	if blobs == nil {
		blobs = fs
	}
	db, err := Open(context.Background(), filepath.Join(dir, "db", "convstore.db"), Options{Blobs: blobs, Logger: testLogger(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, fs
}

// testLogger sends the store's logs to the test log.
func testLogger(tb testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
