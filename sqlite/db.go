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
	"time"

	"github.com/convstore/convstore"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// busyTimeout is how long a connection waits for a lock held by another
// process (a CLI next to the server) before failing with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Options configures Open.
type Options struct {
	// Blobs keeps attachment bytes. Required.
	Blobs convstore.BlobStore

	// Logger receives failures that are repaired later (a blob that could
	// not be removed) rather than returned. Nil discards them.
	Logger *slog.Logger

	// MaxConversationMessages caps the messages of one conversation; 0 (or
	// less) means convstore.DefaultMaxConversationMessages.
	MaxConversationMessages int
}

// DB is the SQLite store. It is safe for concurrent use.
type DB struct {
	w      *sql.DB // the single writer connection
	r      *sql.DB // the reader pool
	blobs  convstore.BlobStore
	logger *slog.Logger
	maxMsg int // per-conversation message cap

	writerWait writerWaitHook // see ObserveWriterWait
}

var _ convstore.Store = (*DB)(nil)

// Open opens (creating if missing) the database at path and its parent
// directory, applies pending migrations, and repairs blob removals that a
// crash interrupted (SweepBlobs, then SweepOrphans).
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if opts.Blobs == nil {
		return nil, errors.New("sqlite: Options.Blobs is required")
	}
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
	db := &DB{blobs: opts.Blobs, logger: logger, maxMsg: opts.MaxConversationMessages}
	if db.maxMsg <= 0 {
		db.maxMsg = convstore.DefaultMaxConversationMessages
	}
	var err error
	if db.w, err = sql.Open("sqlite", dsn(path, true)); err != nil {
		return nil, fmt.Errorf("sqlite: open writer: %w", err)
	}
	// One writer connection: database/sql queues writers in the process,
	// which is cheaper than SQLite's busy-wait between connections.
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxIdleTime(0)
	db.w.SetConnMaxLifetime(0)
	if db.r, err = sql.Open("sqlite", dsn(path, false)); err != nil {
		db.w.Close()
		return nil, fmt.Errorf("sqlite: open readers: %w", err)
	}
	n := max(4, runtime.NumCPU())
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)

	if err := db.open(ctx); err != nil {
		db.Close()
		return nil, err
	}
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
	// Repairs are best effort: a blob store that is briefly unreadable must
	// not keep the database from opening. RunSweeper retries the queue.
	if n, err := db.SweepBlobs(ctx); err != nil {
		db.logger.Warn("sqlite: blob sweep at open failed", "error", err)
	} else if n > 0 {
		db.logger.Info("sqlite: removed blobs whose removal a crash interrupted", "removed", n)
	}
	if _, err := db.SweepOrphans(ctx); err != nil {
		db.logger.Warn("sqlite: orphan sweep at open failed", "error", err)
	}
	return nil
}

// dsn returns the connection string. The pragmas are in the DSN rather than
// run once after Open because database/sql opens connections at will, and
// every one of them needs them (foreign_keys above all, or cascades silently
// stop). The driver runs busy_timeout first.
func dsn(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "secure_delete(ON)")
	if writer {
		// BEGIN IMMEDIATE: take the write lock at BEGIN, so a transaction
		// that reads then writes cannot fail with SQLITE_BUSY on upgrade.
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(ON)")
		q.Set("_txlock", "deferred")
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: q.Encode()}
	return u.String()
}

// Ping reports whether both pools can reach the database.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return convstore.Errorf(convstore.EUNAVAILABLE, "database unavailable")
	}
	if err := db.r.PingContext(ctx); err != nil {
		return convstore.Errorf(convstore.EUNAVAILABLE, "database unavailable")
	}
	return nil
}

// Close closes both pools. Blob removals not yet done stay queued.
func (db *DB) Close() error {
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	return errors.Join(errs...)
}

// now is the timestamp of a write, at the microsecond precision stored.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// write runs fn in a write transaction on the single writer connection and
// commits if fn returns nil. now is read after BEGIN, so timestamps, like
// the IDs fn draws, follow commit order.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx, now time.Time) error) error {
	start := time.Now()
	tx, err := db.w.BeginTx(ctx, nil)
	db.writerWait.since(start)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	if err := fn(tx, now()); err != nil {
		return err
	}
	return translate(tx.Commit())
}

// read runs fn in a read transaction, so its queries see one snapshot.
func (db *DB) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return translate(err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return translate(tx.Commit())
}
