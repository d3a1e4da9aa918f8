package servicetest

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/keyring"
	"github.com/convstore/convstore/service"
)

// Database is a fresh, empty database of a driver, for ServiceHarness to
// run services over.
type Database struct {
	// Open opens a driver on the database; it is called once per node
	// (see Harness.NewNode). The service closes it.
	Open func(tb testing.TB) driver.Driver

	// Blobs is the blob store of the database's attachment bytes.
	Blobs convstore.BlobStore

	// RowCounts and ConversationRows are the harness's (see Harness).
	RowCounts        func(ctx context.Context) (map[string]int, error)
	ConversationRows func(ctx context.Context, conversationID convstore.ID) (map[string]int, error)

	// Keyring seals the database's content; nil: ServiceHarness makes one
	// (NewKeyring), which every node of the database shares.
	Keyring *keyring.Keyring
}

// NewKeyring returns a new keyring in a temporary directory, closed when
// tb ends.
func NewKeyring(tb testing.TB) *keyring.Keyring {
	tb.Helper()
	ring, err := keyring.Open(context.Background(), keyring.Config{Path: filepath.Join(tb.TempDir(), "keyring"), Create: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ring.Close() })
	return ring
}

// NewDatabaseFunc creates a fresh database; it registers its own clean-up.
type NewDatabaseFunc func(tb testing.TB) *Database

// ServiceHarness returns a NewHarnessFunc of services (service.New) over
// the databases newDatabase creates, each with a Clock the tests move.
func ServiceHarness(newDatabase NewDatabaseFunc) NewHarnessFunc {
	return func(tb testing.TB) *Harness {
		db := newDatabase(tb)
		if db.Keyring == nil {
			db.Keyring = NewKeyring(tb)
		}
		clock := &Clock{}
		svc := OpenService(tb, db, service.Options{Now: clock.Now, Logger: Logger(tb)})
		// Deletes answer before their rows are purged: what the suite
		// counts and the blobs it lists are those after every queued
		// purge (the purge tests, RunPurge, look before it).
		purged := func(ctx context.Context) error {
			_, err := svc.Purge(ctx)
			return err
		}
		return &Harness{
			Store: svc,
			Blobs: db.Blobs,
			RowCounts: func(ctx context.Context) (map[string]int, error) {
				if err := purged(ctx); err != nil {
					return nil, err
				}
				return db.RowCounts(ctx)
			},
			ConversationRows: func(ctx context.Context, id convstore.ID) (map[string]int, error) {
				if err := purged(ctx); err != nil {
					return nil, err
				}
				return db.ConversationRows(ctx, id)
			},
			WaitBlobRemovals:     svc.WaitBlobRemovals, // purges first
			SweepAccessTokens:    svc.SweepAccessTokens,
			SweepTombstones:      svc.SweepTombstones,
			SweepIdempotencyKeys: svc.SweepIdempotencyKeys,
			ApplyRetention:       svc.ApplyRetention,
			FlushKeyUses:         svc.FlushKeyUses,
			Clock:                clock,
			AuthCacheTTL:         service.DefaultAuthCacheTTL,
			NewStore: func(tb testing.TB, o StoreOptions) convstore.Store {
				db := newDatabase(tb)
				if db.Keyring == nil {
					db.Keyring = NewKeyring(tb)
				}
				if o.WrapBlobs != nil {
					wrapped := *db
					wrapped.Blobs = o.WrapBlobs(db.Blobs)
					db = &wrapped
				}
				return OpenService(tb, db, service.Options{Logger: Logger(tb), MaxConversationMessages: o.MaxConversationMessages})
			},
			NewNode: func(tb testing.TB) convstore.Store {
				return OpenService(tb, db, service.Options{Now: clock.Now, Logger: Logger(tb)})
			},
		}
	}
}

// OpenService opens a service over a new driver of db with opts (sealed
// with db.Keyring unless opts names one), closed when tb ends.
func OpenService(tb testing.TB, db *Database, opts service.Options) *service.Service {
	tb.Helper()
	if opts.Keyring == nil {
		opts.Keyring = db.Keyring
	}
	svc := service.New(db.Open(tb), db.Blobs, opts)
	tb.Cleanup(func() { svc.Close() })
	return svc
}

// Logger returns a logger that writes to tb's log, and drops records
// once tb has ended (background work may still log then).
func Logger(tb testing.TB) *slog.Logger {
	w := &tbWriter{tb: tb}
	tb.Cleanup(func() { w.done.Store(true) })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tbWriter struct {
	tb   testing.TB
	done atomic.Bool
}

func (w *tbWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.tb.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}
