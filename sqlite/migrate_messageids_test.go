package sqlite

import (
	"context"
	"testing"

	"github.com/convstore/convstore"
)

// Migration 0025 lists the conversations stored before it with messages
// as pending; the backfill then indexes the client ids their messages
// kept under the Inkeep door's old key, so they are found by them, and
// empties the list.
func TestMigration0025PendingMessageIDs(t *testing.T) {
	ctx := context.Background()
	before := migratedTo(t, 22)
	tenant, old, empty, msg := convstore.NewID(), convstore.NewID(), convstore.NewID(), convstore.NewID()
	before.exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'old', 1)`, idArg(tenant))
	before.exec(`INSERT INTO conversations (id, seq, tenant_id, message_count, created_at, updated_at) VALUES (?, 1, ?, 1, 1, 1)`, idArg(old), idArg(tenant))
	before.exec(`INSERT INTO conversations (id, seq, tenant_id, message_count, created_at, updated_at) VALUES (?, 2, ?, 0, 1, 1)`, idArg(empty), idArg(tenant))
	// As the Inkeep door stored a client's message id before 0022.
	before.exec(`INSERT INTO messages (id, tenant_id, conversation_id, role, content, metadata, created_at)
		VALUES (?, ?, ?, 'user', 'hi', '{"inkeep.id":"client-old"}', 1)`, idArg(msg), idArg(tenant), idArg(old))
	before.close()

	svc, db, _ := openTest(t, before.dir, nil)
	pending := func() int {
		t.Helper()
		var n int
		if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM message_ids_pending`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := pending(); n != 1 {
		t.Fatalf("%d conversations pending after 0025, want the one with messages", n)
	}
	if _, err := svc.FindMessageByExternalID(ctx, tenant, "client-old"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("before the backfill: %v", err)
	}
	if n, err := svc.BackfillMessageIDs(ctx, 0, nil); err != nil || n != 1 {
		t.Fatalf("BackfillMessageIDs = %d, %v", n, err)
	}
	if m, err := svc.FindMessageByExternalID(ctx, tenant, "client-old"); err != nil || m.ID != msg {
		t.Fatalf("after the backfill: %+v, %v", m, err)
	}
	if n := pending(); n != 0 {
		t.Fatalf("%d conversations still pending", n)
	}
}
