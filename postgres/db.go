package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/internal/removal"
)

// Defaults of Options.
const (
	DefaultMaxConns             = 10
	DefaultStatementTimeout     = 30 * time.Second
	DefaultLockTimeout          = 5 * time.Second
	DefaultAcquireTimeout       = 5 * time.Second
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

	// LockTimeout bounds how long a statement waits for a lock (a row
	// another transaction holds), as PostgreSQL's lock_timeout on every
	// connection, and how long a write waits for its turn on a
	// conversation on this node; past it the call fails with ETIMEOUT. 0
	// means the connection string's lock_timeout or else
	// DefaultLockTimeout, negative disables it.
	LockTimeout time.Duration

	// AcquireTimeout bounds how long a call waits for a free connection of
	// the pool before it fails with ETIMEOUT; 0 means
	// DefaultAcquireTimeout, negative means as long as the caller's
	// context allows.
	AcquireTimeout time.Duration

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

	// configure, if set, adjusts the pool's configuration (tests).
	configure func(*pgxpool.Config)
}

// DB is the PostgreSQL storage engine: a convstore.Store over a pgx pool.
// It is safe for concurrent use, and several DBs (in one process or on
// several nodes) may share one database.
type DB struct {
	pool       *pgxpool.Pool
	conns      *conns
	reads      querier // single statements that may run twice (see conns.idempotent)
	writes     querier // single statements that must run at most once (see conns.once)
	gates      *gates
	session    *session
	nodeID     int64 // owner of this node's upload intents (see session)
	removals   *removal.Worker
	abandoned  abandonedUploads
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
// opens the node's own connection (see session), makes the upload intents
// of nodes that are gone due, and runs one blob sweep to finish removals a
// crash interrupted.
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
	lockTimeout := opts.LockTimeout
	switch {
	case lockTimeout == 0 && params["lock_timeout"] != "":
		if ms, err := strconv.Atoi(params["lock_timeout"]); err == nil {
			lockTimeout = time.Duration(ms) * time.Millisecond
		}
	case lockTimeout == 0:
		lockTimeout = DefaultLockTimeout
	}
	if lockTimeout > 0 {
		params["lock_timeout"] = strconv.FormatInt(max(lockTimeout.Milliseconds(), 1), 10)
	} else {
		lockTimeout = 0
	}
	acquireTimeout := opts.AcquireTimeout
	if acquireTimeout == 0 {
		acquireTimeout = DefaultAcquireTimeout
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

	if opts.configure != nil {
		opts.configure(cfg)
	}

	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: creating the pool: %w", err)
	}
	c := &conns{pool: pool, acquireTimeout: max(acquireTimeout, 0)}
	db := &DB{
		pool:       pool,
		conns:      c,
		reads:      c.idempotent(),
		writes:     c.once(),
		gates:      &gates{timeout: lockTimeout},
		nodeID:     newNodeID(),
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
		db.blobs = &BlobStore{conns: c, chunkSize: ChunkSize}
	}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	db.session = newSession(cfg.ConnConfig.Copy(), db.nodeID, db.logger)
	if err := db.session.ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: opening the node's connection: %w", db.translate(ctx, err))
	}
	db.removals = removal.New(db.removeBlobs, removalQueue)
	if n, err := db.reclaimUploads(ctx); err != nil {
		db.logger.WarnContext(ctx, "postgres: reclaiming the uploads of nodes that are gone failed", "error", err)
	} else if n > 0 {
		db.logger.InfoContext(ctx, "postgres: uploads of nodes that are gone made due for removal", "uploads", n)
	}
	if _, err := db.SweepBlobs(ctx); err != nil {
		db.logger.WarnContext(ctx, "postgres: blob sweep at open failed", "error", err)
	}
	return db, nil
}

// newNodeID returns a random positive id for this node's advisory lock.
func newNodeID() int64 { return rand.Int64N(math.MaxInt64-1) + 1 }

// Close stops the background blob removals (those not done stay queued),
// closes the node's own connection, and closes the pool. Calls in flight
// fail.
func (db *DB) Close() error {
	db.removals.Close()
	db.session.close()
	db.pool.Close()
	return nil
}

// Ping reports whether the database answers, for /readyz: EUNAVAILABLE
// while it is unreachable. It runs on the node's own connection (see
// session), never waiting for a pooled one, so a pool that is busy, or
// whose connections wait on a lock, does not make a healthy node look
// down. A broken connection is replaced, so Ping succeeds again once the
// database is back, without a restart.
func (db *DB) Ping(ctx context.Context) error {
	err := db.session.ping(ctx)
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
// errors that happened before anything reached the server; and once, on a
// fresh connection, when the connection was lost before COMMIT was sent
// (the server then rolls the transaction back, so nothing of it
// committed). fn must be safe to run again: it draws its IDs and times
// inside.
func (db *DB) tx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	lost := false
	for attempt := 0; ; attempt++ {
		committing, err := db.runTx(ctx, lost, fn)
		if err == nil {
			return nil
		}
		if ctx.Err() == nil && !lost && !committing && connLost(err) {
			db.logger.InfoContext(ctx, "postgres: connection lost before commit; running the transaction again", "error", err)
			lost = true
			continue
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

// runTx runs fn in one transaction, on a fresh connection if fresh is
// set, and reports whether a failure came from COMMIT (when it is unknown
// whether the transaction committed).
func (db *DB) runTx(ctx context.Context, fresh bool, fn func(tx pgx.Tx) error) (committing bool, err error) {
	var conn *pgxpool.Conn
	if fresh {
		conn, err = db.conns.fresh(ctx)
	} else {
		conn, err = db.conns.acquire(ctx)
	}
	if err != nil {
		return false, err
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx) // after a commit, a no-op
	if err := fn(tx); err != nil {
		return false, err
	}
	return true, tx.Commit(ctx)
}

// txOn is tx for a write to one conversation: it first waits for the
// conversation's turn on this node (see gates), so that writes queued on
// one conversation's row lock hold one pooled connection, not all.
func (db *DB) txOn(ctx context.Context, tenantID, conversationID convstore.ID, fn func(tx pgx.Tx) error) error {
	leave, err := db.gates.enter(ctx, tenantID, conversationID)
	if err != nil {
		return err
	}
	defer leave()
	return db.tx(ctx, fn)
}
