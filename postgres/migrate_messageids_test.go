package postgres_test

import (
	"testing"

	"github.com/convstore/convstore"
)

// TestMigration0025PendingMessageIDs: migration 0025 lists the
// conversations stored before it that have messages as pending (the
// backfill of their messages' client ids, checked by
// TestMessageIDsBackfill, then takes them); empty ones are not listed.
func TestMigration0025PendingMessageIDs(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	before := migratedTo(t, 22)
	tenant, old, empty := convstore.NewID(), convstore.NewID(), convstore.NewID()
	before.exec(`INSERT INTO tenants (id, name, created_at) VALUES ($1, 'old', now())`, tenant[:])
	before.exec(`INSERT INTO conversations (tenant_id, id, seq, message_count, created_at, updated_at) VALUES ($1, $2, 1, 2, now(), now())`, tenant[:], old[:])
	before.exec(`INSERT INTO conversations (tenant_id, id, seq, message_count, created_at, updated_at) VALUES ($1, $2, 2, 0, now(), now())`, tenant[:], empty[:])
	before.upTo(25)
	var ids [][]byte
	rows, err := before.db.QueryContext(ctx, `SELECT conversation_id FROM message_ids_pending WHERE tenant_id = $1`, tenant[:])
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
	before.exec(`DELETE FROM conversations WHERE id = $1`, old[:])
	var n int
	if err := before.db.QueryRowContext(ctx, `SELECT count(*) FROM message_ids_pending`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("pending after the delete: %d, %v", n, err)
	}
}
