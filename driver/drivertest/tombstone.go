package drivertest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var tombstoneTests = []test{
	{"FindByExternal", testTombstoneFind},
	{"SweepExpired", testTombstoneSweep},
}

func (f *fixture) tombstone(tb testing.TB, tenantID convstore.ID, idx []byte, deleted, expires time.Time) *driver.TombstoneRow {
	tb.Helper()
	t := &driver.TombstoneRow{TenantID: tenantID, ConversationID: convstore.NewID(), ExternalIndex: idx, DeletedAt: deleted, ExpiresAt: expires}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.TombstoneInsert(ctx, t) })
	return t
}

func (f *fixture) findTombstone(idxs [][]byte, tenantID convstore.ID, at time.Time) (*driver.TombstoneRow, error) {
	var got *driver.TombstoneRow
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		var err error
		got, err = tx.TombstoneGetByExternal(ctx, tenantID, idxs, at)
		return err
	})
	return got, err
}

// A tombstone is found by any of the indexes given, in its tenant only,
// until it expires; one without an expiry never does; inserting one twice
// keeps the first.
func testTombstoneFind(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	t0 := now()
	idx, other := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	ts := f.tombstone(t, a.ID, idx, t0, t0.Add(time.Hour))
	got, err := f.findTombstone([][]byte{other, idx}, a.ID, t0)
	must(t, err)
	if got.ConversationID != ts.ConversationID || !bytes.Equal(got.ExternalIndex, idx) || !got.DeletedAt.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("TombstoneGetByExternal = %+v, want %+v", got, ts)
	}
	_, err = f.findTombstone([][]byte{idx}, b.ID, t0)
	wantCode(t, "another tenant's tombstone", err, convstore.ENOTFOUND, "tombstone")
	_, err = f.findTombstone([][]byte{other}, a.ID, t0)
	wantCode(t, "another index", err, convstore.ENOTFOUND, "tombstone")
	_, err = f.findTombstone(nil, a.ID, t0)
	wantCode(t, "no index", err, convstore.ENOTFOUND, "tombstone")
	_, err = f.findTombstone([][]byte{idx}, a.ID, t0.Add(time.Hour))
	wantCode(t, "a tombstone at its expiry", err, convstore.ENOTFOUND, "tombstone")

	forever := f.tombstone(t, a.ID, other, t0, time.Time{})
	got, err = f.findTombstone([][]byte{other}, a.ID, t0.Add(100*365*24*time.Hour))
	must(t, err)
	if got.ConversationID != forever.ConversationID || !got.ExpiresAt.IsZero() {
		t.Errorf("a tombstone kept for ever = %+v", got)
	}
	again := *ts
	again.ExpiresAt = t0.Add(2 * time.Hour)
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.TombstoneInsert(ctx, &again) })
	got, err = f.findTombstone([][]byte{idx}, a.ID, t0)
	must(t, err)
	if !got.ExpiresAt.Equal(ts.ExpiresAt) {
		t.Errorf("a second insert changed the tombstone: %+v", got)
	}
}

// The sweep deletes expired tombstones of every tenant, at most limit per
// call, and never one without an expiry.
func testTombstoneSweep(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	t0 := now()
	for i := range 3 {
		f.tombstone(t, a.ID, []byte{byte(i)}, t0, t0.Add(time.Minute))
	}
	f.tombstone(t, b.ID, []byte{9}, t0, t0.Add(time.Minute))
	live := f.tombstone(t, b.ID, []byte{10}, t0, t0.Add(time.Hour))
	forever := f.tombstone(t, b.ID, []byte{11}, t0, time.Time{})
	sweep := func(at time.Time, limit int) int {
		var n int
		f.write(t, func(ctx context.Context, tx driver.Tx) error {
			var err error
			n, err = tx.TombstoneDeleteExpired(ctx, at, limit)
			return err
		})
		return n
	}
	if n := sweep(t0, 10); n != 0 {
		t.Errorf("swept %d before any expiry", n)
	}
	if n := sweep(t0.Add(time.Minute), 3); n != 3 {
		t.Errorf("swept %d with limit 3, want 3", n)
	}
	if n := sweep(t0.Add(time.Minute), 10); n != 1 {
		t.Errorf("swept %d, want the last expired 1", n)
	}
	for _, ts := range []*driver.TombstoneRow{live, forever} {
		if _, err := f.findTombstone([][]byte{ts.ExternalIndex}, b.ID, t0); err != nil {
			t.Errorf("tombstone %x after the sweep: %v", ts.ExternalIndex, err)
		}
	}
}
