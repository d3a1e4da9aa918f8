package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/service"
)

// A key made before migration 0003, with the 12-character prefix of that
// time, still authenticates after it, and shows 8 characters.
func TestMigration0003KeepsOldKeys(t *testing.T) {
	ctx := context.Background()
	before := migratedTo(t, 2)
	tenant, key := convstore.NewID(), convstore.NewID()
	secret := "csk_oldstylekey_with_a_12_character_prefix" // made before the strength check
	before.exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'old', 1)`, idArg(tenant))
	before.exec(`INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_at) VALUES (?, ?, 'admin', ?, ?, 'admin', 1)`,
		idArg(key), idArg(tenant), secret[:12], convstore.HashKeySecret(secret))
	before.exec(`INSERT INTO deletions (id, tenant_id, conversation_id, conversation_seq, request_id, messages, artifacts, attachments, attachment_bytes, created_at)
		VALUES (?, ?, ?, 1, 'req_old', 0, 0, 0, 0, 1)`, idArg(convstore.NewID()), idArg(tenant), idArg(convstore.NewID()))
	before.close()

	svc, db, _ := openTest(t, before.dir, nil)
	k, err := svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatalf("Authenticate with a key made before 0003: %v", err)
	}
	if k.ID != key || k.TenantID != tenant || k.Prefix != secret[:convstore.KeyPrefixLength] {
		t.Errorf("old key authenticates as %+v, want key %s with prefix %q", k, key.UUID(), secret[:convstore.KeyPrefixLength])
	}
	dels, _, err := svc.FindDeletions(ctx, tenant, convstore.DeletionFilter{})
	if err != nil || len(dels) != 1 || dels[0].RequestID != "req_old" || dels[0].ClientRequestID != "" {
		t.Errorf("a receipt from before 0003: %+v, %v; want it with no client request id", dels, err)
	}
	// Every migration applied: the schema is at the last embedded file's
	// number (numbers are shared with the PostgreSQL engine's and may
	// skip one another branch took).
	files, _ := fs.Glob(migrations, "migration/*.sql")
	last, _ := strconv.ParseInt(filepath.Base(files[len(files)-1])[:4], 10, 64)
	if v, err := schemaVersion(ctx, db.w); err != nil || v != last {
		t.Errorf("schema version %d, %v; want %d", v, err, last)
	}
}

// Migration 0005 adds the foreign keys to tenants: the rows a tenant that
// does not exist held (the missing key let them in) are not kept, their
// attachments' bytes are queued for removal, every other row is kept with
// its cascades, and no row breaks a key.
func TestMigration0005TenantKeys(t *testing.T) {
	ctx := context.Background()
	before := migratedTo(t, 4)
	tenant, ghost := convstore.NewID(), convstore.NewID()
	kept, orphan := convstore.NewID(), convstore.NewID()
	before.exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'real', 1)`, idArg(tenant))
	for i, c := range []struct{ id, tenant convstore.ID }{{kept, tenant}, {orphan, ghost}} {
		before.exec(`INSERT INTO conversations (id, seq, tenant_id, title, message_count, created_at, updated_at, external_id)
			VALUES (?, ?, ?, 'x', 1, 1, 1, 'ext')`, idArg(c.id), i+1, idArg(c.tenant))
		before.exec(`INSERT INTO messages (id, tenant_id, conversation_id, role, content, created_at) VALUES (?, ?, ?, 'user', 'hi', 1)`,
			idArg(convstore.NewID()), idArg(c.tenant), idArg(c.id))
		before.exec(`INSERT INTO artifacts (id, tenant_id, conversation_id, type, text, created_at) VALUES (?, ?, ?, 'topic', 't', 1)`,
			idArg(convstore.NewID()), idArg(c.tenant), idArg(c.id))
		before.exec(`INSERT INTO attachments (id, tenant_id, conversation_id, name, content_type, size, sha256, blob_key, created_at)
			VALUES (?, ?, ?, 'a', 'text/plain', 1, 'x', ?, 1)`, idArg(convstore.NewID()), idArg(c.tenant), idArg(c.id), "key"+itoa(i))
		before.exec(`INSERT INTO deletions (id, tenant_id, conversation_id, conversation_seq, messages, artifacts, attachments, attachment_bytes, created_at)
			VALUES (?, ?, ?, 9, 0, 0, 0, 0, 1)`, idArg(convstore.NewID()), idArg(c.tenant), idArg(convstore.NewID()))
		before.exec(`INSERT INTO audit_log (id, tenant_id, action, created_at) VALUES (?, ?, 'x', 1)`, idArg(convstore.NewID()), idArg(c.tenant))
	}
	before.close()

	db := openDriver(t, before.path)
	counts := map[string]int{}
	for _, table := range []string{"conversations", "messages", "artifacts", "attachments", "deletions", "audit_log"} {
		var n int
		if err := db.r.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	for table, n := range counts {
		if n != 1 {
			t.Errorf("%s: %d rows after 0005, want the real tenant's 1", table, n)
		}
	}
	var queued string
	if err := db.r.QueryRow(`SELECT group_concat(blob_key) FROM blob_removals`).Scan(&queued); err != nil || queued != "key1" {
		t.Errorf("queued removals %q, %v; want the orphan's key1", queued, err)
	}
	rows, err := db.w.Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Error("foreign_key_check reports violations after 0005")
	}
	rows.Close()
	fsBlobs, err := blob.NewFS(filepath.Join(before.dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, fsBlobs, service.Options{})
	t.Cleanup(func() { svc.Close() })
	// The cascades still work, now through (tenant_id, conversation_id).
	if _, err := svc.DeleteConversation(ctx, tenant, kept, convstore.DeleteParams{Door: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	var left int
	db.r.QueryRow(`SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM artifacts) + (SELECT count(*) FROM attachments)`).Scan(&left)
	if left != 0 {
		t.Errorf("%d child rows left after the delete", left)
	}
	// And a conversation of a tenant that does not exist is refused.
	if _, _, err := svc.CreateConversation(ctx, ghost, &convstore.ConversationCreate{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("CreateConversation under a missing tenant: %v, want ENOTFOUND", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
