package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/convstore/convstore"
)

// TestTxRetries: a transaction aborted by a serialization failure or a
// deadlock runs again, up to SerializationRetries times, then fails with
// EUNAVAILABLE. (An internal test: it cannot use pgtest, which imports
// this package.)
func TestTxRetries(t *testing.T) {
	url := os.Getenv("CONVSTORE_TEST_POSTGRES_URL")
	if url == "" {
		t.Skip("CONVSTORE_TEST_POSTGRES_URL not set: skipping PostgreSQL tests (set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	ctx := context.Background()
	schema := "convstore_test_retry_" + convstore.NewID().Base32()[20:]
	db, err := Open(ctx, url, Options{SerializationRetries: 3, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	defer db.pool.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")

	runs := 0
	err = db.tx(ctx, func(tx pgx.Tx) error {
		runs++
		if runs <= 2 {
			return &pgconn.PgError{Code: []string{codeSerializationFailure, codeDeadlockDetected}[runs-1]}
		}
		return nil
	})
	if err != nil || runs != 3 {
		t.Errorf("tx failing twice: %d runs, %v; want 3 runs, nil", runs, err)
	}

	runs = 0
	err = db.tx(ctx, func(tx pgx.Tx) error {
		runs++
		return &pgconn.PgError{Code: codeDeadlockDetected}
	})
	if convstore.ErrorCode(err) != convstore.EUNAVAILABLE || runs != 4 {
		t.Errorf("tx failing always: %d runs, %v; want 4 runs and EUNAVAILABLE", runs, err)
	}

	runs = 0
	err = db.tx(ctx, func(tx pgx.Tx) error {
		runs++
		return &pgconn.PgError{Code: codeUniqueViolation}
	})
	if convstore.ErrorCode(err) != convstore.ECONFLICT || runs != 1 {
		t.Errorf("tx with a unique violation: %d runs, %v; want 1 run and ECONFLICT", runs, err)
	}
}
