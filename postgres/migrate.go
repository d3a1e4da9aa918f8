package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/convstore/convstore/postgres/migration"
)

// migrate creates the schema if needed and applies pending migrations.
//
// Several nodes may start at once. goose's own PostgreSQL session locker
// polls pg_try_advisory_lock at one-second (by default five-second)
// intervals on one database-wide key; this engine instead takes a
// blocking pg_advisory_lock keyed by the schema, so a node waits exactly
// as long as another node's migration runs, and stores in different
// schemas (tests) never wait for each other. The lock is a session lock
// on the connection goose migrates with, released when goose is done (or
// by PostgreSQL when the connection dies). Each migration runs in its own
// transaction and is recorded in goose_db_version.
func (db *DB) migrate(ctx context.Context) error {
	if db.schema != "" {
		_, err := db.pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{db.schema}.Sanitize())
		// Two nodes creating the schema at once may both pass IF NOT
		// EXISTS; the loser's unique violation means the schema exists.
		if err != nil && !isCode(err, codeUniqueViolation) && !isCode(err, codeDuplicateSchema) {
			return fmt.Errorf("postgres: creating schema %s: %w", db.schema, db.translate(ctx, err))
		}
	}
	sqlDB := stdlib.OpenDBFromPool(db.pool)
	defer sqlDB.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migration.FS,
		goose.WithSessionLocker(advisoryLocker{key: migrationLockKey(db.schema)}),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("postgres: preparing migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrating: %w", db.translate(ctx, err))
	}
	return nil
}

// migrationLockKey is the advisory lock key of migrations in schema.
func migrationLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("convstore/postgres migrate " + schema))
	return int64(h.Sum64())
}

// advisoryLocker is a goose session locker that blocks on a session-level
// advisory lock instead of polling.
type advisoryLocker struct{ key int64 }

// SessionLock waits for the lock, or for ctx to end: another node's
// migration may take longer than lock_timeout, which is lifted on this
// connection until SessionUnlock.
func (l advisoryLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SET lock_timeout = 0"); err != nil {
		return fmt.Errorf("lifting lock_timeout for the migration lock: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", l.key); err != nil {
		return fmt.Errorf("taking the migration lock: %w", err)
	}
	return nil
}

// SessionUnlock releases the lock.
func (l advisoryLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", l.key); err != nil {
		return fmt.Errorf("releasing the migration lock: %w", err)
	}
	// Back to the connection's own setting before the pool reuses it.
	if _, err := conn.ExecContext(ctx, "RESET lock_timeout"); err != nil {
		return fmt.Errorf("restoring lock_timeout: %w", err)
	}
	return nil
}
