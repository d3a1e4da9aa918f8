package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	convhttp "github.com/convstore/convstore/http"
	v1 "github.com/convstore/convstore/http/v1"
	"github.com/convstore/convstore/sqlite"
)

// openStore opens the engine the configuration names, creating the data
// directory, the blob directory and the database file as needed. It is the
// one place that picks concrete engine types. (The PostgreSQL engine is
// refused by Config.SQLitePath until it is wired here.)
func openStore(ctx context.Context, cfg Config, logger *slog.Logger) (convstore.Store, error) {
	path, err := cfg.SQLitePath()
	if err != nil {
		return nil, err
	}
	for _, dir := range []string{cfg.DataDir, cfg.BlobDir(), filepath.Dir(path)} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	blobs, err := blob.NewFS(cfg.BlobDir())
	if err != nil {
		return nil, fmt.Errorf("opening blob directory %s: %w", cfg.BlobDir(), err)
	}
	db, err := sqlite.Open(ctx, path, sqlite.Options{Blobs: blobs, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("opening SQLite database %s: %w", path, err)
	}
	return db, nil
}

// newHandler returns the HTTP surface: probes and the native API.
func newHandler(db convstore.Store, cfg Config, logger *slog.Logger) http.Handler {
	return v1.NewServer(convhttp.Config{
		Store:              db,
		Logger:             logger,
		MaxBodyBytes:       cfg.MaxBodyBytes,
		MaxAttachmentBytes: cfg.MaxAttachmentBytes,
	}).Handler()
}
