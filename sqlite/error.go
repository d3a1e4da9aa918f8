package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// translate turns driver errors into domain errors at the edge of the
// package, by SQLite's result codes: a lock another process held past
// busy_timeout is ETIMEOUT, and any failure of a closed driver is
// EUNAVAILABLE. Uniqueness is never left to a constraint error (every
// insert that can collide uses ON CONFLICT DO NOTHING and counts rows, see
// insertedOne), so a UNIQUE violation here is a bug, reported as a plain
// ECONFLICT. sql.ErrNoRows is translated by each caller, which knows the
// kind of the missing row. Domain errors, context errors and nil pass
// through; anything else stays an internal error.
func (db *DB) translate(err error) error {
	var e *convstore.Error
	var se *sqlite.Error
	switch {
	case err == nil, errors.As(err, &e), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case db.closed.Load(), errors.Is(err, sql.ErrConnDone):
		return driver.ErrUnavailable()
	case errors.As(err, &se):
		switch code := se.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE, code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return convstore.Errorf(convstore.ECONFLICT, "the request conflicts with existing data")
		case code&0xff == sqlite3.SQLITE_BUSY, code&0xff == sqlite3.SQLITE_LOCKED:
			// Another process held the lock past busy_timeout.
			return convstore.Errorf(convstore.ETIMEOUT, "a database lock was not granted in time, try again")
		}
	}
	return err
}

// isForeignKey reports whether err is a FOREIGN KEY violation: an insert
// whose parent row (tenant, key) is missing.
func isForeignKey(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// notFound maps sql.ErrNoRows to ENOTFOUND for kind and translates the rest.
func (db *DB) notFound(err error, kind string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return convstore.NotFound(kind)
	}
	return db.translate(err)
}

// insertedOne turns an INSERT … ON CONFLICT DO NOTHING that inserted no
// row into conflict(), and a FOREIGN KEY violation into ENOTFOUND of
// parent. Uniqueness is checked this way rather than by catching the
// violation, the shape the PostgreSQL driver needs to keep values out of
// the server's log, and one that needs no reading of error text to know
// which constraint fired.
func (db *DB) insertedOne(res sql.Result, err error, conflict func() error, parent string) error {
	if isForeignKey(err) && parent != "" {
		return convstore.NotFound(parent)
	}
	n, err := db.rowsAffected(res, err)
	if err != nil {
		return err
	}
	if n == 0 {
		return conflict()
	}
	return nil
}

// affectedOne turns an Exec result that matched no row into ENOTFOUND of
// kind.
func (db *DB) affectedOne(res sql.Result, err error, kind string) error {
	n, err := db.rowsAffected(res, err)
	if err != nil {
		return err
	}
	if n == 0 {
		return convstore.NotFound(kind)
	}
	return nil
}

// rowsAffected returns how many rows an Exec changed, translating either
// error.
func (db *DB) rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, db.translate(err)
	}
	n, err := res.RowsAffected()
	return n, db.translate(err)
}
