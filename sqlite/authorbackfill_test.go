package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service/servicetest"
)

// TestAuthorsBackfill runs the authors backfill's checks on SQLite, with
// conversations made pending (as migration 0016 leaves those stored before
// it) in SQL.
func TestAuthorsBackfill(t *testing.T) {
	dir := t.TempDir()
	db := databaseIn(t, dir, nil)
	raw, err := sql.Open("sqlite", dsn(filepath.Join(dir, "db", "convstore.db"), true, synchronous))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	servicetest.RunAuthorsBackfill(t, db, func(ctx context.Context, tenantID, convID convstore.ID) error {
		if _, err := raw.ExecContext(ctx, `DELETE FROM conversation_authors WHERE tenant_id = ? AND conversation_id = ?`, idArg(tenantID), idArg(convID)); err != nil {
			return err
		}
		_, err := raw.ExecContext(ctx, `INSERT INTO conversation_authors_pending (tenant_id, conversation_id) VALUES (?, ?)`, idArg(tenantID), idArg(convID))
		return err
	})
}
