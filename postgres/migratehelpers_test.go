package postgres_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/convstore/convstore/postgres/migration"
	"github.com/convstore/convstore/postgres/pgtest"
)

// oldSchema is a schema migrated only part of the way, as a store of an
// older version left it, for a migration's test to fill in that version's
// tables before a node migrates it the rest of the way.
type oldSchema struct {
	tb     testing.TB
	ctx    context.Context
	schema string          // pgtest.OpenNode(tb, s.schema, pgtest.NodeOptions{}) opens a node over it
	db     *sql.DB         // a pool on the schema, in the old version
	p      *goose.Provider // the migrations over db
}

// migratedTo creates a fresh schema (dropped when tb ends) and applies
// the migrations up to version (not the newest). Write the rows of that
// version's tables with s.exec (or s.db), then open a node, which
// applies the rest:
//
//	s := migratedTo(t, 25)
//	s.exec(`INSERT INTO tenants (id, name, created_at) VALUES ($1, 'old', now())`, tenant[:])
//	db := pgtest.OpenNode(t, s.schema, pgtest.NodeOptions{})
//
// s.upTo applies some more migrations first, for a test of one migration
// alone. The pool is closed when tb ends.
func migratedTo(tb testing.TB, version int64) *oldSchema {
	tb.Helper()
	ctx := testCtx(tb)
	schema := pgtest.NewSchema(tb)
	p, db, err := openMigrations(schemaConfig(tb, schema))
	tb.Cleanup(func() { db.Close() })
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		tb.Fatal(err)
	}
	s := &oldSchema{tb: tb, ctx: ctx, schema: schema, db: db, p: p}
	s.upTo(version)
	return s
}

// schemaConfig is the test database's connection configuration with
// schema as the search path.
func schemaConfig(tb testing.TB, schema string) *pgx.ConnConfig {
	tb.Helper()
	cfg, err := pgx.ParseConfig(pgtest.URL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	return cfg
}

// openMigrations opens a pool with cfg and a goose provider of the
// migrations over it. The caller closes the *sql.DB, also on an error.
func openMigrations(cfg *pgx.ConnConfig) (*goose.Provider, *sql.DB, error) {
	db := stdlib.OpenDB(*cfg)
	p, err := goose.NewProvider(goose.DialectPostgres, db, migration.FS, goose.WithDisableGlobalRegistry(true))
	return p, db, err
}

// upTo applies the migrations up to version.
func (s *oldSchema) upTo(version int64) {
	s.tb.Helper()
	if _, err := s.p.UpTo(s.ctx, version); err != nil {
		s.tb.Fatalf("migrating to %04d: %v", version, err)
	}
}

// exec runs a statement on the old schema, ending the test if it fails.
func (s *oldSchema) exec(q string, args ...any) {
	s.tb.Helper()
	if _, err := s.db.ExecContext(s.ctx, q, args...); err != nil {
		s.tb.Fatalf("%s: %v", q, err)
	}
}
