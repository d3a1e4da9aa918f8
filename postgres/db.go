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
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/convstore/convstore/driver"
)

// Defaults of Options.
const (
	DefaultMaxConns             = 10
	DefaultStatementTimeout     = 30 * time.Second
	DefaultLockTimeout          = 5 * time.Second
	DefaultAcquireTimeout       = 5 * time.Second
	DefaultSerializationRetries = 5
	defaultConnectTimeout       = 10 * time.Second
)

// Options configure Open. The zero value is usable.
type Options struct {
	// Logger receives what the driver retries or repairs rather than
	// returns (a lost connection, a transaction run again). Nil discards
	// it.
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
	// with a serialization failure or deadlock (40001, 40P01) runs again
	// before the call fails with EUNAVAILABLE; 0 means
	// DefaultSerializationRetries, negative means none.
	SerializationRetries int

	// Schema, if set, is the schema the database lives in: it is created
	// if missing and becomes every connection's search_path. It must be a
	// lower-case SQL identifier. Tests use it to isolate databases.
	Schema string

	// configure, if set, adjusts the pool's configuration (tests).
	configure func(*pgxpool.Config)
}

// DB is the PostgreSQL driver: a driver.Driver over a pgx pool. It is safe
// for concurrent use, and several DBs (in one process or on several
// nodes) may share one database.
type DB struct {
	pool    *pgxpool.Pool
	conns   *conns
	reads   *ops // Reads(): single statements that may run twice
	gates   *gates
	session *session
	nodeID  int64 // owner of this node's upload intents (see session)
	logger  *slog.Logger
	retries int
	schema  string

	closed atomic.Bool
	// foreground counts the foreground transactions (Read, and Write not
	// marked Background) begun on this node, and active those under way:
	// a background write that sees either move ran beside the foreground
	// (driver.Tx.Busy).
	foreground atomic.Uint64
	active     atomic.Int64
	// writing is held shared by every Write under way, and exclusively by
	// Close, which so waits for them.
	writing sync.RWMutex
}

var _ driver.Driver = (*DB)(nil)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to the database at dsn (a postgres:// URL or a key=value
// connection string), creates Options.Schema if needed, applies pending
// migrations under an advisory lock (so several nodes may start at once),
// and opens the node's own connection (see session).
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
	lockTimeout := setTimeouts(cfg.ConnConfig.RuntimeParams, opts)
	params := cfg.ConnConfig.RuntimeParams
	if opts.Schema != "" {
		params["search_path"] = opts.Schema
	}
	if params["application_name"] == "" {
		params["application_name"] = "convstore"
	}
	// TimeZone UTC makes the server render times in UTC; values are
	// instants (timestamptz) either way.
	params["timezone"] = "UTC"
	// Statements are prepared once per connection and reused: pgx's
	// default QueryExecModeCacheStatement keeps each connection's
	// prepared statements in an LRU keyed by SQL text. Every statement of
	// this driver is one of a fixed set of texts (filters and pages
	// choose among fixed forms; values are always arguments), so after a
	// connection's first use of a statement it is never parsed or
	// planned again by text: a delete is four Binds and Executes of
	// statements prepared once. The cache must hold them all.
	cfg.ConnConfig.StatementCacheCapacity = max(cfg.ConnConfig.StatementCacheCapacity, statementCacheCapacity)

	if opts.configure != nil {
		opts.configure(cfg)
	}
	acquireTimeout := opts.AcquireTimeout
	if acquireTimeout == 0 {
		acquireTimeout = DefaultAcquireTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: creating the pool: %w", err)
	}
	db := &DB{
		pool:    pool,
		conns:   &conns{pool: pool, acquireTimeout: max(acquireTimeout, 0)},
		gates:   &gates{timeout: lockTimeout},
		nodeID:  newNodeID(),
		logger:  opts.Logger,
		retries: opts.SerializationRetries,
		schema:  opts.Schema,
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
	db.reads = &ops{db: db, q: db.conns.idempotent()}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	db.session = newSession(cfg.ConnConfig.Copy(), db.nodeID, db.logger)
	if err := db.session.ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: opening the node's connection: %w", db.translate(ctx, err))
	}
	return db, nil
}

// statementCacheCapacity is the least size of each connection's cache of
// prepared statements: more than the driver's fixed texts (about 120 with
// every page and filter form), so none is ever evicted.
const statementCacheCapacity = 512

// setTimeouts puts statement_timeout and lock_timeout in the connection's
// run-time parameters as opts say, and returns the lock timeout in force
// (0: none), which the write gate waits at most too.
func setTimeouts(params map[string]string, opts Options) time.Duration {
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
	if lockTimeout <= 0 {
		return 0
	}
	params["lock_timeout"] = strconv.FormatInt(max(lockTimeout.Milliseconds(), 1), 10)
	return lockTimeout
}

// newNodeID returns a random positive id for this node's advisory lock.
func newNodeID() int64 { return rand.Int64N(math.MaxInt64-1) + 1 }

// Name returns "postgres".
func (db *DB) Name() string { return "postgres" }

// Close waits for the writes under way, closes the node's own connection
// (releasing its upload lock) and the pool. Reads in flight fail.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.writing.Lock()
	defer db.writing.Unlock()
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
	if db.closed.Load() {
		return driver.ErrUnavailable()
	}
	err := db.session.ping(ctx)
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			return ctx.Err()
		}
		// A deadline that passed is an unreachable database too: a
		// black-holed network answers no connection attempt at all.
		db.logger.WarnContext(ctx, "postgres: ping failed", "error", err)
		return driver.ErrUnavailable()
	}
	return nil
}

// Reads returns the operations that each run as a single statement on a
// pooled connection; one whose connection turns out lost before it
// returned a row runs once more on a fresh connection (see
// conns.idempotent): they only read.
func (db *DB) Reads() driver.Reader { return db.reads }

// Blobs returns a blob store that keeps attachment bytes in this database
// (see BlobStore), over the driver's pool.
func (db *DB) Blobs() *BlobStore {
	return &BlobStore{conns: db.conns, chunkSize: ChunkSize, pool: db.pool}
}

// Schema returns the schema the database lives in (Options.Schema), or ""
// for the connection's own search_path.
func (db *DB) Schema() string { return db.schema }
