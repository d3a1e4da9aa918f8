package postgres

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/convstore/convstore"
)

// Hooks for the external tests (package postgres_test).

// SetNewID replaces the ID source of db.
func SetNewID(db *DB, f func() convstore.ID) { db.newID = f }

// Pool returns db's connection pool, for tests that look at tables.
func Pool(db *DB) *pgxpool.Pool { return db.pool }
