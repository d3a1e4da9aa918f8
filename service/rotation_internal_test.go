package service

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/keyring"
	"github.com/convstore/convstore/seal"
	"github.com/convstore/convstore/sqlite"
)

// rotationRig is a SQLite driver and a keyring on a clock the test moves.
type rotationRig struct {
	dir    string
	drv    driver.Driver
	ring   *keyring.Keyring
	mu     sync.Mutex
	clock  time.Time
	tenant convstore.ID

	keysMu sync.Mutex
	deks   map[convstore.ID][]byte // live conversations' data keys
}

func newRotationRig(t *testing.T) *rotationRig {
	t.Helper()
	r := &rotationRig{dir: t.TempDir(), clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), deks: map[convstore.ID][]byte{}}
	r.open(t)
	r.tenant = convstore.NewID()
	r.write(t, func(ctx context.Context, tx driver.Tx) error {
		return tx.TenantInsert(ctx, &convstore.Tenant{ID: r.tenant, Name: "rotation", CreatedAt: r.now()})
	})
	return r
}

// open opens the driver and keyring, as a process (re)starting does.
func (r *rotationRig) open(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	var err error
	if r.drv, err = sqlite.Open(ctx, filepath.Join(r.dir, "convstore.db"), sqlite.Options{}); err != nil {
		t.Fatal(err)
	}
	if r.ring, err = keyring.Open(ctx, keyring.Config{Path: filepath.Join(r.dir, "keyring"), Create: true, Now: r.now}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.drv.Close(); r.ring.Close() })
}

func (r *rotationRig) now() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clock
}

func (r *rotationRig) advance(d time.Duration) {
	r.mu.Lock()
	r.clock = r.clock.Add(d)
	r.mu.Unlock()
}

func (r *rotationRig) write(tb testing.TB, fn func(ctx context.Context, tx driver.Tx) error) {
	tb.Helper()
	if err := r.drv.Write(context.Background(), driver.WriteParams{}, fn); err != nil {
		tb.Fatal(err)
	}
}

func (r *rotationRig) rotator() *rotator {
	return &rotator{drv: r.drv, ring: r.ring, now: r.now, logger: slog.New(slog.DiscardHandler), batch: 50, aad: keyAADOf,
		emit: (&Service{newID: convstore.NewID}).emit}
}

// keyAADOf is what the service binds wrapped keys to.
var keyAADOf = keyAAD

// create stores a conversation with a data key wrapped under the current
// epoch (again under the next one if a rotation destroyed it meanwhile).
func (r *rotationRig) create(ctx context.Context) (convstore.ID, error) {
	id := convstore.NewID()
	dek := seal.NewDEK()
	err := r.drv.Write(ctx, driver.OnConversation(r.tenant, id), func(ctx context.Context, tx driver.Tx) error {
		now := r.now().UTC().Truncate(time.Microsecond)
		if err := tx.ConversationInsert(ctx, &driver.ConversationRow{Conversation: convstore.Conversation{ID: id, TenantID: r.tenant,
			Seq: int64(rand.Uint64() >> 2), CreatedAt: now, UpdatedAt: now}}); err != nil {
			return err
		}
		e := r.ring.Current().ID
		wrapped, err := r.ring.Wrap(e, dek, keyAADOf(r.tenant, id))
		if err != nil {
			return err
		}
		return tx.ConversationKeyInsert(ctx, &driver.ConversationKey{TenantID: r.tenant, ConversationID: id, Epoch: e,
			Wrapped: wrapped, CreatedAt: now})
	})
	if err == nil {
		r.keysMu.Lock()
		r.deks[id] = append([]byte(nil), dek.Bytes()...)
		r.keysMu.Unlock()
	}
	return id, err
}

func (r *rotationRig) delete(ctx context.Context, id convstore.ID) error {
	r.keysMu.Lock()
	delete(r.deks, id)
	r.keysMu.Unlock()
	return r.drv.Write(ctx, driver.OnConversation(r.tenant, id), func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.ConversationDelete(ctx, r.tenant, id)
		return err
	})
}

// check fails unless every live conversation's key is stored, wrapped by
// a live epoch, and unwraps to its data key, and no deleted one has a key.
func (r *rotationRig) check(t *testing.T, wantEpoch uint32) {
	t.Helper()
	ctx := context.Background()
	r.keysMu.Lock()
	defer r.keysMu.Unlock()
	stored := 0
	p := &driver.ConversationKeyListParams{Limit: 1000}
	for {
		list, err := r.drv.Reads().ConversationKeyList(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range list {
			stored++
			want, ok := r.deks[k.ConversationID]
			if !ok {
				t.Errorf("deleted conversation %v still has a key", k.ConversationID)
				continue
			}
			if wantEpoch != 0 && k.Epoch != wantEpoch {
				t.Errorf("key of %v under epoch %d, want %d", k.ConversationID, k.Epoch, wantEpoch)
			}
			dek, err := r.ring.Unwrap(ctx, k.Wrapped, keyAADOf(k.TenantID, k.ConversationID))
			if err != nil {
				t.Errorf("key of %v (epoch %d) does not unwrap: %v", k.ConversationID, k.Epoch, err)
				continue
			}
			if !bytes.Equal(dek.Bytes(), want) {
				t.Errorf("key of %v unwraps to another data key", k.ConversationID)
			}
		}
		if len(list) < p.Limit {
			break
		}
		p.AfterTenant, p.AfterConversation = list[len(list)-1].TenantID, list[len(list)-1].ConversationID
	}
	if stored != len(r.deks) {
		t.Errorf("%d keys stored, %d live conversations: a conversation lost its key", stored, len(r.deks))
	}
}

// TestRotationUnderTraffic rotates, re-wraps and destroys epochs while
// conversations are created and deleted: no conversation loses its key,
// none is left under a destroyed epoch, and no deleted one keeps a key.
func TestRotationUnderTraffic(t *testing.T) {
	r := newRotationRig(t)
	ctx := context.Background()
	var ids []convstore.ID
	for range 300 {
		id, err := r.create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var created, deleted atomic.Int64
	var idsMu sync.Mutex
	wg.Add(2)
	go func() { // creates
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			id, err := r.create(ctx)
			if errors.Is(err, keyring.ErrKeyDestroyed) {
				continue // wrapped under an epoch destroyed meanwhile: nothing stored, try again
			}
			if err != nil {
				t.Error(err)
				return
			}
			created.Add(1)
			idsMu.Lock()
			ids = append(ids, id)
			idsMu.Unlock()
		}
	}()
	go func() { // deletes
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			idsMu.Lock()
			if len(ids) < 50 {
				idsMu.Unlock()
				continue
			}
			i := rand.IntN(len(ids))
			id := ids[i]
			ids[i] = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
			idsMu.Unlock()
			if err := r.delete(ctx, id); err != nil {
				t.Error(err)
				return
			}
			deleted.Add(1)
		}
	}()
	rot := r.rotator()
	var destroyed []keyring.Epoch
	for range 6 {
		out, err := rot.pass(ctx, 0, time.Hour, true)
		if err != nil {
			t.Fatal(err)
		}
		destroyed = append(destroyed, out.Destroyed...)
		r.advance(2 * time.Hour) // the previous epochs are past the retention at the next pass
	}
	close(stop)
	wg.Wait()
	// Quiet now: one more rotation moves every key to the newest epoch,
	// and one past the retention destroys every older one.
	if _, err := rot.pass(ctx, 0, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	r.advance(2 * time.Hour)
	out, err := rot.pass(ctx, 0, time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	destroyed = append(destroyed, out.Destroyed...)
	if out.Blocked != 0 {
		t.Errorf("epoch %d still blocked once traffic stopped", out.Blocked)
	}
	r.check(t, out.Current.ID)
	if len(destroyed) < 5 || created.Load() == 0 || deleted.Load() == 0 {
		t.Fatalf("destroyed %d epochs with %d creates and %d deletes alongside; want at least 5 and traffic",
			len(destroyed), created.Load(), deleted.Load())
	}
	counts, err := r.drv.Reads().ConversationKeyEpochs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range counts {
		for _, e := range destroyed {
			if c.Epoch == e.ID {
				t.Errorf("%d keys left under destroyed epoch %d", c.Keys, e.ID)
			}
		}
	}
	t.Logf("%d epochs destroyed, %d creates and %d deletes during rotation", len(destroyed), created.Load(), deleted.Load())
}

// errCrash stops a pass between two batches, as kill -9 would.
var errCrash = errors.New("crash")

// TestRotationResumes stops a pass after a few batches (every batch is
// one transaction, so a kill leaves whole batches), then starts over in a
// new process: the remaining keys are re-wrapped, none is lost, and the
// old epoch is destroyed only once no key needs it.
func TestRotationResumes(t *testing.T) {
	r := newRotationRig(t)
	ctx := context.Background()
	for range 500 {
		if _, err := r.create(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rot := r.rotator()
	batches := 0
	rot.afterBatch = func(int) error {
		if batches++; batches == 3 {
			return errCrash
		}
		return nil
	}
	out, err := rot.pass(ctx, 0, time.Hour, true)
	if !errors.Is(err, errCrash) || out.Rewrapped != 150 {
		t.Fatalf("interrupted pass: %+v, %v; want 150 re-wrapped, then the crash", out, err)
	}
	counts, _ := r.drv.Reads().ConversationKeyEpochs(ctx)
	if len(counts) != 2 || counts[0] != (driver.EpochKeys{Epoch: 1, Keys: 350}) || counts[1] != (driver.EpochKeys{Epoch: 2, Keys: 150}) {
		t.Fatalf("after the crash: %+v, want 350 keys left under epoch 1 and 150 under 2", counts)
	}
	r.check(t, 0)

	// A new process, past the retention: the pass re-wraps what is left
	// before it destroys epoch 1.
	r.drv.Close()
	r.ring.Close()
	r.open(t)
	r.advance(2 * time.Hour)
	out, err = r.rotator().pass(ctx, 24*time.Hour, time.Hour, false)
	if err != nil {
		t.Fatal(err)
	}
	if out.Rotated || out.Rewrapped != 350 || len(out.Destroyed) != 1 || out.Destroyed[0].ID != 1 {
		t.Fatalf("resumed pass: %+v; want 350 re-wrapped and epoch 1 destroyed, no new epoch", out)
	}
	r.check(t, 2)
}

// TestRotationKeepsEpochInUse: an epoch due for destruction that still
// wraps a live key (a node that had not reloaded the keyring wrapped one
// under it) is kept, and destroyed once the key is re-wrapped.
func TestRotationKeepsEpochInUse(t *testing.T) {
	r := newRotationRig(t)
	ctx := context.Background()
	for range 10 {
		if _, err := r.create(ctx); err != nil {
			t.Fatal(err)
		}
	}
	rot := r.rotator()
	if _, err := rot.pass(ctx, 0, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	// A key wrapped under retired epoch 1 after the re-wrap.
	late := convstore.NewID()
	dek := seal.NewDEK()
	r.write(t, func(ctx context.Context, tx driver.Tx) error {
		now := r.now()
		if err := tx.ConversationInsert(ctx, &driver.ConversationRow{Conversation: convstore.Conversation{ID: late, TenantID: r.tenant, Seq: 7,
			CreatedAt: now, UpdatedAt: now}}); err != nil {
			return err
		}
		wrapped, err := r.ring.Wrap(1, dek, keyAADOf(r.tenant, late))
		if err != nil {
			return err
		}
		return tx.ConversationKeyInsert(ctx, &driver.ConversationKey{TenantID: r.tenant, ConversationID: late, Epoch: 1, Wrapped: wrapped, CreatedAt: now})
	})
	r.deks[late] = append([]byte(nil), dek.Bytes()...)
	r.advance(2 * time.Hour)
	d, blocked, err := rot.destroy(ctx, time.Hour)
	if err != nil || len(d) != 0 || blocked != 1 {
		t.Fatalf("destroy with a live key under epoch 1: destroyed %v, blocked %d, %v; want none destroyed, 1 blocked", d, blocked, err)
	}
	out, err := rot.pass(ctx, 0, time.Hour, false)
	if err != nil || out.Rewrapped != 1 || len(out.Destroyed) != 1 || out.Blocked != 0 {
		t.Fatalf("next pass: %+v, %v; want the late key re-wrapped and epoch 1 destroyed", out, err)
	}
	r.check(t, 2)
}

// TestRotationMarksReceipts: receipts of conversations deleted under an
// epoch get shredded_at when it is destroyed, and not before.
func TestRotationMarksReceipts(t *testing.T) {
	r := newRotationRig(t)
	ctx := context.Background()
	id, err := r.create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	receipt := &convstore.Deletion{ID: convstore.NewID(), TenantID: r.tenant, ConversationID: id, ConversationSeq: 1, CreatedAt: r.now()}
	r.write(t, func(ctx context.Context, tx driver.Tx) error {
		gone, err := tx.ConversationDelete(ctx, r.tenant, id)
		if err != nil {
			return err
		}
		receipt.KeyEpoch = gone.KeyEpoch
		return tx.DeletionInsert(ctx, receipt)
	})
	if receipt.KeyEpoch != 1 {
		t.Fatalf("receipt key epoch %d, want 1", receipt.KeyEpoch)
	}
	rot := r.rotator()
	if _, err := rot.pass(ctx, 0, time.Hour, true); err != nil {
		t.Fatal(err)
	}
	if d, _ := r.drv.Reads().DeletionGet(ctx, r.tenant, receipt.ID); d.ShreddedAt != nil {
		t.Fatalf("shredded at %v before its epoch was destroyed", d.ShreddedAt)
	}
	r.advance(2 * time.Hour)
	out, err := rot.pass(ctx, 0, time.Hour, false)
	if err != nil || len(out.Destroyed) != 1 || out.Shredded != 1 {
		t.Fatalf("pass past the retention: %+v, %v", out, err)
	}
	d, _ := r.drv.Reads().DeletionGet(ctx, r.tenant, receipt.ID)
	if d.ShreddedAt == nil || !d.ShreddedAt.Equal(out.Destroyed[0].Destroyed.Truncate(time.Microsecond)) {
		t.Fatalf("shredded_at %v, want the destruction time %v", d.ShreddedAt, out.Destroyed[0].Destroyed)
	}
}
