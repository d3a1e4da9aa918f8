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

// TestMessageIDsBackfill runs the message-id backfill's checks on
// PostgreSQL, with conversations put back in SQL in the state migration
// 0025 finds those stored before 0022 in: no index rows, pending.
func TestMessageIDsBackfill(t *testing.T) {
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
	servicetest.RunMessageIDsBackfill(t, db, func(ctx context.Context, tenantID, convID convstore.ID) error {
		if _, err := raw.Exec(ctx, `DELETE FROM `+s+`.message_external_ids WHERE tenant_id = $1 AND conversation_id = $2`, tenantID[:], convID[:]); err != nil {
			return err
		}
		_, err := raw.Exec(ctx, `INSERT INTO `+s+`.message_ids_pending (tenant_id, conversation_id) VALUES ($1, $2)`, tenantID[:], convID[:])
		return err
	})
}
