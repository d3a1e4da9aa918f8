package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/convstore/convstore"
)

// TestTranslateErr checks the edge translation without a database.
func TestTranslateErr(t *testing.T) {
	ctx := context.Background()
	pg := func(code, constraint string) error {
		return fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code, ConstraintName: constraint})
	}
	cases := []struct {
		err  error
		code string
		msg  string
	}{
		{nil, "", ""},
		{convstore.NotFound("message"), convstore.ENOTFOUND, "message not found"},
		{notFound(pgx.ErrNoRows, "artifact"), convstore.ENOTFOUND, "artifact not found"},
		{pg(codeUniqueViolation, "tenants_name_key"), convstore.ECONFLICT, "a tenant with this name already exists"},
		{pg(codeUniqueViolation, "attachments_name_key"), convstore.ECONFLICT, "an attachment with this name already exists"},
		{pg(codeUniqueViolation, "other"), convstore.ECONFLICT, "the request conflicts with existing data"},
		{pg(codeBadEncoding, ""), convstore.EINVALID, ""},
		// A statement or lock timeout is ETIMEOUT, not "database unavailable".
		{pg(codeQueryCanceled, ""), convstore.ETIMEOUT, "the database did not finish in time, try again"},
		{pg(codeLockNotAvailable, ""), convstore.ETIMEOUT, "a database lock was not granted in time, try again"},
		{pg("57P01", ""), convstore.EUNAVAILABLE, "database unavailable"},
		{pg("08006", ""), convstore.EUNAVAILABLE, "database unavailable"},
		{pg("42P01", ""), convstore.EINTERNAL, "Internal error."},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), convstore.EUNAVAILABLE, "database unavailable"},
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
	if got := translateErr(cancelled, pg(codeQueryCanceled, "")); !errors.Is(got, context.Canceled) {
		t.Errorf("translateErr of a cancelled query = %v, want context.Canceled", got)
	}
	if got := translateErr(ctx, fmt.Errorf("x: %w", context.DeadlineExceeded)); !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("translateErr kept %v", got)
	}
}

// TestConnLost: a broken connection or a terminated session is a lost
// connection; timeouts, cancellations and ordinary errors are not.
func TestConnLost(t *testing.T) {
	for err, want := range map[error]bool{
		&pgconn.PgError{Code: "57P01"}:             true, // pg_terminate_backend
		&pgconn.PgError{Code: "08006"}:             true,
		fmt.Errorf("x: %w", io.ErrUnexpectedEOF):   true,
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

// TestRetryable: only serialization failures, deadlocks and errors before
// sending are retried.
func TestRetryable(t *testing.T) {
	for code, want := range map[string]bool{codeSerializationFailure: true, codeDeadlockDetected: true, codeUniqueViolation: false, "57P01": false} {
		if got := retryable(&pgconn.PgError{Code: code}); got != want {
			t.Errorf("retryable(%s) = %v, want %v", code, got, want)
		}
	}
	if retryable(errors.New("plain")) {
		t.Errorf("a plain error is retryable")
	}
}
