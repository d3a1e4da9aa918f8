package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/sqlite"
)

// openStore opens the engine the configuration names, creating the data
// directory, the blob directory and the SQLite database file as needed. It
// is the one place that picks concrete engine types: the service tier over
// the SQLite or the PostgreSQL driver.
func openStore(ctx context.Context, cfg Config, logger *slog.Logger) (convstore.Store, error) {
	engine, err := cfg.Engine()
	if err != nil {
		return nil, err
	}
	kind, err := cfg.blobStoreKind()
	if err != nil {
		return nil, err
	}
	var blobs convstore.BlobStore // nil: the PostgreSQL engine's built-in store
	if kind == BlobStoreFS {
		if blobs, err = openFSBlobs(cfg); err != nil {
			return nil, err
		}
	}
	if engine == EnginePostgres {
		return openPostgres(ctx, cfg, blobs, logger)
	}
	path, err := cfg.SQLitePath()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	drv, err := sqlite.Open(ctx, path, sqlite.Options{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	// One process serves a SQLite database, so listing the blob store for
	// orphans at every start is cheap and catches what a crash left.
	return openService(ctx, cfg, drv, blobs, service.Options{
		Logger:                  logger,
		MaxConversationMessages: cfg.MaxConversationMessages,
		SweepOrphansAtStart:     true,
	})
}

// openService opens the keyring of the store drv opened and the service
// over it; on failure it closes drv (and the keyring), having changed
// nothing.
func openService(ctx context.Context, cfg Config, drv driver.Driver, blobs convstore.BlobStore, opts service.Options) (convstore.Store, error) {
	ring, err := openKeyring(ctx, cfg, drv)
	if err != nil {
		drv.Close()
		return nil, err
	}
	opts.Keyring = ring
	cfg.sealOptions(&opts)
	cfg.backgroundOptions(&opts)
	if cfg.now != nil {
		opts.Now = cfg.now
	}
	opts.TombstoneRetention, opts.IdempotencyRetention = cfg.TombstoneRetention, cfg.IdempotencyRetention
	opts.EventRetention = cfg.EventRetention
	opts.WebhookAllowPrivate = cfg.WebhookAllowPrivate
	if cfg.TombstoneRetention == 0 {
		opts.TombstoneRetention = -1 // for ever
	}
	svc, err := service.Open(drv, blobs, opts)
	if err != nil {
		ring.Close()
		drv.Close()
		return nil, err
	}
	return svc, nil
}

// openFSBlobs creates the data and blob directories and opens the
// directory blob store.
func openFSBlobs(cfg Config) (convstore.BlobStore, error) {
	for _, dir := range []string{cfg.DataDir, cfg.BlobDir()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	blobs, err := blob.NewFS(cfg.BlobDir())
	if err != nil {
		return nil, fmt.Errorf("opening blob directory %s: %w", cfg.BlobDir(), err)
	}
	return blobs, nil
}

// openPostgres opens the service tier over the PostgreSQL driver; blobs
// nil means the driver's built-in blob store (attachment bytes in the
// database, so nodes need no shared disk). Nodes share the database, so a
// start does not list the blob store for orphans (each node would list all
// of it); the service reclaims the uploads of nodes that died instead.
func openPostgres(ctx context.Context, cfg Config, blobs convstore.BlobStore, logger *slog.Logger) (convstore.Store, error) {
	retries := cfg.PGRetries
	if retries == 0 {
		retries = -1 // Options: 0 is the default, negative is none
	}
	db, err := postgres.Open(ctx, cfg.DB, postgres.Options{
		Logger:               logger,
		MaxConns:             int32(cfg.PGMaxConns),
		StatementTimeout:     cfg.PGStatementTimeout,
		LockTimeout:          cfg.PGLockTimeout,
		AcquireTimeout:       cfg.PGAcquireTimeout,
		SerializationRetries: retries,
		Schema:               cfg.PGSchema,
	})
	if err != nil {
		// Not wrapped: the CLI would print only the store error's message
		// ("database unavailable"); the driver logged the cause.
		msg := err.Error()
		var ce *convstore.Error
		if errors.As(err, &ce) {
			msg = ce.Message
		}
		return nil, fmt.Errorf("opening PostgreSQL database %s: %s (check the DSN and that the server is reachable)", redactDSN(cfg.DB), msg)
	}
	if blobs == nil {
		blobs = db.Blobs()
	}
	return openService(ctx, cfg, db, blobs, service.Options{
		Logger:                  logger,
		MaxConversationMessages: cfg.MaxConversationMessages,
	})
}

// storeLogAttrs says where the data lives, for the start log: the SQLite
// file and blob directory, or the PostgreSQL database (password hidden),
// its schema and where attachment bytes go. The data directory is named
// only when something is in it.
func storeLogAttrs(cfg Config) []any {
	engine, _ := cfg.Engine()
	kind, _ := cfg.blobStoreKind()
	blobs := cfg.BlobDir()
	if kind == BlobStorePostgres {
		blobs = "postgres (in the database)"
	}
	if engine != EnginePostgres {
		path, _ := cfg.SQLitePath()
		return []any{"engine", engine, "db", path, "blobs", blobs}
	}
	attrs := []any{"engine", engine, "db", redactDSN(cfg.DB)}
	if cfg.PGSchema != "" {
		attrs = append(attrs, "schema", cfg.PGSchema)
	}
	return append(attrs, "blobs", blobs)
}

// redactDSN hides the password of a postgres:// URL for messages.
func redactDSN(dsn string) string {
	if !strings.HasPrefix(dsn, "postgres") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable DSN)"
	}
	return u.Redacted()
}

// httpConfig is the configuration shared by every HTTP server of a node.
func httpConfig(db convstore.Store, cfg Config, logger *slog.Logger) convhttp.Config {
	return convhttp.Config{
		Store:              db,
		Logger:             logger,
		MaxBodyBytes:       cfg.MaxBodyBytes,
		MaxAttachmentBytes: cfg.MaxAttachmentBytes,
		RateLimits:         cfg.RateLimits(),
		// One budget per client for every listener of the node.
		Limiter:   convhttp.NewLimiter(cfg.RateLimits()),
		Transport: cfg.Transport.serverTransport(),
	}
}
