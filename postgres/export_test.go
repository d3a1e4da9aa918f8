package postgres

import "github.com/jackc/pgx/v5/pgxpool"

// Hooks for the external tests (package postgres_test).

// Pool returns db's connection pool, for tests that look at tables.
func Pool(db *DB) *pgxpool.Pool { return db.pool }

// ConfigurePool makes Open pass the pool's configuration to f first.
func ConfigurePool(opts *Options, f func(*pgxpool.Config)) { opts.configure = f }

// NodeID returns the id db's upload intents name as their owner.
func NodeID(db *DB) int64 { return db.nodeID }
