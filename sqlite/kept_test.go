package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convstore/convstore/service/servicetest"
)

// TestKeptValues runs the kept values' checks on SQLite; the backfill is
// migration 0021's own statements.
func TestKeptValues(t *testing.T) {
	dir := t.TempDir()
	db := databaseIn(t, dir, nil)
	raw, err := sql.Open("sqlite", dsn(filepath.Join(dir, "db", "convstore.db"), true, synchronous))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	run := func(ctx context.Context, stmts ...string) error {
		for _, q := range stmts {
			if _, err := raw.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
	backfill := migrationUpdates(t, "migration/0021_conversation_digest.sql")
	servicetest.RunKeptValues(t, db, servicetest.KeptHooks{
		Clear:    func(ctx context.Context) error { return run(ctx, `UPDATE conversations SET `+keptClear) },
		Backfill: func(ctx context.Context) error { return run(ctx, backfill...) },
	})
}

// migrationUpdates returns the UPDATE statements of a migration's Up.
func migrationUpdates(tb testing.TB, name string) []string {
	tb.Helper()
	b, err := migrations.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	up, _, _ := strings.Cut(string(b), "-- +goose Down")
	var out []string
	for _, q := range strings.Split(up, ";") {
		if q = strings.TrimSpace(uncommented(q)); strings.HasPrefix(q, "UPDATE") {
			out = append(out, q)
		}
	}
	if len(out) != 1 {
		tb.Fatalf("%s has %d UPDATE statements, want 1", name, len(out))
	}
	return out
}

// uncommented drops the SQL comment lines of q.
func uncommented(q string) string {
	var keep []string
	for _, line := range strings.Split(q, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}
