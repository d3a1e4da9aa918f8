package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/convstore/convstore"
)

// Defaults of Options.
const (
	DefaultMaxConns             = 10
	DefaultStatementTimeout     = 30 * time.Second
	DefaultSerializationRetries = 5
	DefaultSweepBatch           = 100
	defaultConnectTimeout       = 10 * time.Second
)

// Options configure Open. The zero value is usable.
type Options struct {
	// Logger receives warnings (failed blob removals, retries). Nil
	// discards them.
	Logger *slog.Logger

	// MaxConns bounds the connection pool; 0 means DefaultMaxConns.
	MaxConns int32

	// StatementTimeout is set on every connection; 0 means the connection
	// string's statement_timeout or else DefaultStatementTimeout, negative
	// disables it.
	StatementTimeout time.Duration

	// SerializationRetries is how many times a transaction that failed
	// with a serialization failure or deadlock (40001, 40P01) is retried
	// before the call fails with EUNAVAILABLE; 0 means
	// DefaultSerializationRetries, negative means no retries.
	SerializationRetries int

	// Blobs keeps attachment bytes. Nil means the built-in BlobStore, which
	// keeps them in this database.
	Blobs convstore.BlobStore

	// Schema, if set, is the schema the store lives in: it is created if
	// missing and becomes every connection's search_path. It must be a
	// lower-case SQL identifier. Tests use it to isolate stores.
	Schema string

	// SweepBatch is how many blob removals one sweep transaction claims;
	// 0 means DefaultSweepBatch.
	SweepBatch int

	// MaxConversationMessages caps the messages of one conversation; 0 (or
	// less) means convstore.DefaultMaxConversationMessages. Nodes sharing
	// a database should agree on it: each enforces its own.
	MaxConversationMessages int
}

// DB is the PostgreSQL storage engine: a convstore.Store over a pgx pool.
// It is safe for concurrent use, and several DBs (in one process or on
// several nodes) may share one database.
type DB struct {
	pool       *pgxpool.Pool
	blobs      convstore.BlobStore
	logger     *slog.Logger
	retries    int
	sweepBatch int
	schema     string
	maxMsg     int // per-conversation message cap

	// newID makes every ID the engine stores; tests replace it to force
	// sequence-number collisions.
	newID func() convstore.ID
}

var _ convstore.Store = (*DB)(nil)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to the database at dsn (a postgres:// URL or a key=value
// connection string), creates Options.Schema if needed, applies pending
// migrations under an advisory lock (so several nodes may start at once),
// and runs one blob sweep to finish removals a crash interrupted.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.Schema != "" && !schemaName.MatchString(opts.Schema) {
		return nil, fmt.Errorf("postgres: schema %q is not a lower-case SQL identifier", opts.Schema)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parsing the connection string: %w", err)
	}
	cfg.MaxConns = opts.MaxConns
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultMaxConns
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = defaultConnectTimeout
	}
	params := cfg.ConnConfig.RuntimeParams
	switch timeout := opts.StatementTimeout; {
	case timeout == 0 && params["statement_timeout"] != "":
		// The connection string's own setting stands.
	case timeout == 0:
		params["statement_timeout"] = strconv.FormatInt(DefaultStatementTimeout.Milliseconds(), 10)
	case timeout > 0:
		params["statement_timeout"] = strconv.FormatInt(max(timeout.Milliseconds(), 1), 10)
	}
	if opts.Schema != "" {
		params["search_path"] = opts.Schema
	}
	if params["application_name"] == "" {
		params["application_name"] = "convstore"
	}
	// TimeZone UTC makes the server render times in UTC; values are
	// instants (timestamptz) either way.
	params["timezone"] = "UTC"

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: creating the pool: %w", err)
	}
	db := &DB{
		pool:       pool,
		blobs:      opts.Blobs,
		logger:     opts.Logger,
		retries:    opts.SerializationRetries,
		sweepBatch: opts.SweepBatch,
		schema:     opts.Schema,
		maxMsg:     opts.MaxConversationMessages,
		newID:      convstore.NewID,
	}
	if db.maxMsg <= 0 {
		db.maxMsg = convstore.DefaultMaxConversationMessages
	}
	if db.logger == nil {
		db.logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case db.retries == 0:
		db.retries = DefaultSerializationRetries
	case db.retries < 0:
		db.retries = 0
	}
	if db.sweepBatch <= 0 {
		db.sweepBatch = DefaultSweepBatch
	}
	if db.blobs == nil {
		db.blobs = NewBlobStore(pool)
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if _, err := db.SweepBlobs(ctx); err != nil {
		db.logger.WarnContext(ctx, "postgres: blob sweep at open failed", "error", err)
	}
	return db, nil
}

// Close closes the pool. Calls in flight fail.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Ping reports whether the database answers, for /readyz: EUNAVAILABLE
// while it is unreachable. The pool replaces broken connections, so Ping
// succeeds again once the database is back, without a restart.
func (db *DB) Ping(ctx context.Context) error {
	err := db.pool.Ping(ctx)
	if err != nil && ctx.Err() == nil {
		// One retry: the first attempt may have drawn a connection that
		// died during an outage, which the pool has now discarded.
		err = db.pool.Ping(ctx)
	}
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return ctx.Err()
		}
		// A deadline that passed is an unreachable database too: a
		// black-holed network answers no connection attempt at all.
		db.logger.WarnContext(ctx, "postgres: ping failed", "error", err)
		return errUnavailable()
	}
	return nil
}

// Blobs returns the blob store in use: Options.Blobs or the built-in one.
func (db *DB) Blobs() convstore.BlobStore { return db.blobs }

// now returns the time stored for a write: the wall clock, in UTC, cut to
// the microsecond PostgreSQL keeps, so the value a method returns equals
// the value read back later.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// tx runs fn in a transaction (READ COMMITTED, PostgreSQL's default),
// retrying the whole function on serialization failures, deadlocks and
// errors that happened before anything reached the server. fn must be
// safe to run again: it draws its IDs and times inside.
func (db *DB) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := pgx.BeginFunc(ctx, db.pool, fn)
		if err == nil {
			return nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return db.translate(ctx, err)
		}
		if attempt >= db.retries {
			db.logger.WarnContext(ctx, "postgres: transaction failed after retries", "attempts", attempt+1, "error", err)
			return convstore.Errorf(convstore.EUNAVAILABLE, "database busy, try again")
		}
		// Back off a little, growing with each attempt, so that the
		// transactions that collided do not collide again at once.
		d := time.Duration(attempt+1) * time.Duration(1+rand.IntN(8)) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
}
