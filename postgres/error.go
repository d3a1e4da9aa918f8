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
)

// SQLSTATE codes the engine reacts to.
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
)

// translate is translateErr that also logs the cause of EUNAVAILABLE and
// ETIMEOUT, which the domain error does not carry.
func (db *DB) translate(ctx context.Context, err error) error {
	out := translateErr(ctx, err)
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

// translateErr turns a driver error into a domain error, at the storage
// edge: nothing above this package inspects pgx errors. Domain errors and
// context errors pass through; pgx.ErrNoRows is translated by the caller,
// which knows what was missing (see notFound).
func translateErr(ctx context.Context, err error) error {
	var domain *convstore.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &domain):
		return domain
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case code == codeUniqueViolation:
			return convstore.Errorf(convstore.ECONFLICT, "%s", conflictMessage(pgErr.ConstraintName))
		case code == codeBadEncoding || code == codeUntranslatable:
			// PostgreSQL text cannot hold NUL characters, which valid UTF-8
			// (and so the domain's validation) allows; see checkText.
			return convstore.Errorf(convstore.EINVALID, "text must be valid UTF-8 without NUL characters")
		case code == codeQueryCanceled && ctx.Err() != nil:
			return ctx.Err()
		case code == codeQueryCanceled:
			// statement_timeout (or an administrator's cancel request).
			return convstore.Errorf(convstore.ETIMEOUT, "the database did not finish in time, try again")
		case code == codeLockNotAvailable:
			return convstore.Errorf(convstore.ETIMEOUT, "a database lock was not granted in time, try again")
		case code == "53300", strings.HasPrefix(code, "08"), strings.HasPrefix(code, "57P"):
			// Too many connections, connection failures, and an
			// administrator's shutdown or termination.
			return errUnavailable()
		}
		return fmt.Errorf("postgres: %w", err)
	}
	if connectionError(err) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errUnavailable()
	}
	return fmt.Errorf("postgres: %w", err)
}

// errUnavailable is the error of a database that cannot be reached.
func errUnavailable() error {
	return convstore.Errorf(convstore.EUNAVAILABLE, "database unavailable")
}

// connectionError reports whether err says the database could not be
// reached or the connection broke.
func connectionError(err error) bool {
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "closed pool") || strings.Contains(err.Error(), "conn closed")
}

// connLost reports whether err says the connection broke or the server
// ended the session (a restart, pg_terminate_backend, a pooler or proxy
// closing it): the statement did not run to completion, and a fresh
// connection may well work. Timeouts and cancellations are not lost
// connections.
func connLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	if pgconn.Timeout(err) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		strings.Contains(err.Error(), "conn closed")
}

// conflictMessage names what collided, by constraint, without echoing any
// value. The messages are the SQLite engine's.
func conflictMessage(constraint string) string {
	switch {
	case constraint == "tenants_name_key":
		return "a tenant with this name already exists"
	case constraint == "api_keys_hash_key":
		return "this key already exists"
	case constraint == "conversations_tenant_external":
		return "a conversation with this external id already exists"
	case strings.HasPrefix(constraint, "attachments_"):
		return "an attachment with this name already exists"
	}
	return "the request conflicts with existing data"
}

// insertedOne turns an INSERT … ON CONFLICT DO NOTHING that inserted no
// row into ECONFLICT with msg. The engine checks uniqueness this way on
// every path a request can take, never by letting a unique violation
// happen: PostgreSQL writes a violation's DETAIL line, with the
// conflicting value (an external id, a tenant name), to its server log.
func insertedOne(tag pgconn.CommandTag, err error, msg string) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return convstore.Errorf(convstore.ECONFLICT, "%s", msg)
	}
	return nil
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

// notFound turns pgx.ErrNoRows into ENOTFOUND for the kind of resource
// ("conversation", …); other errors pass through.
func notFound(err error, kind string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return convstore.NotFound(kind)
	}
	return err
}

// isCode reports whether err is a PostgreSQL error with the given
// SQLSTATE (and, if constraint is set, on that constraint).
func isCode(err error, code, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code && (constraint == "" || pgErr.ConstraintName == constraint)
}

// checkText returns EINVALID naming field if s holds a NUL character.
// The domain accepts NUL (it is valid UTF-8) and SQLite stores it, but
// PostgreSQL text cannot, so this engine refuses it with the same code
// and field the domain's own checks use.
func checkText(field string, values ...string) error {
	for _, s := range values {
		if strings.IndexByte(s, 0) >= 0 {
			return convstore.Invalidf(field, "%s must not contain NUL characters", field)
		}
	}
	return nil
}

// checkMetadata is checkText for a metadata map.
func checkMetadata(field string, m convstore.Metadata) error {
	for k, v := range m {
		if err := checkText(field, k, v); err != nil {
			return err
		}
	}
	return nil
}
