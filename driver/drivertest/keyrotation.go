package drivertest

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var keyRotationTests = []test{
	{"ClaimAndRewrap", testKeyClaimRewrap},
	{"EpochsAndList", testKeyEpochsList},
	{"ClaimsConcurrent", testKeyClaimsConcurrent},
	{"DeleteReadsRewrappedEpoch", testKeyDeleteEpoch},
}

// testKeyClaimRewrap claims the keys of older epochs across tenants,
// oldest epoch first, re-wraps them, and skips a key whose conversation
// is gone.
func testKeyClaimRewrap(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	for i, e := range []uint32{3, 1, 2, 1, 3} {
		tenant := a.ID
		if i%2 == 1 {
			tenant = b.ID
		}
		c := f.conversation(t, tenant, nil)
		f.convKey(t, tenant, c.ID, e)
	}
	var claimed []*driver.ConversationKey
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		claimed, err = tx.ConversationKeyClaim(ctx, &driver.ConversationKeyClaimParams{From: 1, Before: 3, Limit: 2})
		return err
	})
	if len(claimed) != 2 || claimed[0].Epoch != 1 || claimed[1].Epoch != 1 {
		t.Fatalf("first claim before 3: %+v, want the two keys of epoch 1", claimed)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		claimed, err = tx.ConversationKeyClaim(ctx, &driver.ConversationKeyClaimParams{From: 1, Before: 3, Limit: 10})
		return err
	})
	if len(claimed) != 3 {
		t.Fatalf("claim before 3: %d keys, want 3 (epochs 1, 1, 2)", len(claimed))
	}
	var from2 []*driver.ConversationKey
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		from2, err = tx.ConversationKeyClaim(ctx, &driver.ConversationKeyClaimParams{From: 2, Before: 3, Limit: 10})
		return err
	})
	if len(from2) != 1 || from2[0].Epoch != 2 {
		t.Fatalf("claim of [2, 3): %+v, want the key of epoch 2", from2)
	}
	for _, k := range claimed {
		if !bytes.HasPrefix(k.Wrapped, []byte("wrapped-")) || k.CreatedAt.IsZero() {
			t.Errorf("claimed key %+v", k)
		}
	}
	// Re-wrap them under epoch 3; one conversation is deleted first.
	gone := claimed[0]
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationDelete(ctx, gone.TenantID, gone.ConversationID)
		return err
	})
	var n int
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		for _, k := range claimed {
			k.Epoch, k.Wrapped = 3, []byte("rewrapped-"+k.ConversationID.Base32())
		}
		n, err = tx.ConversationKeyRewrap(ctx, claimed)
		return err
	})
	if n != 2 {
		t.Errorf("ConversationKeyRewrap = %d, want 2 (one conversation is gone)", n)
	}
	if _, err := f.drv.Reads().ConversationKeyGet(f.ctx, gone.TenantID, gone.ConversationID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("a re-wrap brought back a deleted conversation's key: %v", err)
	}
	for _, k := range claimed[1:] {
		got, err := f.drv.Reads().ConversationKeyGet(f.ctx, k.TenantID, k.ConversationID)
		must(t, err)
		if got.Epoch != 3 || !bytes.Equal(got.Wrapped, k.Wrapped) {
			t.Errorf("re-wrapped key reads back epoch %d, %q", got.Epoch, got.Wrapped)
		}
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		claimed, err = tx.ConversationKeyClaim(ctx, &driver.ConversationKeyClaimParams{From: 1, Before: 3, Limit: 10})
		return err
	})
	if len(claimed) != 0 {
		t.Errorf("after the re-wrap, %d keys are still before epoch 3", len(claimed))
	}
}

// testKeyEpochsList counts keys by epoch and pages through every
// tenant's keys.
func testKeyEpochsList(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	want := map[convstore.ID]bool{}
	for i, e := range []uint32{5, 7, 5, 5, 7} {
		tenant := a.ID
		if i >= 3 {
			tenant = b.ID
		}
		c := f.conversation(t, tenant, nil)
		f.convKey(t, tenant, c.ID, e)
		want[c.ID] = true
	}
	epochs, err := f.drv.Reads().ConversationKeyEpochs(f.ctx)
	must(t, err)
	if len(epochs) != 2 || epochs[0] != (driver.EpochKeys{Epoch: 5, Keys: 3}) || epochs[1] != (driver.EpochKeys{Epoch: 7, Keys: 2}) {
		t.Errorf("ConversationKeyEpochs = %+v, want 5:3, 7:2", epochs)
	}
	p := &driver.ConversationKeyListParams{Limit: 2}
	seen := 0
	for range 10 {
		list, err := f.drv.Reads().ConversationKeyList(f.ctx, p)
		must(t, err)
		for _, k := range list {
			if !want[k.ConversationID] {
				t.Errorf("listed an unknown or repeated key %v", k.ConversationID)
			}
			delete(want, k.ConversationID)
			seen++
		}
		if len(list) < p.Limit {
			break
		}
		p.AfterTenant, p.AfterConversation = list[len(list)-1].TenantID, list[len(list)-1].ConversationID
	}
	if seen != 5 || len(want) != 0 {
		t.Errorf("listed %d keys, missed %d", seen, len(want))
	}
}

// testKeyClaimsConcurrent: rotations on several nodes never claim one key
// twice, and a claim held open does not hold the others up (on a driver
// with concurrent writers).
func testKeyClaimsConcurrent(t *testing.T, f *fixture) {
	a := f.tenant(t)
	for range 40 {
		c := f.conversation(t, a.ID, nil)
		f.convKey(t, a.ID, c.ID, 1)
	}
	var mu sync.Mutex
	seen := map[convstore.ID]int{}
	othersClaimed := make(chan struct{})
	var closeOnce sync.Once
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			held := false
			for {
				var got []*driver.ConversationKey
				err := f.drv.Write(f.ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) (err error) {
					if got, err = tx.ConversationKeyClaim(ctx, &driver.ConversationKeyClaimParams{From: 1, Before: 2, Limit: 5}); err != nil {
						return err
					}
					if w == 0 && !f.SingleWriter && !held && len(got) > 0 {
						held = true
						select {
						case <-othersClaimed:
						case <-f.ctx.Done():
							t.Error("the other claims waited for the one held open")
							return f.ctx.Err()
						}
					}
					for _, k := range got {
						k.Epoch = 2
					}
					_, err = tx.ConversationKeyRewrap(ctx, got)
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, k := range got {
					seen[k.ConversationID]++
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
	if len(seen) != 40 {
		t.Errorf("%d keys re-wrapped, want 40", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("key of %v claimed %d times", id, n)
		}
	}
}

// testKeyDeleteEpoch: a conversation's delete reports the epoch that
// wrapped its key as stored at the delete, after a re-wrap.
func testKeyDeleteEpoch(t *testing.T, f *fixture) {
	a := f.tenant(t)
	c := f.conversation(t, a.ID, nil)
	k := f.convKey(t, a.ID, c.ID, 4)
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		k.Epoch = 6
		_, err := tx.ConversationKeyRewrap(ctx, []*driver.ConversationKey{k})
		return err
	})
	var gone *driver.ConversationDeleted
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		gone, err = tx.ConversationDelete(ctx, a.ID, c.ID)
		return err
	})
	if gone.KeyEpoch != 6 {
		t.Errorf("ConversationDelete's key epoch = %d, want 6", gone.KeyEpoch)
	}
	plain := f.conversation(t, a.ID, nil)
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		gone, err = tx.ConversationDelete(ctx, a.ID, plain.ID)
		return err
	})
	if gone.KeyEpoch != 0 {
		t.Errorf("a conversation without a key: key epoch %d, want 0", gone.KeyEpoch)
	}
}
