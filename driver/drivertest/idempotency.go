package drivertest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var idempotencyTests = []test{
	{"ClaimSettleRelease", testIdempotencyRow},
	{"SweepExpired", testIdempotencySweep},
}

func (f *fixture) idempotencyGet(tenantID convstore.ID, key []byte) (*driver.IdempotencyRow, error) {
	var got *driver.IdempotencyRow
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		var err error
		got, err = tx.IdempotencyGet(ctx, tenantID, key)
		return err
	})
	return got, err
}

// A key is stored once per tenant; a settle or release names its claim,
// so that the holder of a claim that was taken over changes nothing.
func testIdempotencyRow(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	t0 := now()
	key := bytes.Repeat([]byte{7}, 32)
	row := &driver.IdempotencyRow{TenantID: a.ID, KeyHash: key, RequestHash: []byte("req-1"), ClaimedAt: t0, ExpiresAt: t0.Add(time.Minute)}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.IdempotencyInsert(ctx, row) })
	dup := *row
	err := f.try(func(ctx context.Context, tx driver.Tx) error { return tx.IdempotencyInsert(ctx, &dup) })
	wantErr(t, "a second claim of the key", err, driver.ErrIdempotencyKeyTaken())
	other := *row
	other.TenantID = b.ID
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.IdempotencyInsert(ctx, &other) })

	got, err := f.idempotencyGet(a.ID, key)
	must(t, err)
	if got.Status != 0 || !bytes.Equal(got.RequestHash, row.RequestHash) || !got.ClaimedAt.Equal(t0) || !got.ExpiresAt.Equal(row.ExpiresAt) {
		t.Errorf("IdempotencyGet = %+v, want the claim %+v", got, row)
	}
	_, err = f.idempotencyGet(a.ID, []byte("missing"))
	wantCode(t, "a missing key", err, convstore.ENOTFOUND, "idempotency key")

	// Taken over: the old claim's settle and release find nothing.
	t1 := t0.Add(2 * time.Minute)
	over := &driver.IdempotencyRow{TenantID: a.ID, KeyHash: key, RequestHash: []byte("req-2"), ClaimedAt: t1, ExpiresAt: t1.Add(time.Minute)}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.IdempotencyReplace(ctx, over) })
	stale := &driver.IdempotencyRow{TenantID: a.ID, KeyHash: key, ClaimedAt: t0, Status: 200, ContentType: "application/json", Body: []byte(`{}`), ExpiresAt: t1}
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.IdempotencySettle(ctx, stale) })
	wantCode(t, "settling a claim taken over", err, convstore.ENOTFOUND, "idempotency key")
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.IdempotencyRelease(ctx, a.ID, key, t0) })

	settled := &driver.IdempotencyRow{TenantID: a.ID, KeyHash: key, ClaimedAt: t1, Status: 200, ContentType: "application/json",
		Body: []byte(`{"ok":true}`), ExpiresAt: t1.Add(24 * time.Hour)}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.IdempotencySettle(ctx, settled) })
	got, err = f.idempotencyGet(a.ID, key)
	must(t, err)
	if got.Status != 200 || got.ContentType != "application/json" || string(got.Body) != `{"ok":true}` ||
		!bytes.Equal(got.RequestHash, []byte("req-2")) || !got.ExpiresAt.Equal(settled.ExpiresAt) {
		t.Errorf("after settle: %+v", got)
	}
	missing := *over
	missing.KeyHash = []byte("missing")
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.IdempotencyReplace(ctx, &missing) })
	wantCode(t, "replacing a missing key", err, convstore.ENOTFOUND, "idempotency key")

	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.IdempotencyRelease(ctx, a.ID, key, t1) })
	_, err = f.idempotencyGet(a.ID, key)
	wantCode(t, "a released key", err, convstore.ENOTFOUND, "idempotency key")
	if _, err := f.idempotencyGet(b.ID, key); err != nil {
		t.Errorf("the other tenant's key after the release: %v", err)
	}
}

// The sweep deletes expired keys of every tenant, at most limit per call.
func testIdempotencySweep(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	t0 := now()
	for i, tenant := range []convstore.ID{a.ID, a.ID, b.ID} {
		r := &driver.IdempotencyRow{TenantID: tenant, KeyHash: []byte{byte(i)}, RequestHash: []byte("r"), ClaimedAt: t0, ExpiresAt: t0.Add(time.Minute)}
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.IdempotencyInsert(ctx, r) })
	}
	live := &driver.IdempotencyRow{TenantID: b.ID, KeyHash: []byte("live"), RequestHash: []byte("r"), ClaimedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.IdempotencyInsert(ctx, live) })
	sweep := func(at time.Time, limit int) int {
		var n int
		f.write(t, func(ctx context.Context, tx driver.Tx) error {
			var err error
			n, err = tx.IdempotencyDeleteExpired(ctx, at, limit)
			return err
		})
		return n
	}
	if n := sweep(t0.Add(time.Minute), 2); n != 2 {
		t.Errorf("swept %d with limit 2, want 2", n)
	}
	if n := sweep(t0.Add(time.Minute), 10); n != 1 {
		t.Errorf("swept %d, want the last expired 1", n)
	}
	if _, err := f.idempotencyGet(b.ID, live.KeyHash); err != nil {
		t.Errorf("a live key after the sweep: %v", err)
	}
}
