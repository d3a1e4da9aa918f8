package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"
)

// oldSchema is a database migrated only part of the way, as a store of an
// older version left it, for a migration's test to fill in that version's
// schema before the store migrates it the rest of the way.
type oldSchema struct {
	tb   testing.TB
	dir  string          // openTest(tb, s.dir, nil) opens the store over it
	path string          // dir/db/convstore.db: openDriver(tb, s.path) opens the driver alone
	db   *sql.DB         // one connection to the file, in the old schema
	p    *goose.Provider // the embedded migrations over db
}

// migratedTo creates a database in a fresh directory and applies the
// migrations up to version (not the newest), on one connection. Write the
// rows of that version's schema with s.exec (or s.db), then s.close() and
// open the store, which applies the rest:
//
//	s := migratedTo(t, 25)
//	s.exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'old', 1)`, idArg(tenant))
//	s.close()
//	svc, db, _ := openTest(t, s.dir, nil)
//
// s.upTo applies some more migrations first, for a test of one migration
// alone. The connection is also closed when tb ends.
func migratedTo(tb testing.TB, version int64) *oldSchema {
	tb.Helper()
	dir := tb.TempDir()
	path := filepath.Join(dir, "db", "convstore.db")
	p, db, err := openMigrations(path)
	if db != nil {
		tb.Cleanup(func() { db.Close() })
	}
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	s := &oldSchema{tb: tb, dir: dir, path: path, db: db, p: p}
	s.upTo(version)
	return s
}

// openMigrations opens the database file at path (creating its directory)
// on a connection of its own, with a goose provider of the embedded
// migrations over it. The caller closes the *sql.DB, also on an error.
func openMigrations(path string) (*goose.Provider, *sql.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, err
	}
	db, err := sql.Open("sqlite", dsn(path, true, synchronous))
	if err != nil {
		return nil, nil, err
	}
	sub, err := fs.Sub(migrations, "migration")
	if err != nil {
		return nil, db, err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	return p, db, err
}

// upTo applies the migrations up to version.
func (s *oldSchema) upTo(version int64) {
	s.tb.Helper()
	if _, err := s.p.UpTo(context.Background(), version); err != nil {
		s.tb.Fatalf("migrating to %04d: %v", version, err)
	}
}

// exec runs a statement on the old schema, ending the test if it fails.
func (s *oldSchema) exec(q string, args ...any) {
	s.tb.Helper()
	if _, err := s.db.Exec(q, args...); err != nil {
		s.tb.Fatalf("%s: %v", q, err)
	}
}

// close closes the connection, before the store opens the file.
func (s *oldSchema) close() { s.db.Close() }
