package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/convstore/convstore/driver"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// busyTimeout is how long a connection waits for a lock held by another
// process (a CLI next to the server) before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Options configures Open.
type Options struct {
	// Logger receives what the driver repairs or retries rather than
	// returns. Nil discards it.
	Logger *slog.Logger

	// synchronous and maxBatch override the durability settings, for the
	// benchmarks that measure what they cost.
	synchronous string
	maxBatch    int
}

// DB is the SQLite driver: one database file, a single writer connection
// and a pool of readers. It is safe for concurrent use.
type DB struct {
	w       *sql.DB // the single writer connection
	r       *sql.DB // the reader pool
	wStmts  map[string]*sql.Stmt
	rStmts  map[string]*sql.Stmt
	commits *committer
	reads   *ops // Reads(): statements on the reader pool
	logger  *slog.Logger
	closed  atomic.Bool
	path    string // of the database file (its WAL: path + "-wal")
	// reading counts the read transactions under way (Read): a
	// background write gives way to them too (see busy), for the CPU.
	reading atomic.Int32

	writerWait writerWaitHook // see ObserveWriterWait
}

var _ driver.Driver = (*DB)(nil)

// Open opens (creating if missing) the database at path and its parent
// directory, private to the owner, and applies pending migrations.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" || path == ":memory:" {
		return nil, errors.New("sqlite: a database file path is required")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: create directory: %w", err)
	}
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	syncMode := opts.synchronous
	if syncMode == "" {
		syncMode = synchronous
	}
	batch := opts.maxBatch
	if batch == 0 {
		batch = maxBatch
	}
	db := &DB{logger: logger, path: path}
	var err error
	if db.w, err = sql.Open("sqlite", dsn(path, true, syncMode)); err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	// One writer connection: database/sql queues writers in the process,
	// which is cheaper than SQLite's busy-wait between connections.
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxIdleTime(0)
	db.w.SetConnMaxLifetime(0)
	if db.r, err = sql.Open("sqlite", dsn(path, false, syncMode)); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	n := max(4, runtime.NumCPU())
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)
	if err := db.open(ctx); err != nil {
		db.r.Close()
		db.w.Close()
		return nil, err
	}
	db.reads = &ops{db: db, run: runner{pool: db.r, stmts: db.rStmts}}
	db.commits = newCommitter(db.w, syncMode, batch, db.writerWait.since, db.translate)
	return db, nil
}

func (db *DB) open(ctx context.Context) error {
	// The writer connects first, so the file exists and is in WAL mode
	// before any reader (whose connections are query_only) touches it.
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: connect: %w", err)
	}
	if err := migrate(ctx, db.w, db.logger); err != nil {
		return err
	}
	var err error
	if db.wStmts, err = prepareAll(ctx, db.w, false); err != nil {
		return err
	}
	if db.rStmts, err = prepareAll(ctx, db.r, true); err != nil {
		closeAll(db.wStmts)
		return err
	}
	return nil
}

// synchronous is the writer's durability setting. FULL makes every commit
// fsync the WAL before it returns, so what a caller was told has committed
// (a delete's receipt above all) survives a power loss; NORMAL would only
// fsync at checkpoints and could lose the last commits. Group commit (see
// committer) shares one fsync among the writes that arrive together.
const synchronous = "FULL"

// walSizeLimit is the size the WAL file is cut back to when it starts
// over: twice the 1000 pages at which a commit checkpoints it.
const walSizeLimit = 8 << 20

// dsn returns the connection string. The pragmas are in the DSN rather than
// run once after Open because database/sql opens connections at will, and
// every one of them needs them (foreign_keys above all, or cascades silently
// stop). The driver runs busy_timeout first.
func dsn(path string, writer bool, synchronous string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+synchronous+")")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "secure_delete(ON)")
	if writer {
		// BEGIN IMMEDIATE: take the write lock at BEGIN, so a transaction
		// that reads then writes cannot fail with SQLITE_BUSY on upgrade.
		q.Set("_txlock", "immediate")
		// When a write starts the WAL over after a checkpoint copied it
		// all (see Checkpoint), cut the file back to this size: one bulk
		// write that grew it must not leave it that large for good.
		q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
	} else {
		q.Add("_pragma", "query_only(ON)")
		q.Set("_txlock", "deferred")
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}
	return u.String()
}

// Name returns "sqlite".
func (db *DB) Name() string { return "sqlite" }

// Ping reports whether both pools can reach the database.
func (db *DB) Ping(ctx context.Context) error {
	if db.closed.Load() {
		return driver.ErrUnavailable()
	}
	if err := db.w.PingContext(ctx); err != nil {
		return driver.ErrUnavailable()
	}
	if err := db.r.PingContext(ctx); err != nil {
		return driver.ErrUnavailable()
	}
	return nil
}

// Close lets the write transactions under way commit and closes both
// pools.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	db.commits.close()
	closeAll(db.wStmts)
	closeAll(db.rStmts)
	return errors.Join(db.r.Close(), db.w.Close())
}

// createPrivate creates the database file, readable by its owner only,
// unless it exists. SQLite gives the -wal and -shm files it creates the
// database file's permissions, so they are private too.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: create database file: %w", err)
	}
	return f.Close()
}

// Read runs fn in a read transaction on the reader pool: its statements
// see one WAL snapshot.
func (db *DB) Read(ctx context.Context, fn func(ctx context.Context, r driver.Reader) error) error {
	return db.read(ctx, func(ctx context.Context, o *ops) error { return fn(ctx, o) })
}

// read is Read with the transaction's ops.
func (db *DB) read(ctx context.Context, fn func(ctx context.Context, o *ops) error) error {
	if db.closed.Load() {
		return driver.ErrUnavailable()
	}
	db.reading.Add(1)
	defer db.reading.Add(-1)
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return db.translate(err)
	}
	defer tx.Rollback()
	if err := fn(ctx, &ops{db: db, run: runner{tx: tx, pool: db.r, stmts: db.rStmts}}); err != nil {
		return err
	}
	return db.translate(tx.Commit())
}

// Write runs fn in a write transaction on the single writer connection
// and returns once it has durably committed (see committer: writes that
// arrive together share one transaction and one fsync). One writer means
// writes never interleave: p, which drivers with concurrent writers use to
// order writes to one conversation, has nothing to order here.
func (db *DB) Write(ctx context.Context, p driver.WriteParams, fn func(ctx context.Context, tx driver.Tx) error) error {
	if db.closed.Load() {
		return driver.ErrUnavailable()
	}
	if p.Background {
		err := db.commits.writeBackground(ctx, func(ctx context.Context, tx *sql.Tx) error {
			return fn(ctx, &ops{db: db, run: runner{tx: tx, pool: db.w, stmts: db.wStmts}, yield: db.busy})
		})
		if err == nil {
			db.syncWAL()
		}
		return err
	}
	return db.commits.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return fn(ctx, &ops{db: db, run: runner{tx: tx, pool: db.w, stmts: db.wStmts}})
	})
}

// Reads returns the reader pool's operations, each statement on its own.
func (db *DB) Reads() driver.Reader { return db.reads }

// ops implements driver.Tx (and so driver.Reader) over a runner.
type ops struct {
	db  *DB
	run runner
	// yield, in a background write, reports that a foreground write
	// waits for the writer or a read runs (Busy).
	yield func() bool
}

// Busy reports, in a background write, that a foreground write waits for
// the writer or a read runs (DB.busy).
func (o *ops) Busy() bool { return o.yield != nil && o.yield() }

var _ driver.Tx = (*ops)(nil)

// WriterConn returns the writer's connection, with the driver's pragmas
// and durability settings, for the benchmarks' physical baseline (a bare
// statement loop on the same connection as the driver's writes). While it
// is held, no write of the driver runs: close it before using the driver.
func (db *DB) WriterConn(ctx context.Context) (*sql.Conn, error) {
	return db.w.Conn(ctx)
}

// busy reports whether a foreground write waits for the writer or a read
// transaction is under way: a background write's batch ends then, and the
// purger pauses, leaving the writer and the CPU to the requests.
func (db *DB) busy() bool { return db.commits.waiting() || db.reading.Load() > 0 }

// syncWAL fsyncs the WAL file from the caller's goroutine, outside the
// writer, after a background write committed without an fsync (see
// committer.runBackground): its frames reach the disk while foreground
// writes go on, rather than in the fsync of the next foreground commit,
// which would wait for them. A failure leaves that to the next commit.
func (db *DB) syncWAL() {
	f, err := os.Open(db.path + "-wal")
	if err != nil {
		return
	}
	defer f.Close()
	f.Sync()
}
