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

// A key made before migration 0003, with the 12-character prefix of that
// time, still authenticates after it, and shows 8 characters.
func TestMigration0003KeepsOldKeys(t *testing.T) {
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
	sub, err := fs.Sub(migrations, "migration")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, w, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 2); err != nil {
		t.Fatalf("migrating to 0002: %v", err)
	}
	tenant, key := convstore.NewID(), convstore.NewID()
	secret := "csk_oldstylekey_with_a_12_character_prefix" // made before the strength check
	if _, err := w.Exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'old', 1)`, idArg(tenant)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(`INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_at) VALUES (?, ?, 'admin', ?, ?, 'admin', 1)`,
		idArg(key), idArg(tenant), secret[:12], convstore.HashKeySecret(secret)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(`INSERT INTO deletions (id, tenant_id, conversation_id, conversation_seq, request_id, messages, artifacts, attachments, attachment_bytes, created_at)
		VALUES (?, ?, ?, 1, 'req_old', 0, 0, 0, 0, 1)`, idArg(convstore.NewID()), idArg(tenant), idArg(convstore.NewID())); err != nil {
		t.Fatal(err)
	}
	w.Close()

	db, _ := openTest(t, dir, nil)
	k, err := db.Authenticate(ctx, secret)
	if err != nil {
		t.Fatalf("Authenticate with a key made before 0003: %v", err)
	}
	if k.ID != key || k.TenantID != tenant || k.Prefix != secret[:convstore.KeyPrefixLength] {
		t.Errorf("old key authenticates as %+v, want key %s with prefix %q", k, key.UUID(), secret[:convstore.KeyPrefixLength])
	}
	dels, _, err := db.FindDeletions(ctx, tenant, convstore.DeletionFilter{})
	if err != nil || len(dels) != 1 || dels[0].RequestID != "req_old" || dels[0].ClientRequestID != "" {
		t.Errorf("a receipt from before 0003: %+v, %v; want it with no client request id", dels, err)
	}
	if v, err := schemaVersion(ctx, db.w); err != nil || v != 3 {
		t.Errorf("schema version %d, %v; want 3", v, err)
	}
}
