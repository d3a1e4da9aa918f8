package drivertest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore/driver"
)

var removalTests = []test{
	{"QueueClaimForget", testRemovalQueue},
	{"KnownKeysAndStats", testRemovalKnown},
	{"ClaimsUnderConcurrency", testClaimsConcurrent},
}

func (f *fixture) queue(tb testing.TB, due time.Time, keys ...string) {
	tb.Helper()
	f.write(tb, func(ctx context.Context, tx driver.Tx) error {
		return tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: keys, DueAt: due, Now: now()})
	})
}

func (f *fixture) claimDue(tb testing.TB, at time.Time, limit int) []string {
	tb.Helper()
	var keys []string
	f.write(tb, func(ctx context.Context, tx driver.Tx) (err error) {
		keys, err = tx.BlobRemovalClaimDue(ctx, at, limit)
		return err
	})
	return keys
}

func testRemovalQueue(t *testing.T, f *fixture) {
	t0 := now()
	f.queue(t, t0.Add(2*time.Second), "b")
	f.queue(t, t0.Add(time.Second), "a")
	f.queue(t, t0.Add(time.Hour), "later")
	f.queue(t, t0.Add(3*time.Second), "a") // keeps the earlier due time
	if got := f.claimDue(t, t0.Add(2*time.Second), 10); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("due at +2s: %v, want a then b (oldest due first)", got)
	}
	if got := f.claimDue(t, t0.Add(2*time.Second), 1); !slices.Equal(got, []string{"a"}) {
		t.Errorf("due with limit 1: %v", got)
	}
	f.queue(t, t0, "later") // an earlier due time wins
	if got := f.claimDue(t, t0, 10); !slices.Equal(got, []string{"later"}) {
		t.Errorf("due now: %v, want later (made due)", got)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.BlobRemovalReschedule(ctx, []string{"later"}, t0.Add(time.Hour))
	})
	if got := f.claimDue(t, t0.Add(time.Minute), 10); slices.Contains(got, "later") {
		t.Errorf("rescheduled key still due: %v", got)
	}
	var claimed []string
	var forgot int
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		if claimed, err = tx.BlobRemovalClaim(ctx, []string{"a", "missing", "later"}); err != nil {
			return err
		}
		forgot, err = tx.BlobRemovalForget(ctx, []string{"a", "missing"})
		return err
	})
	slices.Sort(claimed)
	if !slices.Equal(claimed, []string{"a", "later"}) || forgot != 1 {
		t.Errorf("claimed %v and forgot %d; want a, later and 1", claimed, forgot)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		forgot, err = tx.BlobRemovalForget(ctx, []string{"b", "later"})
		return err
	})
	if forgot != 2 {
		t.Errorf("forgot %d, want 2", forgot)
	}
	if got := f.claimDue(t, t0.Add(24*time.Hour), 10); len(got) != 0 {
		t.Errorf("queue not empty: %v", got)
	}
}

func testRemovalKnown(t *testing.T, f *fixture) {
	a := f.tenant(t)
	c := f.conversation(t, a.ID, nil)
	att := f.attachment(t, a.ID, c.ID, "x", 1)
	t0 := now()
	f.queue(t, t0.Add(-time.Second), "due")
	f.queue(t, t0.Add(time.Hour), "intent")
	known, err := f.drv.Reads().BlobKeysKnown(f.ctx, []string{att.BlobKey, "due", "intent", "stray"})
	must(t, err)
	slices.Sort(known)
	want := []string{att.BlobKey, "due", "intent"}
	slices.Sort(want)
	if !slices.Equal(known, want) {
		t.Errorf("BlobKeysKnown = %v, want %v", known, want)
	}
	due, total, err := f.drv.Reads().BlobRemovalStats(f.ctx, t0)
	if err != nil || due != 1 || total != 2 {
		t.Errorf("BlobRemovalStats = %d due, %d total, %v; want 1, 2", due, total, err)
	}
	var n int
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		if err := tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: []string{"mine"}, DueAt: t0.Add(time.Hour), Now: t0, Upload: true}); err != nil {
			return err
		}
		n, err = tx.BlobRemovalReclaimUploads(ctx, t0)
		return err
	})
	if n != 0 {
		t.Errorf("BlobRemovalReclaimUploads reclaimed %d uploads of a live process", n)
	}
}

// Claims taken side by side never overlap. On a driver with concurrent
// writers, a claim held open does not hold the others up: they skip its
// entries (FOR UPDATE SKIP LOCKED) rather than wait for them. On a driver
// with one writer, claims in turn never see what an earlier one claimed
// and forgot.
func testClaimsConcurrent(t *testing.T, f *fixture) {
	t0 := now()
	var keys []string
	for i := range 40 {
		keys = append(keys, "k"+itoa(i))
	}
	f.queue(t, t0, keys...)
	var mu sync.Mutex
	seen := map[string]int{}
	othersClaimed := make(chan struct{}) // closed once a worker other than 0 has claimed
	var closeOnce sync.Once
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			held := false
			for {
				var got []string
				err := f.drv.Write(f.ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) (err error) {
					if got, err = tx.BlobRemovalClaimDue(ctx, t0, 5); err != nil {
						return err
					}
					if w == 0 && !f.SingleWriter && !held && len(got) > 0 {
						held = true
						select {
						case <-othersClaimed:
						case <-ctx.Done():
							return ctx.Err()
						case <-f.ctx.Done():
							t.Error("the other claims waited for the one held open")
							return f.ctx.Err()
						}
					}
					_, err = tx.BlobRemovalForget(ctx, got)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, k := range got {
					seen[k]++
				}
				mu.Unlock()
				if w != 0 && len(got) > 0 {
					closeOnce.Do(func() { close(othersClaimed) })
				}
				if len(got) == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(seen) != len(keys) {
		t.Errorf("%d keys claimed, want %d", len(seen), len(keys))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("key %s claimed %d times", k, n)
		}
	}
}
