package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/convstore/convstore"
)

// Migration 0024: conversations stored before it say their door is
// unknown; the access tokens stored before it take the audience their
// lifetime tells (8 hours: a console session; any other: Symbl's), each
// accepted only there.
func TestMigration0024ConsoleColumns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "db", "convstore.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	w, err := sql.Open("sqlite", dsn(path, true, synchronous))
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	sub, err := fs.Sub(migrations, "migration")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, w, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 23); err != nil {
		t.Fatalf("migrating to 0023: %v", err)
	}
	tenant, key, conv := convstore.NewID(), convstore.NewID(), convstore.NewID()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := w.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'old', 1)`, idArg(tenant))
	exec(`INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_at) VALUES (?, ?, 'admin', 'csk_abcd', ?, 'admin', 1)`,
		idArg(key), idArg(tenant), convstore.HashKeySecret("csk_unused"))
	exec(`INSERT INTO conversations (id, seq, tenant_id, message_count, created_at, updated_at) VALUES (?, 7, ?, 0, 1, 1)`, idArg(conv), idArg(tenant))
	now := time.Now()
	session, symbl := convstore.NewAccessTokenSecret(), convstore.NewAccessTokenSecret()
	for _, tok := range []struct {
		secret string
		ttl    time.Duration
	}{{session, 8 * time.Hour}, {symbl, 24 * time.Hour}} {
		exec(`INSERT INTO access_tokens (hash, tenant_id, key_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			convstore.HashKeySecret(tok.secret), idArg(tenant), idArg(key), micros(now), micros(now.Add(tok.ttl)))
	}
	w.Close()

	svc, _, _ := openTest(t, dir, nil)
	c, err := svc.FindConversationByID(ctx, tenant, conv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Door != convstore.DoorUnknown {
		t.Errorf("a conversation stored before 0024 has door %q, want %q", c.Door, convstore.DoorUnknown)
	}
	for _, tok := range []struct{ what, secret, ok, wrong string }{
		{"an 8-hour token", session, convstore.AudienceConsole, convstore.AudienceSymbl},
		{"a 24-hour token", symbl, convstore.AudienceSymbl, convstore.AudienceConsole},
	} {
		if k, err := svc.AuthenticateAccessToken(ctx, tok.secret, tok.ok); err != nil || k.ID != key {
			t.Errorf("%s for %s = %v, %v; want the key", tok.what, tok.ok, k, err)
		}
		if _, err := svc.AuthenticateAccessToken(ctx, tok.secret, tok.wrong); convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
			t.Errorf("%s for %s = %v; want EUNAUTHORIZED", tok.what, tok.wrong, err)
		}
	}
	made, _, err := svc.CreateConversation(ctx, tenant, &convstore.ConversationCreate{Door: "stammer"})
	if err != nil || made.Door != "stammer" {
		t.Errorf("a conversation created after 0024: %+v, %v", made, err)
	}
}
