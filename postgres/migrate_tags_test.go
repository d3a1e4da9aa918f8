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

// TestMigration0026Tags: the tag tables hold nothing of the data before
// them; links go with their conversation and their tag, tags with their
// tenant; down drops both tables and up makes them again.
func TestMigration0026Tags(t *testing.T) {
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
	if _, err := p.UpTo(ctx, 25); err != nil {
		t.Fatalf("migrating to 0025: %v", err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := sqlDB.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	count := func(table string) int {
		t.Helper()
		var n int
		if err := sqlDB.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			t.Fatalf("counting %s: %v", table, err)
		}
		return n
	}
	tenant, conv, other := convstore.NewID(), convstore.NewID(), convstore.NewID()
	exec(`INSERT INTO tenants (id, name, created_at) VALUES ($1, 'old', now())`, tenant[:])
	for _, c := range []convstore.ID{conv, other} {
		exec(`INSERT INTO conversations (tenant_id, id, seq, created_at, updated_at) VALUES ($1, $2, $3, now(), now())`,
			tenant[:], c[:], convstore.NewSeq(c))
	}
	if _, err := p.UpTo(ctx, 26); err != nil {
		t.Fatalf("migrating to 0026: %v", err)
	}
	if count("tags") != 0 || count("conversation_tags") != 0 {
		t.Fatal("0026 made tags or links")
	}
	tag1, tag2 := convstore.NewID(), convstore.NewID()
	for _, tag := range []convstore.ID{tag1, tag2} {
		exec(`INSERT INTO tags (tenant_id, id, title, description, created_at, updated_at) VALUES ($1, $2, '\x00', '\x00', now(), now())`,
			tenant[:], tag[:])
	}
	for _, l := range [][2]convstore.ID{{conv, tag1}, {conv, tag2}, {other, tag1}} {
		exec(`INSERT INTO conversation_tags (tenant_id, conversation_id, tag_id, created_at) VALUES ($1, $2, $3, now())`,
			tenant[:], l[0][:], l[1][:])
	}
	missing := convstore.NewID()
	if _, err := sqlDB.ExecContext(ctx, `INSERT INTO conversation_tags (tenant_id, conversation_id, tag_id, created_at) VALUES ($1, $2, $3, now())`,
		tenant[:], missing[:], tag1[:]); err == nil {
		t.Error("a link to a missing conversation was stored")
	}
	exec(`DELETE FROM conversations WHERE id = $1`, conv[:])
	if n := count("conversation_tags"); n != 1 {
		t.Errorf("%d links after the conversation's delete, want 1", n)
	}
	exec(`DELETE FROM tags WHERE id = $1`, tag1[:])
	if n := count("conversation_tags"); n != 0 {
		t.Errorf("%d links after the tag's delete, want 0", n)
	}
	exec(`DELETE FROM conversations WHERE tenant_id = $1`, tenant[:])
	exec(`DELETE FROM tenants WHERE id = $1`, tenant[:])
	if n := count("tags"); n != 0 {
		t.Errorf("%d tags after the tenant's delete, want 0", n)
	}
	if _, err := p.DownTo(ctx, 25); err != nil {
		t.Fatalf("migrating down to 0025: %v", err)
	}
	var n int
	if err := sqlDB.QueryRowContext(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()
		AND table_name IN ('tags', 'conversation_tags')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("tables after down: %d, %v", n, err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrating up again: %v", err)
	}
	if count("tags") != 0 {
		t.Error("tags after up again")
	}
}
