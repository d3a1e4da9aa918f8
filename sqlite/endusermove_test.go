package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/convstore/convstore/service/servicetest"
)

// TestMigration0023EndUsers runs the end-user move's checks with goose
// taking the database down to 0022 and up again.
func TestMigration0023EndUsers(t *testing.T) {
	dir := t.TempDir()
	db := databaseIn(t, dir, nil)
	provider := func(ctx context.Context) (*goose.Provider, *sql.DB, error) {
		w, err := sql.Open("sqlite", dsn(filepath.Join(dir, "db", "convstore.db"), true, synchronous))
		if err != nil {
			return nil, nil, err
		}
		sub, err := fs.Sub(migrations, "migration")
		if err != nil {
			return nil, nil, err
		}
		p, err := goose.NewProvider(goose.DialectSQLite3, w, sub)
		return p, w, err
	}
	step := func(fn func(ctx context.Context, p *goose.Provider) error) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			p, w, err := provider(ctx)
			if err != nil {
				return err
			}
			defer w.Close()
			return fn(ctx, p)
		}
	}
	servicetest.RunEndUserMove(t, db,
		step(func(ctx context.Context, p *goose.Provider) error { _, err := p.DownTo(ctx, 22); return err }),
		step(func(ctx context.Context, p *goose.Provider) error { _, err := p.Up(ctx); return err }))
}
