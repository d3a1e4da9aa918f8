package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/convstore/convstore"
)

// Migration 0026: the tag tables hold nothing of the data before them;
// links go with their conversation and their tag, tags with their tenant;
// down drops both tables and up makes them again.
func TestMigration0026Tags(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db", "convstore.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	w, err := sql.Open("sqlite", dsn(path, true, synchronous))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.SetMaxOpenConns(1)
	sub, err := fs.Sub(migrations, "migration")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, w, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 25); err != nil {
		t.Fatalf("migrating to 0025: %v", err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := w.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	count := func(table string) int {
		t.Helper()
		var n int
		if err := w.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatalf("counting %s: %v", table, err)
		}
		return n
	}
	tenant, conv, other := convstore.NewID(), convstore.NewID(), convstore.NewID()
	exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'old', 1)`, idArg(tenant))
	exec(`INSERT INTO conversations (id, seq, tenant_id, message_count, created_at, updated_at) VALUES (?, 7, ?, 0, 1, 1)`, idArg(conv), idArg(tenant))
	exec(`INSERT INTO conversations (id, seq, tenant_id, message_count, created_at, updated_at) VALUES (?, 8, ?, 0, 1, 1)`, idArg(other), idArg(tenant))
	if _, err := p.UpTo(ctx, 26); err != nil {
		t.Fatalf("migrating to 0026: %v", err)
	}
	if count("tags") != 0 || count("conversation_tags") != 0 {
		t.Fatal("0026 made tags or links")
	}
	tag1, tag2 := convstore.NewID(), convstore.NewID()
	for _, tag := range []convstore.ID{tag1, tag2} {
		exec(`INSERT INTO tags (id, tenant_id, title, description, created_at, updated_at) VALUES (?, ?, X'00', X'00', 1, 1)`, idArg(tag), idArg(tenant))
	}
	for _, l := range [][2]convstore.ID{{conv, tag1}, {conv, tag2}, {other, tag1}} {
		exec(`INSERT INTO conversation_tags (tenant_id, conversation_id, tag_id, created_at) VALUES (?, ?, ?, 1)`, idArg(tenant), idArg(l[0]), idArg(l[1]))
	}
	// A link to another tenant's conversation or to a missing tag is refused.
	if _, err := w.Exec(`INSERT INTO conversation_tags (tenant_id, conversation_id, tag_id, created_at) VALUES (?, ?, ?, 1)`,
		idArg(tenant), idArg(convstore.NewID()), idArg(tag1)); err == nil {
		t.Error("a link to a missing conversation was stored")
	}
	exec(`DELETE FROM conversations WHERE id = ?`, idArg(conv))
	if n := count("conversation_tags"); n != 1 {
		t.Errorf("%d links after the conversation's delete, want 1", n)
	}
	exec(`DELETE FROM tags WHERE id = ?`, idArg(tag1))
	if n := count("conversation_tags"); n != 0 {
		t.Errorf("%d links after the tag's delete, want 0", n)
	}
	exec(`DELETE FROM tenants WHERE id = ?`, idArg(tenant))
	if n := count("tags"); n != 0 {
		t.Errorf("%d tags after the tenant's delete, want 0", n)
	}
	if _, err := p.DownTo(ctx, 25); err != nil {
		t.Fatalf("migrating down to 0025: %v", err)
	}
	var n int
	if err := w.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name IN ('tags', 'conversation_tags')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("tables after down: %d, %v", n, err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("migrating up again: %v", err)
	}
	if count("tags") != 0 {
		t.Error("tags after up again")
	}
}
