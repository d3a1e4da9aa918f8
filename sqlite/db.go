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
	"github.com/convstore/convstore/internal/removal"
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

	// synchronous and maxBatch override the durability settings, for the
	// benchmarks that measure what they cost.
	synchronous string
	maxBatch    int
}

// DB is the SQLite store. It is safe for concurrent use.
type DB struct {
	w        *sql.DB // the single writer connection
	r        *sql.DB // the reader pool
	commits  *committer
	removals *removal.Worker
	blobs    convstore.BlobStore
	logger   *slog.Logger
	maxMsg   int // per-conversation message cap

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
	if err := createPrivate(path); err != nil {
		return nil, err
	}
	db := &DB{blobs: opts.Blobs, logger: logger, maxMsg: opts.MaxConversationMessages}
	if db.maxMsg <= 0 {
		db.maxMsg = convstore.DefaultMaxConversationMessages
	}
	syncMode := opts.synchronous
	if syncMode == "" {
		syncMode = synchronous
	}
	batch := opts.maxBatch
	if batch == 0 {
		batch = maxBatch
	}
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
	db.commits = newCommitter(db.w, batch, db.writerWait.since)
	db.removals = removal.New(db.removeBlobs, removalQueue)
	if db.r, err = sql.Open("sqlite", dsn(path, false, syncMode)); err != nil {
		db.commits.close()
		db.removals.Close()
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
	// Partial uploads of a process killed mid-upload: a file blob store
	// tells them apart from uploads under way (a CLI may open the store
	// while the server runs).
	if t, ok := db.blobs.(tempRemover); ok {
		if n, err := t.RemoveStaleTemp(ctx); err != nil {
			db.logger.Warn("sqlite: removing partial uploads at open failed", "error", err)
		} else if n > 0 {
			db.logger.Info("sqlite: removed partial uploads a crash left", "removed", n)
		}
	}
	return nil
}

// tempRemover is a blob store that can remove the partial uploads a
// killed process left (blob.FS).
type tempRemover interface {
	RemoveStaleTemp(ctx context.Context) (int, error)
}

// synchronous is the writer's durability setting. FULL makes every commit
// fsync the WAL before it returns, so what a caller was told has committed
// (a delete's receipt above all) survives a power loss; NORMAL would only
// fsync at checkpoints and could lose the last commits. Group commit (see
// committer) shares one fsync among the writes that arrive together.
const synchronous = "FULL"

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

// Close stops the background blob removals, lets the write transactions
// under way commit, and closes both pools. Blob removals not yet done stay
// queued for the next sweep.
func (db *DB) Close() error {
	if db.removals != nil {
		db.removals.Close()
	}
	if db.commits != nil {
		db.commits.close()
	}
	var errs []error
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		errs = append(errs, db.w.Close())
	}
	return errors.Join(errs...)
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

// now is the timestamp of a write, at the microsecond precision stored.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// write runs fn in a write transaction on the single writer connection and
// returns once it has durably committed (nil) or failed (fn's error, or the
// commit's). fn runs with a context that the caller's cancellation does not
// end (see writeFunc); if ctx ends before fn starts, fn never runs. now is
// read when fn starts, so timestamps, like the IDs fn draws, follow commit
// order.
func (db *DB) write(ctx context.Context, fn writeFunc) error {
	return db.commits.write(ctx, fn)
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
