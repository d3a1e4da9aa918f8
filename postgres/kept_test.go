package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/migration"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service/servicetest"
)

// TestKeptValues runs the kept values' checks on PostgreSQL; the backfill
// is migration 0021's own statements.
func TestKeptValues(t *testing.T) {
	t.Parallel()
	schema := pgtest.NewSchema(t)
	db := pgtest.DatabaseIn(t, schema, postgres.Options{})
	ctx := context.Background()
	raw, err := pgx.ConnectConfig(ctx, schemaConfig(t, schema))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close(context.Background()) })
	b, err := migration.FS.ReadFile("0021_conversation_digest.sql")
	if err != nil {
		t.Fatal(err)
	}
	up, _, _ := strings.Cut(string(b), "-- +goose Down")
	var backfill []string
	for _, q := range strings.Split(up, ";") {
		if q = strings.TrimSpace(uncommented(q)); strings.HasPrefix(q, "UPDATE") {
			backfill = append(backfill, q)
		}
	}
	if len(backfill) != 1 {
		t.Fatalf("migration 0021 has %d UPDATE statements, want 1", len(backfill))
	}
	run := func(ctx context.Context, stmts ...string) error {
		for _, q := range stmts {
			if _, err := raw.Exec(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
	servicetest.RunKeptValues(t, db, servicetest.KeptHooks{
		Clear: func(ctx context.Context) error {
			return run(ctx, `UPDATE conversations SET last_message_id = NULL, last_start_offset = NULL, last_end_offset = NULL,
				summary_id = NULL, summary_text = NULL, summary_data = NULL, summary_message_ids = NULL, summary_score = NULL, summary_created_at = NULL,
				analysis_id = NULL, analysis_text = NULL, analysis_data = NULL, analysis_message_ids = NULL, analysis_score = NULL, analysis_created_at = NULL`)
		},
		Backfill: func(ctx context.Context) error { return run(ctx, backfill...) },
	})
}

// uncommented drops the SQL comment lines of q.
func uncommented(q string) string {
	var keep []string
	for _, line := range strings.Split(q, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
