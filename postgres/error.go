package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// SQLSTATE codes the driver reacts to.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeQueryCanceled        = "57014" // a statement timeout, or a cancel request
	codeLockNotAvailable     = "55P03" // lock_timeout
	codeBadEncoding          = "22021" // invalid byte sequence, such as NUL in text
	codeUntranslatable       = "22P05"
	codeDuplicateSchema      = "42P06"
	codeTooManyConnections   = "53300"
	codeAdminShutdown        = "57P01" // pg_terminate_backend, or a fast shutdown
	codeCrashShutdown        = "57P02"
	codeCannotConnectNow     = "57P03" // starting up or shutting down
)

// translate turns an error of pgx into a domain error, at the driver's
// edge: nothing above this package inspects pgx errors, and nothing here
// reads an error's text (codes and types only). Domain errors and context
// errors pass through; pgx.ErrNoRows is translated by the caller, which
// knows what was missing (see notFound). The cause of EUNAVAILABLE and
// ETIMEOUT, which the domain error does not carry, is logged.
func (db *DB) translate(ctx context.Context, err error) error {
	out := translateErr(ctx, err)
	if db.closed.Load() && out != nil && convstore.ErrorCode(out) == convstore.EINTERNAL {
		// A call racing Close finds the pool closed (an error pgx gives
		// no type to): the engine cannot serve.
		return driver.ErrUnavailable()
	}
	if out != err {
		switch convstore.ErrorCode(out) {
		case convstore.EUNAVAILABLE:
			db.logger.WarnContext(ctx, "postgres: database unavailable", "error", err)
		case convstore.ETIMEOUT:
			db.logger.WarnContext(ctx, "postgres: database timeout", "error", err)
		}
	}
	return out
}

// translateErr is translate without the logging.
func translateErr(ctx context.Context, err error) error {
	var domain *convstore.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &domain):
		return domain
	case errors.Is(err, driver.ErrSeqTaken):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case code == codeUniqueViolation:
			// The driver avoids unique violations (see insertedOne); one
			// that happens anyway is still a conflict, named by nothing
			// the caller sent.
			return convstore.Errorf(convstore.ECONFLICT, "the request conflicts with existing data")
		case code == codeBadEncoding || code == codeUntranslatable:
			// PostgreSQL text cannot hold NUL characters; the domain
			// refuses them first, and this keeps any that slip through a
			// client error rather than a fault.
			return convstore.Errorf(convstore.EINVALID, "text must be valid UTF-8 without NUL characters")
		case code == codeQueryCanceled && ctx.Err() != nil:
			return ctx.Err()
		case code == codeQueryCanceled:
			// statement_timeout (or an administrator's cancel request).
			return convstore.Errorf(convstore.ETIMEOUT, "the database did not finish in time, try again")
		case code == codeLockNotAvailable:
			return errLockTimeout()
		case code == codeTooManyConnections, strings.HasPrefix(code, "08"), strings.HasPrefix(code, "57P"):
			// Too many connections, connection failures, and an
			// administrator's shutdown or termination.
			return driver.ErrUnavailable()
		}
		return fmt.Errorf("postgres: %w", err)
	}
	if connectionError(err) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return driver.ErrUnavailable()
	}
	return fmt.Errorf("postgres: %w", err)
}

// errLockTimeout is the error of a lock wait that lock_timeout (or the
// write gate's wait, its counterpart on this node) ended.
func errLockTimeout() error {
	return convstore.Errorf(convstore.ETIMEOUT, "a database lock was not granted in time, try again")
}

// connectionError reports whether err says the database could not be
// reached or the connection broke.
func connectionError(err error) bool {
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, pgconn.ErrConnClosed)
}

// connLost reports whether err says the connection broke or the server
// ended the session (a restart, pg_terminate_backend, a pooler or proxy
// closing it): the statement did not run to completion, and a fresh
// connection may well work. Timeouts and cancellations are not lost
// connections.
func connLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") ||
			pgErr.Code == codeAdminShutdown || pgErr.Code == codeCrashShutdown || pgErr.Code == codeCannotConnectNow
	}
	if pgconn.Timeout(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return connectionError(err)
}

// retryable reports whether a failed transaction may simply run again:
// PostgreSQL aborted it for a serialization failure or a deadlock, or the
// driver failed before sending anything.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == codeSerializationFailure || pgErr.Code == codeDeadlockDetected
	}
	return pgconn.SafeToRetry(err)
}

// isCode reports whether err is a PostgreSQL error with the SQLSTATE.
func isCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// notFound turns pgx.ErrNoRows into ENOTFOUND for the kind of row
// ("conversation", …); other errors pass through.
func notFound(err error, kind string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return convstore.NotFound(kind)
	}
	return err
}
