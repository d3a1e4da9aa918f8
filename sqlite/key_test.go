package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

// Authenticate writes last_used_at at most once per lastUsedGranularity.
func TestAuthenticateThrottlesLastUse(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, t.TempDir(), nil)
	_, key, err := db.CreateTenant(ctx, "acme", convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func() *time.Time {
		t.Helper()
		var at *time.Time
		if err := db.r.QueryRow(`SELECT last_used_at FROM api_keys WHERE id = ?`, idArg(key.ID)).Scan(nullTimeScan{&at}); err != nil {
			t.Fatal(err)
		}
		return at
	}
	if lastUsed() != nil {
		t.Fatal("last_used_at set before any use")
	}
	k1, err := db.Authenticate(ctx, key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	first := lastUsed()
	if first == nil || k1.LastUsedAt == nil || !k1.LastUsedAt.Equal(*first) {
		t.Fatalf("first use: stored %v, returned %v", first, k1.LastUsedAt)
	}
	time.Sleep(2 * time.Millisecond)
	if _, err := db.Authenticate(ctx, key.Secret); err != nil {
		t.Fatal(err)
	}
	if again := lastUsed(); !again.Equal(*first) {
		t.Errorf("last_used_at rewritten within a minute: %v -> %v", first, again)
	}
	// An hour later (simulated by ageing the stored value) it is written.
	db.w.Exec(`UPDATE api_keys SET last_used_at = last_used_at - 3600000000`)
	if _, err := db.Authenticate(ctx, key.Secret); err != nil {
		t.Fatal(err)
	}
	if now := lastUsed(); !now.After(first.Add(-time.Second)) {
		t.Errorf("last_used_at not refreshed after an hour: %v", now)
	}
}

// Keys sharing a prefix (caller-chosen bootstrap secrets) are told apart by
// their hashes.
func TestAuthenticateSharedPrefix(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, t.TempDir(), nil)
	secretA, secretB, secretC := "same-pre"+randomHex(t), "same-pre"+randomHex(t), "same-pre"+randomHex(t)
	op := convstore.DeleteParams{Door: "test"}
	a, _, err := db.CreateTenantWithKey(ctx, "a", secretA, op)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := db.CreateTenantWithKey(ctx, "b", secretB, op)
	if err != nil {
		t.Fatal(err)
	}
	for secret, want := range map[string]convstore.ID{secretA: a.ID, secretB: b.ID} {
		k, err := db.Authenticate(ctx, secret)
		if err != nil || k.TenantID != want || k.Prefix != "same-pre" {
			t.Errorf("Authenticate(%q) = %v, %v", secret, k, err)
		}
	}
	if _, err := db.Authenticate(ctx, secretC); convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
		t.Errorf("unknown secret with a known prefix: %v", err)
	}
	if _, _, err := db.CreateTenantWithKey(ctx, "c", secretA, op); convstore.ErrorCode(err) != convstore.ECONFLICT {
		t.Errorf("reused secret: %v, want ECONFLICT", err)
	}
}

// randomHex returns 64 random hexadecimal digits, a strong custom key.
func randomHex(tb testing.TB) string {
	tb.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b[:])
}

func TestRunSweeperStopsWithContext(t *testing.T) {
	db, fs := openTest(t, t.TempDir(), nil)
	ctx, cancel := context.WithCancel(context.Background())
	key := newBlobKey()
	if _, _, err := fs.Put(ctx, key, strings.NewReader("queued"), 100); err != nil {
		t.Fatal(err)
	}
	if err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		return queueRemovals(ctx, tx, now, now, []string{key})
	}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { db.RunSweeper(ctx, 5*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for queueLen(t, db) != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if queueLen(t, db) != 0 {
		t.Error("sweeper did not clear the queue")
	}
	if _, err := fs.Open(ctx, key); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("swept blob still there: %v", err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunSweeper did not return after cancel")
	}
}
