package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres/migration"
	"github.com/convstore/convstore/postgres/pgtest"
)

// TestMigration0025PendingMessageIDs: migration 0025 lists the
// conversations stored before it that have messages as pending (the
// backfill of their messages' client ids, checked by
// TestMessageIDsBackfill, then takes them); empty ones are not listed.
func TestMigration0025PendingMessageIDs(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	schema := pgtest.NewSchema(t)
	conn, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	sqlDB := stdlib.OpenDB(*cfg)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migration.FS, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 22); err != nil {
		t.Fatalf("migrating to 0022: %v", err)
	}
	tenant, old, empty := convstore.NewID(), convstore.NewID(), convstore.NewID()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := sqlDB.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO tenants (id, name, created_at) VALUES ($1, 'old', now())`, tenant[:])
	exec(`INSERT INTO conversations (tenant_id, id, seq, message_count, created_at, updated_at) VALUES ($1, $2, 1, 2, now(), now())`, tenant[:], old[:])
	exec(`INSERT INTO conversations (tenant_id, id, seq, message_count, created_at, updated_at) VALUES ($1, $2, 2, 0, now(), now())`, tenant[:], empty[:])
	if _, err := p.UpTo(ctx, 25); err != nil {
		t.Fatalf("migrating to 0025: %v", err)
	}
	var ids [][]byte
	rows, err := sqlDB.QueryContext(ctx, `SELECT conversation_id FROM message_ids_pending WHERE tenant_id = $1`, tenant[:])
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id []byte
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || string(ids[0]) != string(old[:]) {
		t.Fatalf("pending after 0025: %x, want only %x", ids, old[:])
	}
	// The rows go with their conversation.
	exec(`DELETE FROM conversations WHERE id = $1`, old[:])
	var n int
	if err := sqlDB.QueryRowContext(ctx, `SELECT count(*) FROM message_ids_pending`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("pending after the delete: %d, %v", n, err)
	}
}
