package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service/servicetest"
)

// TestAuthorsBackfill runs the authors backfill's checks on PostgreSQL
// (two nodes claim with SKIP LOCKED), with conversations made pending (as
// migration 0016 leaves those stored before it) in SQL.
func TestAuthorsBackfill(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	db := pgtest.DatabaseIn(t, schema, postgres.Options{})
	ctx := context.Background()
	raw, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close(context.Background()) })
	s := pgx.Identifier{schema}.Sanitize()
	servicetest.RunAuthorsBackfill(t, db, func(ctx context.Context, tenantID, convID convstore.ID) error {
		if _, err := raw.Exec(ctx, `DELETE FROM `+s+`.conversation_authors WHERE tenant_id = $1 AND conversation_id = $2`, tenantID[:], convID[:]); err != nil {
			return err
		}
		_, err := raw.Exec(ctx, `INSERT INTO `+s+`.conversation_authors_pending (tenant_id, conversation_id) VALUES ($1, $2)`, tenantID[:], convID[:])
		return err
	})
}
