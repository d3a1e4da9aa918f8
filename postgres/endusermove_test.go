package postgres_test

import (
	"context"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service/servicetest"
)

// TestMigration0023EndUsers runs the end-user move's checks with goose
// taking the schema down to 0022 and up again.
func TestMigration0023EndUsers(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	db := pgtest.DatabaseIn(t, schema, postgres.Options{})
	cfg := schemaConfig(t, schema)
	step := func(fn func(ctx context.Context, p *goose.Provider) error) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			p, w, err := openMigrations(cfg)
			defer w.Close()
			if err != nil {
				return err
			}
			return fn(ctx, p)
		}
	}
	servicetest.RunEndUserMove(t, db,
		step(func(ctx context.Context, p *goose.Provider) error { _, err := p.DownTo(ctx, 22); return err }),
		step(func(ctx context.Context, p *goose.Provider) error { _, err := p.Up(ctx); return err }))
}
