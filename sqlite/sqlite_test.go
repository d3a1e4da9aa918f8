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

// dataTables are the tables holding tenant data, for RowCounts.
// blob_removals (a work queue) and goose_db_version are not tenant data.
var dataTables = []string{"tenants", "api_keys", "access_tokens", "conversations", "messages", "artifacts", "attachments", "deletions", "audit_log"}

// conversationTables count the rows that refer to a conversation. Receipts
// and audit entries name it too, but outlive it by design, so they are not
// counted: after a delete every count here must be zero.
var conversationTables = map[string]string{
	"conversations": "id",
	"messages":      "conversation_id",
	"artifacts":     "conversation_id",
	"attachments":   "conversation_id",
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
		Blobs:             db.blobs,
		NewStore:          openWithOptions,
		SweepAccessTokens: db.SweepAccessTokens,
		WaitBlobRemovals:  db.WaitBlobRemovals,
		RowCounts: func(ctx context.Context) (map[string]int, error) {
			out := map[string]int{}
			for _, table := range dataTables {
				var n int
				if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
					return nil, err
				}
				out[table] = n
			}
			return out, nil
		},
		ConversationRows: func(ctx context.Context, id convstore.ID) (map[string]int, error) {
			out := map[string]int{}
			for table, col := range conversationTables {
				var n int
				if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE `+col+` = ?`, idArg(id)).Scan(&n); err != nil {
					return nil, err
				}
				out[table] = n
			}
			return out, nil
		},
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
