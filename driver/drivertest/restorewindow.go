package drivertest

import (
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// A hidden conversation is missing to reads but listed as deleted while
// its job is due later; no purger claims it before; a restore within the
// window brings it back and drops the job; after the deadline the job is
// claimed, PurgeJobExpire clears its due time, and a restore is refused.
// PurgeJobLockWindowed finds the job from the delete until it expires.
func testRestoreWindow(t *testing.T, f *fixture) {
	p := f.purgeFixture(t)
	a, c := p.tenant.ID, p.conv.ID
	if days, err := f.drv.Reads().RestoreWindowGet(f.ctx, a); err != nil || days != 0 {
		t.Fatalf("RestoreWindowGet of a new tenant = %d, %v; want 0", days, err)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.RestoreWindowSet(ctx, a, 3) })
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.RestoreWindowSet(ctx, a, 5) })
	if days, err := f.drv.Reads().RestoreWindowGet(f.ctx, a); err != nil || days != 5 {
		t.Fatalf("RestoreWindowGet = %d, %v; want 5", days, err)
	}
	t0 := now()
	due := t0.Add(time.Hour)
	hide := func() *convstore.Deletion {
		t.Helper()
		d := &convstore.Deletion{ID: convstore.NewID(), TenantID: a, ConversationID: c, ConversationSeq: p.conv.Seq, CreatedAt: t0, RestorableUntil: &due}
		f.write(t, func(ctx context.Context, tx driver.Tx) error {
			gone, err := tx.ConversationHide(ctx, a, c)
			if err != nil {
				return err
			}
			if gone.Messages != len(p.msgs) || gone.KeyEpoch != 0 {
				t.Errorf("ConversationHide = %+v; want %d messages and no key epoch", gone, len(p.msgs))
			}
			if err := tx.DeletionInsert(ctx, d); err != nil {
				return err
			}
			return tx.PurgeJobInsert(ctx, &driver.PurgeJob{TenantID: a, ConversationID: c, DeletionID: d.ID, CreatedAt: t0, DueAt: due})
		})
		return d
	}
	deleted := func(at time.Time) int {
		t.Helper()
		rows, err := f.drv.Reads().ConversationList(f.ctx, &driver.ConversationListParams{TenantID: a,
			Filter: &convstore.ConversationFilter{Deleted: true}, Now: at, Page: page(10, false)})
		must(t, err)
		return len(rows)
	}
	claim := func(at time.Time) []*driver.PurgeJob {
		t.Helper()
		var got []*driver.PurgeJob
		f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
			got, err = tx.PurgeJobClaim(ctx, &driver.PurgeJobClaimParams{Now: at, Owner: convstore.NewID(), Until: at.Add(time.Minute), Limit: 5})
			return err
		})
		return got
	}
	restore := func(tenantID convstore.ID, at time.Time) (convstore.ID, error) {
		var id convstore.ID
		err := f.try(func(ctx context.Context, tx driver.Tx) (err error) {
			id, err = tx.ConversationRestore(ctx, tenantID, c, at)
			return err
		})
		return id, err
	}

	lockWindowed := func(tenantID convstore.ID) error {
		return f.try(func(ctx context.Context, tx driver.Tx) error { return tx.PurgeJobLockWindowed(ctx, tenantID, c) })
	}
	wantCode(t, "PurgeJobLockWindowed of a live conversation", lockWindowed(a), convstore.ENOTFOUND, "conversation")
	d := hide()
	_, err := f.drv.Reads().ConversationGetByID(f.ctx, a, c)
	wantCode(t, "a hidden conversation", err, convstore.ENOTFOUND, "conversation")
	must(t, lockWindowed(a))
	wantCode(t, "PurgeJobLockWindowed of another tenant's", lockWindowed(f.tenant(t).ID), convstore.ENOTFOUND, "conversation")
	if n := deleted(t0); n != 1 {
		t.Errorf("deleted list within the window: %d, want 1", n)
	}
	if n := deleted(due.Add(time.Second)); n != 0 {
		t.Errorf("deleted list past the window: %d, want 0", n)
	}
	if got := claim(t0.Add(time.Minute)); len(got) != 0 {
		t.Fatalf("claim within the window = %+v, want none", got)
	}
	other := f.tenant(t)
	_, err = restore(other.ID, t0)
	wantCode(t, "another tenant's restore", err, convstore.ENOTFOUND, "conversation")
	_, err = restore(a, due.Add(time.Second))
	wantCode(t, "a restore past the window", err, convstore.ENOTFOUND, "conversation")
	id, err := restore(a, t0.Add(time.Minute))
	if err != nil || id != d.ID {
		t.Fatalf("ConversationRestore = %v, %v; want the receipt %v", id, err, d.ID)
	}
	if _, err := f.drv.Reads().ConversationGetByID(f.ctx, a, c); err != nil {
		t.Fatalf("the restored conversation: %v", err)
	}
	got, err := f.drv.Reads().DeletionGet(f.ctx, a, d.ID)
	if err != nil || got.RestoredAt == nil || got.RestorableUntil == nil || !got.RestorableUntil.Equal(due) {
		t.Errorf("receipt after the restore: %+v, %v", got, err)
	}
	if n, err := f.drv.Reads().PurgeJobCount(f.ctx); err != nil || n != 0 {
		t.Errorf("PurgeJobCount after the restore = %d, %v", n, err)
	}
	msgs, err := f.drv.Reads().MessageList(f.ctx, &driver.MessageListParams{TenantID: a, ConversationID: c, Page: page(100, false)})
	if err != nil || len(msgs) != len(p.msgs) {
		t.Errorf("messages after the restore: %d, %v", len(msgs), err)
	}

	// Hidden again; past the deadline the job is claimed with its due
	// time, expired (twice: harmless), and no longer restorable.
	d = hide()
	jobs := claim(due.Add(time.Second))
	if len(jobs) != 1 || !jobs[0].DueAt.Equal(due) {
		t.Fatalf("claim past the window = %+v, want the job with its due time", jobs)
	}
	must(t, lockWindowed(a)) // past the deadline, until the key is destroyed
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.PurgeJobExpire(ctx, jobs[0]) })
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.PurgeJobExpire(ctx, jobs[0]) })
	wantCode(t, "PurgeJobLockWindowed of an expired job", lockWindowed(a), convstore.ENOTFOUND, "conversation")
	if again := claim(due.Add(time.Hour)); len(again) != 1 || !again[0].DueAt.IsZero() {
		t.Errorf("the expired job = %+v, want no due time", again)
	}
	_, err = restore(a, t0)
	wantCode(t, "a restore of an expired job", err, convstore.ENOTFOUND, "conversation")
}
