package drivertest

import (
	"context"
	"errors"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var txTests = []test{
	{"FailedWriteLeavesNothing", testFailedWrite},
	{"ReadsSeeCommits", testReadsSeeCommits},
	{"ReadIsOneSnapshot", testReadSnapshot},
	{"CancelledBeforeStart", testCancelledBeforeStart},
	{"Closed", testClosed},
}

// A write whose fn fails leaves nothing of what it did, and its error
// comes back as is.
func testFailedWrite(t *testing.T, f *fixture) {
	refused := errors.New("refused")
	tn := &convstore.Tenant{ID: convstore.NewID(), Name: "rolled-back", CreatedAt: now()}
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		if err := tx.TenantInsert(ctx, tn); err != nil {
			return err
		}
		if _, err := tx.TenantGet(ctx, tn.ID); err != nil {
			t.Errorf("the transaction does not see its own insert: %v", err)
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("Write = %v, want fn's error", err)
	}
	_, err = f.drv.Reads().TenantGet(f.ctx, tn.ID)
	wantCode(t, "tenant of a failed write", err, convstore.ENOTFOUND, "tenant")
	// A domain error passes through unchanged.
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return convstore.Invalidf("x", "bad") })
	if convstore.ErrorCode(err) != convstore.EINVALID || convstore.ErrorField(err) != "x" {
		t.Errorf("domain error through Write: %v", err)
	}
}

func testReadsSeeCommits(t *testing.T, f *fixture) {
	tn := f.tenant(t)
	err := f.drv.Read(f.ctx, func(ctx context.Context, r driver.Reader) error {
		got, err := r.TenantGet(ctx, tn.ID)
		if err == nil && (got.Name != tn.Name || !got.CreatedAt.Equal(tn.CreatedAt) || got.CreatedAt.Location().String() != "UTC") {
			t.Errorf("TenantGet = %+v, want %+v in UTC", got, tn)
		}
		return err
	})
	must(t, err)
	refused := errors.New("refused")
	if err := f.drv.Read(f.ctx, func(ctx context.Context, r driver.Reader) error { return refused }); !errors.Is(err, refused) {
		t.Errorf("Read = %v, want fn's error", err)
	}
}

// A write whose context ended before it started never runs.
func testCancelledBeforeStart(t *testing.T, f *fixture) {
	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	ran := false
	err := f.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("Write with a cancelled context = %v (ran %v), want context.Canceled without running", err, ran)
	}
}

// A closed driver answers EUNAVAILABLE everywhere.
func testClosed(t *testing.T, f *fixture) {
	if !f.Close {
		t.Skip("the harness does not let the suite close its driver")
	}
	must(t, f.drv.Ping(f.ctx))
	must(t, f.drv.Close())
	wantCode(t, "Ping after Close", f.drv.Ping(f.ctx), convstore.EUNAVAILABLE)
	wantCode(t, "Write after Close", f.try(func(ctx context.Context, tx driver.Tx) error { return nil }), convstore.EUNAVAILABLE)
	wantCode(t, "Read after Close", f.drv.Read(f.ctx, func(ctx context.Context, r driver.Reader) error { return nil }), convstore.EUNAVAILABLE)
	_, err := f.drv.Reads().TenantList(f.ctx)
	wantCode(t, "Reads after Close", err, convstore.EUNAVAILABLE)
}

// Every operation of one Read sees the same snapshot: a write that
// commits meanwhile is not seen (PostgreSQL: REPEATABLE READ, not its
// default READ COMMITTED; SQLite: one WAL snapshot).
func testReadSnapshot(t *testing.T, f *fixture) {
	f.tenant(t)
	err := f.drv.Read(f.ctx, func(ctx context.Context, r driver.Reader) error {
		before, err := r.TenantList(ctx)
		if err != nil {
			return err
		}
		f.tenant(t) // commits while the read is open
		after, err := r.TenantList(ctx)
		if err != nil {
			return err
		}
		if len(after) != len(before) {
			t.Errorf("one read saw %d then %d tenants: a write committed meanwhile is visible", len(before), len(after))
		}
		return nil
	})
	must(t, err)
	if list, _ := f.drv.Reads().TenantList(f.ctx); len(list) != 2 {
		t.Errorf("%d tenants after the read, want 2", len(list))
	}
}
