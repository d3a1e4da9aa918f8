package postgres

import (
	"context"
	"testing"

	"github.com/convstore/convstore/driver"
)

// TestBackgroundWriteSkipsFlush checks that a background write (the
// purge's batches) commits without waiting for the WAL's flush, and that
// the setting ends with its transaction: the next ordinary write on the
// same connection waits for the flush again.
func TestBackgroundWriteSkipsFlush(t *testing.T) {
	db := openInternal(t, Options{MaxConns: 1})
	ctx := context.Background()
	setting := func(p driver.WriteParams) string {
		t.Helper()
		var got string
		if err := db.Write(ctx, p, func(ctx context.Context, tx driver.Tx) error {
			return tx.(*ops).q.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&got)
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := setting(driver.WriteParams{Background: true}); got != "off" {
		t.Errorf("background write: synchronous_commit = %q, want off", got)
	}
	if got := setting(driver.WriteParams{}); got != "on" {
		t.Errorf("ordinary write after it: synchronous_commit = %q, want on", got)
	}
}
