package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// TestTranslateErr checks the edge translation without a database.
func TestTranslateErr(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pg := func(code string) error { return fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code}) }
	cases := []struct {
		err  error
		code string
		msg  string
	}{
		{nil, "", ""},
		{convstore.NotFound("message"), convstore.ENOTFOUND, "message not found"},
		{notFound(pgx.ErrNoRows, "artifact"), convstore.ENOTFOUND, "artifact not found"},
		{pg(codeUniqueViolation), convstore.ECONFLICT, "the request conflicts with existing data"},
		{pg(codeBadEncoding), convstore.EINVALID, ""},
		// A statement or lock timeout is ETIMEOUT, not "database unavailable".
		{pg(codeQueryCanceled), convstore.ETIMEOUT, "the database did not finish in time, try again"},
		{pg(codeLockNotAvailable), convstore.ETIMEOUT, "a database lock was not granted in time, try again"},
		{pg(codeAdminShutdown), convstore.EUNAVAILABLE, "database unavailable"},
		{pg("08006"), convstore.EUNAVAILABLE, "database unavailable"},
		{pg("42P01"), convstore.EINTERNAL, "Internal error."},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), convstore.EUNAVAILABLE, "database unavailable"},
		{fmt.Errorf("x: %w", pgconn.ErrConnClosed), convstore.EUNAVAILABLE, "database unavailable"},
		{errors.New("something else"), convstore.EINTERNAL, "Internal error."},
	}
	for _, tc := range cases {
		got := translateErr(ctx, tc.err)
		if convstore.ErrorCode(got) != tc.code || tc.msg != "" && convstore.ErrorMessage(got) != tc.msg {
			t.Errorf("translateErr(%v) = %v (code %q), want code %q message %q", tc.err, got, convstore.ErrorCode(got), tc.code, tc.msg)
		}
	}
	// A cancelled caller gets its context's error, not EUNAVAILABLE.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if got := translateErr(cancelled, pg(codeQueryCanceled)); !errors.Is(got, context.Canceled) {
		t.Errorf("translateErr of a cancelled query = %v, want context.Canceled", got)
	}
}

// TestConnLost: a broken connection or a terminated session is a lost
// connection; timeouts, cancellations and ordinary errors are not.
func TestConnLost(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]bool{
		&pgconn.PgError{Code: codeAdminShutdown}:   true, // pg_terminate_backend
		&pgconn.PgError{Code: "08006"}:             true,
		fmt.Errorf("x: %w", io.ErrUnexpectedEOF):   true,
		fmt.Errorf("x: %w", pgconn.ErrConnClosed):  true,
		&pgconn.PgError{Code: codeQueryCanceled}:   false,
		&pgconn.PgError{Code: codeUniqueViolation}: false,
		context.Canceled:                           false,
		errors.New("plain"):                        false,
	} {
		if got := connLost(err); got != want {
			t.Errorf("connLost(%v) = %v, want %v", err, got, want)
		}
	}
}

// raise makes the statement fail with the SQLSTATE code in PostgreSQL,
// as a serialization failure or deadlock would.
func raise(ctx context.Context, tx driver.Tx, code string) error {
	o := tx.(*ops)
	_, err := o.exec(ctx, `DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '`+code+`'; END $$`)
	return err
}

// TestWriteRetries: a transaction that PostgreSQL aborted for a
// serialization failure or a deadlock runs again, up to
// SerializationRetries times, then fails with EUNAVAILABLE; other
// failures run once, and fn's own errors come back as they are.
func TestWriteRetries(t *testing.T) {
	t.Parallel()
	db := openInternal(t, Options{SerializationRetries: 3})
	ctx := context.Background()

	runs := 0
	err := db.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		runs++
		if runs <= 2 {
			return raise(ctx, tx, []string{codeSerializationFailure, codeDeadlockDetected}[runs-1])
		}
		return nil
	})
	if err != nil || runs != 3 {
		t.Errorf("a write failing twice: %d runs, %v; want 3 runs, nil", runs, err)
	}

	runs = 0
	err = db.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		runs++
		return raise(ctx, tx, codeDeadlockDetected)
	})
	if convstore.ErrorCode(err) != convstore.EUNAVAILABLE || runs != 4 {
		t.Errorf("a write failing always: %d runs, %v; want 4 runs and EUNAVAILABLE", runs, err)
	}

	runs = 0
	err = db.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		runs++
		return raise(ctx, tx, codeUniqueViolation)
	})
	if convstore.ErrorCode(err) != convstore.ECONFLICT || runs != 1 {
		t.Errorf("a write with a unique violation: %d runs, %v; want 1 run and ECONFLICT", runs, err)
	}

	runs = 0
	mine := errors.New("fn's own")
	err = db.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		runs++
		return mine
	})
	if err != mine || runs != 1 {
		t.Errorf("a write whose fn fails: %d runs, %v; want 1 run and fn's error as is", runs, err)
	}
}

// TestWriteRunsAgainOnLostConnection: a transaction whose connection died
// before COMMIT (here: its own backend terminated) runs again on a fresh
// connection and commits once; nothing of the first run remains.
func TestWriteRunsAgainOnLostConnection(t *testing.T) {
	t.Parallel()
	db := openInternal(t, Options{})
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var ids []convstore.ID
	runs := 0
	err := db.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		runs++
		id := convstore.NewID()
		ids = append(ids, id)
		if err := tx.TenantInsert(ctx, &convstore.Tenant{ID: id, Name: "lost", CreatedAt: now}); err != nil {
			return err
		}
		if runs == 1 {
			_, err := tx.(*ops).exec(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`)
			return err
		}
		return nil
	})
	if err != nil || runs != 2 {
		t.Fatalf("a write whose connection died: %d runs, %v; want 2 runs, nil", runs, err)
	}
	tenants, err := db.Reads().TenantList(ctx)
	if err != nil || len(tenants) != 1 || tenants[0].ID != ids[1] {
		t.Errorf("tenants after the retried write: %v, %v; want only the second run's", tenants, err)
	}

	// A read whose connection died runs again too.
	runs = 0
	err = db.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		runs++
		if runs == 1 {
			_, err := r.(*ops).exec(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`)
			return err
		}
		_, err := r.TenantGet(ctx, ids[1])
		return err
	})
	if err != nil || runs != 2 {
		t.Errorf("a read whose connection died: %d runs, %v; want 2 runs, nil", runs, err)
	}
}
