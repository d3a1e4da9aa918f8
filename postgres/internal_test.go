package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/convstore/convstore"
)

// openInternal opens a driver in a fresh schema for the tests of this
// package's internals (which cannot use pgtest: it imports this package),
// dropped when t ends.
func openInternal(t *testing.T, opts Options) *DB {
	t.Helper()
	url := os.Getenv("CONVSTORE_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("CONVSTORE_TEST_POSTGRES_URL not set: skipping PostgreSQL tests (set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	ctx := context.Background()
	opts.Schema = "convstore_test_internal_" + convstore.NewID().Base32()[16:]
	if opts.MaxConns == 0 {
		opts.MaxConns = 2
	}
	db, err := Open(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.pool.Exec(ctx, "DROP SCHEMA "+opts.Schema+" CASCADE")
		db.Close()
	})
	return db
}
