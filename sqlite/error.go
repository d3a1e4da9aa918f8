package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/convstore/convstore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// translate turns driver errors into domain errors at the edge of the
// package: UNIQUE violations become ECONFLICT, and a database that is shut
// down becomes EUNAVAILABLE. sql.ErrNoRows is translated by each caller,
// which knows the kind of the missing row. Domain errors, context errors and
// nil pass through; anything else stays an internal error.
func translate(err error) error {
	var e *convstore.Error
	var se *sqlite.Error
	switch {
	case err == nil, errors.As(err, &e), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, sql.ErrConnDone), err.Error() == "sql: database is closed":
		return convstore.Errorf(convstore.EUNAVAILABLE, "database unavailable")
	case errors.As(err, &se):
		switch code := se.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE, code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return convstore.Errorf(convstore.ECONFLICT, "%s", conflictMessage(se.Error()))
		case code&0xff == sqlite3.SQLITE_BUSY, code&0xff == sqlite3.SQLITE_LOCKED:
			// Another process held the lock past busy_timeout.
			return convstore.Errorf(convstore.EUNAVAILABLE, "database busy, try again")
		}
	}
	return err
}

// conflictMessage names what collided without echoing any value.
func conflictMessage(msg string) string {
	switch {
	case strings.Contains(msg, "tenants.name"):
		return "a tenant with this name already exists"
	case strings.Contains(msg, "api_keys.hash"):
		return "this key already exists"
	case strings.Contains(msg, "conversations.external_id"):
		return "a conversation with this external id already exists"
	case strings.Contains(msg, "attachments."):
		return "an attachment with this name already exists"
	}
	return "the request conflicts with existing data"
}

// isUniqueOn reports whether err is a UNIQUE violation on column (as
// "table.column"), for the callers that retry instead of failing.
func isUniqueOn(err error, column string) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE && strings.Contains(se.Error(), column)
}

// notFound maps sql.ErrNoRows to ENOTFOUND for kind and translates the rest.
func notFound(err error, kind string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return convstore.NotFound(kind)
	}
	return translate(err)
}

// insertedOne turns an INSERT … ON CONFLICT DO NOTHING that inserted no
// row into ECONFLICT with msg. The engines check uniqueness this way
// rather than by catching the violation, the shape the PostgreSQL engine
// needs to keep values out of the server's log.
func insertedOne(res sql.Result, err error, msg string) error {
	n, err := rowsAffected(res, err)
	if err != nil {
		return err
	}
	if n == 0 {
		return convstore.Errorf(convstore.ECONFLICT, "%s", msg)
	}
	return nil
}

// rowsAffected returns how many rows an Exec changed, translating either
// error.
func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, translate(err)
	}
	n, err := res.RowsAffected()
	return n, translate(err)
}
