package drivertest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var erasureTests = []test{
	{"RoundTrip", testErasureRoundTrip},
	{"Lease", testErasureLease},
	{"Cancel", testErasureCancel},
	{"Totals", testErasureTotals},
	{"ClaimsConcurrent", testErasureClaimsConcurrent},
	{"KeyRewrap", testErasureKeyRewrap},
}

// erasure stores a queued job of the tenant.
func (f *fixture) erasure(tb testing.TB, tenantID convstore.ID) *driver.ErasureRow {
	tb.Helper()
	t := now()
	before := t.Add(-time.Hour)
	e := &driver.ErasureRow{Erasure: convstore.Erasure{ID: convstore.NewID(), TenantID: tenantID, State: convstore.ErasureQueued,
		IncludeNew: true, Selector: convstore.ErasureSummary{AgentID: "agent", CreatedBefore: &before, UserID: true, ExternalIDs: 2, MetadataPairs: 1},
		SnapshotAt: t, Total: convstore.ErasureCounts{Conversations: 3, Messages: 4, Artifacts: 5, Attachments: 6, Bytes: 7},
		ActorKeyID: convstore.NewID(), Door: "native", RequestID: "req", ClientRequestID: "client", CreatedAt: t, UpdatedAt: t},
		SealedSelector: []byte("sealed\x00selector"), KeyEpoch: 3, WrappedKey: []byte("wrapped")}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.ErasureInsert(ctx, e) })
	return e
}

func (f *fixture) claimErasure(tb testing.TB, at time.Time, owner string) (*driver.ErasureRow, error) {
	tb.Helper()
	var row *driver.ErasureRow
	err := f.try(func(ctx context.Context, tx driver.Tx) (err error) {
		row, err = tx.ErasureClaim(ctx, &driver.ErasureClaimParams{Now: at, Until: at.Add(time.Minute), Owner: owner})
		return err
	})
	return row, err
}

func testErasureRoundTrip(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	e := f.erasure(t, a.ID)
	got, err := f.drv.Reads().ErasureGet(f.ctx, a.ID, e.ID)
	must(t, err)
	if got.Selector.CreatedBefore == nil || !got.Selector.CreatedBefore.Equal(*e.Selector.CreatedBefore) {
		t.Errorf("created_before %v, want %v", got.Selector.CreatedBefore, e.Selector.CreatedBefore)
	}
	got.Selector.CreatedBefore = e.Selector.CreatedBefore
	if got.Selector != e.Selector || got.Total != e.Total || got.State != e.State || !got.IncludeNew || got.DryRun ||
		got.ActorKeyID != e.ActorKeyID || got.ClientRequestID != "client" || !got.SnapshotAt.Equal(e.SnapshotAt) ||
		string(got.SealedSelector) != string(e.SealedSelector) || got.KeyEpoch != 3 || string(got.WrappedKey) != "wrapped" ||
		!got.Cursor.IsZero() || got.LeaseUntil != nil || got.FinishedAt != nil {
		t.Errorf("read back %+v\nwant %+v", got, e)
	}
	_, err = f.drv.Reads().ErasureGet(f.ctx, b.ID, e.ID)
	wantCode(t, "another tenant's job", err, convstore.ENOTFOUND, "erasure")
	e2 := f.erasure(t, a.ID)
	list, err := f.drv.Reads().ErasureList(f.ctx, &driver.ErasureListParams{TenantID: a.ID, Page: page(10, true)})
	must(t, err)
	if len(list) != 2 || list[0].ID != e2.ID || list[1].ID != e.ID {
		t.Errorf("ErasureList desc = %v; want the two jobs newest first", ids(list, func(r *driver.ErasureRow) convstore.ID { return r.ID }))
	}
	if list, err := f.drv.Reads().ErasureList(f.ctx, &driver.ErasureListParams{TenantID: b.ID, Page: page(10, false)}); err != nil || len(list) != 0 {
		t.Errorf("another tenant's list: %d, %v; want none", len(list), err)
	}
}

func testErasureLease(t *testing.T, f *fixture) {
	a := f.tenant(t)
	e := f.erasure(t, a.ID)
	t0 := now()
	row, err := f.claimErasure(t, t0, "node-1")
	must(t, err)
	if row.ID != e.ID || row.State != convstore.ErasureRunning || row.LeaseOwner != "node-1" {
		t.Fatalf("claimed %+v", row)
	}
	_, err = f.claimErasure(t, t0.Add(time.Second), "node-2")
	wantCode(t, "a leased job", err, convstore.ENOTFOUND, "erasure")
	// Progress by the owner; not by another.
	cursor := convstore.NewID()
	done := convstore.ErasureCounts{Conversations: 1, Messages: 2, Artifacts: 3, Attachments: 4, Bytes: 5}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		got, err := tx.ErasureUpdate(ctx, &driver.ErasureUpdateParams{TenantID: a.ID, ID: e.ID, Owner: "node-1",
			State: convstore.ErasureRunning, Cursor: cursor, Done: done, Held: 1, LeaseUntil: t0.Add(time.Minute), UpdatedAt: t0})
		if err == nil && (got.Cursor != cursor || got.Done != done || got.Held != 1) {
			t.Errorf("updated %+v", got)
		}
		return err
	})
	err = f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ErasureUpdate(ctx, &driver.ErasureUpdateParams{TenantID: a.ID, ID: e.ID, Owner: "node-2",
			State: convstore.ErasureRunning, LeaseUntil: t0.Add(time.Minute), UpdatedAt: t0})
		return err
	})
	wantCode(t, "an update without the lease", err, convstore.ENOTFOUND, "erasure")
	// The lease runs out: another node claims the job and its progress.
	row, err = f.claimErasure(t, t0.Add(2*time.Minute), "node-2")
	must(t, err)
	if row.LeaseOwner != "node-2" || row.Cursor != cursor || row.Done != done || row.Held != 1 {
		t.Fatalf("reclaimed %+v", row)
	}
	fin := t0.Add(3 * time.Minute)
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ErasureUpdate(ctx, &driver.ErasureUpdateParams{TenantID: a.ID, ID: e.ID, Owner: "node-2",
			State: convstore.ErasureSucceeded, Cursor: cursor, Done: done, UpdatedAt: fin, FinishedAt: &fin})
		return err
	})
	got, err := f.drv.Reads().ErasureGet(f.ctx, a.ID, e.ID)
	must(t, err)
	if got.State != convstore.ErasureSucceeded || got.FinishedAt == nil || !got.FinishedAt.Equal(fin) ||
		got.SealedSelector != nil || got.WrappedKey != nil || got.KeyEpoch != 0 || got.LeaseUntil != nil {
		t.Errorf("finished job %+v: want succeeded, selector and key cleared, no lease", got)
	}
	_, err = f.claimErasure(t, fin.Add(time.Hour), "node-3")
	wantCode(t, "a finished job", err, convstore.ENOTFOUND, "erasure")
}

func testErasureCancel(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	queued, running := f.erasure(t, a.ID), f.erasure(t, a.ID)
	t0 := now()
	// Claims take the oldest job first: both become running.
	first, err := f.claimErasure(t, t0, "node")
	must(t, err)
	if first.ID != queued.ID {
		t.Fatalf("claimed %s, want the oldest job", first.ID.UUID())
	}
	if _, err := f.claimErasure(t, t0, "node"); err != nil {
		t.Fatal(err)
	}
	// A queued job is canceled at once; a running one is asked to stop.
	fresh := f.erasure(t, a.ID)
	var got *driver.ErasureRow
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		got, err = tx.ErasureCancel(ctx, a.ID, fresh.ID, t0)
		return err
	})
	if got.State != convstore.ErasureCanceled || !got.CancelRequested || got.FinishedAt == nil || got.SealedSelector != nil || got.WrappedKey != nil {
		t.Errorf("canceled queued job %+v", got)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		got, err = tx.ErasureCancel(ctx, a.ID, running.ID, t0)
		return err
	})
	if got.State != convstore.ErasureRunning || !got.CancelRequested || got.FinishedAt != nil || got.SealedSelector == nil {
		t.Errorf("canceled running job %+v: want still running, cancel requested", got)
	}
	err = f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ErasureCancel(ctx, b.ID, running.ID, t0)
		return err
	})
	wantCode(t, "another tenant's cancel", err, convstore.ENOTFOUND, "erasure")
}

func testErasureTotals(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	c1 := f.conversation(t, a.ID, nil)
	c2 := f.conversation(t, a.ID, nil)
	foreign := f.conversation(t, b.ID, nil)
	f.messages(t, a.ID, c1.ID, 3)
	f.messages(t, a.ID, c2.ID, 2)
	f.attachment(t, a.ID, c1.ID, "x", 100)
	f.attachment(t, a.ID, c2.ID, "y", 20)
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.ArtifactInsert(ctx, a.ID, &convstore.Artifact{ID: convstore.NewID(), ConversationID: c1.ID,
			Type: convstore.ArtifactSummary, Text: "s", CreatedAt: now()})
	})
	got, err := f.drv.Reads().ConversationTotals(f.ctx, a.ID, []convstore.ID{c1.ID, c2.ID, foreign.ID, convstore.NewID()})
	must(t, err)
	if want := (convstore.ErasureCounts{Conversations: 2, Messages: 5, Artifacts: 1, Attachments: 2, Bytes: 120}); got != want {
		t.Errorf("ConversationTotals = %+v, want %+v", got, want)
	}
	job := convstore.NewID()
	for i, d := range []*convstore.Deletion{
		{ErasureID: job, Messages: 3, Artifacts: 1, Attachments: 1, AttachmentBytes: 100},
		{ErasureID: job, Messages: 2, Attachments: 1, AttachmentBytes: 20},
		{Messages: 9}, // not the job's
	} {
		d.ID, d.TenantID, d.ConversationID, d.ConversationSeq, d.CreatedAt = convstore.NewID(), a.ID, convstore.NewID(), int64(i+1), now()
		f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.DeletionInsert(ctx, d) })
	}
	got, err = f.drv.Reads().DeletionTotals(f.ctx, a.ID, job)
	must(t, err)
	if want := (convstore.ErasureCounts{Conversations: 2, Messages: 5, Artifacts: 1, Attachments: 2, Bytes: 120}); got != want {
		t.Errorf("DeletionTotals = %+v, want %+v", got, want)
	}
	if got, _ := f.drv.Reads().DeletionTotals(f.ctx, b.ID, job); got != (convstore.ErasureCounts{}) {
		t.Errorf("another tenant's DeletionTotals = %+v, want none", got)
	}
	list, err := f.drv.Reads().DeletionList(f.ctx, &driver.DeletionListParams{TenantID: a.ID, ErasureID: job, Page: page(10, false)})
	must(t, err)
	if len(list) != 2 || list[0].ErasureID != job || list[1].ErasureID != job {
		t.Errorf("DeletionList by erasure: %d receipts; want the job's 2", len(list))
	}
	list, err = f.drv.Reads().DeletionList(f.ctx, &driver.DeletionListParams{TenantID: a.ID, ErasureID: job,
		ConversationID: list[1].ConversationID, Page: page(10, false)})
	must(t, err)
	if len(list) != 1 {
		t.Errorf("DeletionList by erasure and conversation: %d receipts; want 1", len(list))
	}
}

// Two claims at once never take one job; on a driver with concurrent
// writers, a claim held open does not hold up the other (SKIP LOCKED).
func testErasureClaimsConcurrent(t *testing.T, f *fixture) {
	a := f.tenant(t)
	const jobs = 6
	for range jobs {
		f.erasure(t, a.ID)
	}
	t0 := now()
	var mu sync.Mutex
	seen := map[convstore.ID]int{}
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				row, err := f.claimErasure(t, t0, "node-"+itoa(w))
				if convstore.ErrorCode(err) == convstore.ENOTFOUND {
					return
				} else if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[row.ID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != jobs {
		t.Errorf("%d jobs claimed, want %d", len(seen), jobs)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("job %s claimed %d times", id.UUID(), n)
		}
	}
}

// The selector keys of jobs that may still run are claimed by epoch,
// re-wrapped and counted per epoch; a final job's (cleared) key is none
// of these, and a re-wrap does not bring it back.
func testErasureKeyRewrap(t *testing.T, f *fixture) {
	a := f.tenant(t)
	waiting, done := f.erasure(t, a.ID), f.erasure(t, a.ID) // both under epoch 3
	t0 := now()
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.ErasureCancel(ctx, a.ID, done.ID, t0); err != nil { // queued: final at once
			return err
		}
		return nil
	})
	epochs := func() map[uint32]int64 {
		t.Helper()
		list, err := f.drv.Reads().ErasureKeyEpochs(f.ctx)
		must(t, err)
		out := map[uint32]int64{}
		for _, e := range list {
			out[e.Epoch] = e.Keys
		}
		return out
	}
	before := epochs()
	var claimed []*driver.ErasureKey
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		claimed, err = tx.ErasureKeyClaim(ctx, &driver.ConversationKeyClaimParams{From: 3, Before: 4, Limit: 1000})
		return err
	})
	var mine *driver.ErasureKey
	for _, k := range claimed {
		if k.ErasureID == done.ID {
			t.Errorf("claimed the canceled job's cleared key")
		}
		if k.ErasureID == waiting.ID {
			mine = k
		}
	}
	if mine == nil || mine.TenantID != a.ID || mine.Epoch != 3 || string(mine.Wrapped) != "wrapped" {
		t.Fatalf("claimed %+v; want the waiting job's key under epoch 3", mine)
	}
	rewrapped := []*driver.ErasureKey{{TenantID: a.ID, ErasureID: waiting.ID, Epoch: 4, Wrapped: []byte("again")},
		{TenantID: a.ID, ErasureID: done.ID, Epoch: 4, Wrapped: []byte("again")}}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		n, err := tx.ErasureKeyRewrap(ctx, rewrapped)
		if err == nil && n != 1 {
			t.Errorf("ErasureKeyRewrap stored %d keys, want only the waiting job's", n)
		}
		return err
	})
	got, err := f.drv.Reads().ErasureGet(f.ctx, a.ID, waiting.ID)
	must(t, err)
	if got.KeyEpoch != 4 || string(got.WrappedKey) != "again" || string(got.SealedSelector) != string(waiting.SealedSelector) {
		t.Errorf("re-wrapped job: epoch %d, key %q; want epoch 4, the new key and the same selector", got.KeyEpoch, got.WrappedKey)
	}
	if got, err := f.drv.Reads().ErasureGet(f.ctx, a.ID, done.ID); err != nil || got.WrappedKey != nil || got.KeyEpoch != 0 {
		t.Errorf("the canceled job after a re-wrap: %+v, %v; want no key", got, err)
	}
	after := epochs()
	if after[3] != before[3]-1 || after[4] != before[4]+1 {
		t.Errorf("key epochs %v, then %v; want one key moved from epoch 3 to 4", before, after)
	}
}
