package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
)

//go:embed migration/*.sql
var migrations embed.FS

// migrate applies pending migrations, each in its own transaction, and
// records them in goose_db_version. It runs on the writer, so no other write
// of this process can interleave.
func migrate(ctx context.Context, w *sql.DB, logger *slog.Logger) error {
	fsys, err := fs.Sub(migrations, "migration")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, w, fsys, goose.WithSlog(logger))
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	for _, r := range results {
		logger.Info("sqlite: applied migration", "version", r.Source.Version, "duration", r.Duration)
	}
	return nil
}

// schemaVersion returns the highest applied migration.
func schemaVersion(ctx context.Context, w *sql.DB) (int64, error) {
	fsys, err := fs.Sub(migrations, "migration")
	if err != nil {
		return 0, err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, w, fsys)
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}
