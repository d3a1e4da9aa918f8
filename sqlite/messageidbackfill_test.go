package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service/servicetest"
)

// TestMessageIDsBackfill runs the message-id backfill's checks on SQLite,
// with conversations put back in SQL in the state migration 0025 finds
// those stored before 0022 in: no index rows, pending.
func TestMessageIDsBackfill(t *testing.T) {
	dir := t.TempDir()
	db := databaseIn(t, dir, nil)
	raw, err := sql.Open("sqlite", dsn(filepath.Join(dir, "db", "convstore.db"), true, synchronous))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	servicetest.RunMessageIDsBackfill(t, db, func(ctx context.Context, tenantID, convID convstore.ID) error {
		if _, err := raw.ExecContext(ctx, `DELETE FROM message_external_ids WHERE tenant_id = ? AND conversation_id = ?`, idArg(tenantID), idArg(convID)); err != nil {
			return err
		}
		_, err := raw.ExecContext(ctx, `INSERT INTO message_ids_pending (tenant_id, conversation_id) VALUES (?, ?)`, idArg(tenantID), idArg(convID))
		return err
	})
}
