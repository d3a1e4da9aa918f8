package service

import (
	"context"
	"sync"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// keyUses records the keys' last uses in memory, for a background write
// of all of them at once (flushUses): authentication never writes. A key
// is recorded at most once per resolution, judged by the last use stored
// or written, so a busy key costs one row update per resolution, not one
// per request.
type keyUses struct {
	resolution time.Duration

	mu      sync.Mutex
	waiting map[convstore.ID]driver.KeyUse // not written yet, by key
	written map[convstore.ID]time.Time     // written within the last resolution
}

func newKeyUses(resolution time.Duration) *keyUses {
	return &keyUses{resolution: resolution, waiting: map[convstore.ID]driver.KeyUse{}, written: map[convstore.ID]time.Time{}}
}

// record notes k's use at now, unless its last use is recent enough.
func (u *keyUses) record(k *convstore.APIKey, now time.Time) {
	if k.LastUsedAt != nil && now.Sub(*k.LastUsedAt) < u.resolution {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if w, ok := u.written[k.ID]; ok && now.Sub(w) < u.resolution {
		return
	}
	if w, ok := u.waiting[k.ID]; ok && !now.After(w.At) {
		return
	}
	u.waiting[k.ID] = driver.KeyUse{TenantID: k.TenantID, KeyID: k.ID, At: now}
}

// pending returns the use of a key not written yet.
func (u *keyUses) pending(keyID convstore.ID) (time.Time, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	w, ok := u.waiting[keyID]
	return w.At, ok
}

// forget drops a revoked key's uses.
func (u *keyUses) forget(keyID convstore.ID) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.waiting, keyID)
	delete(u.written, keyID)
}

// take removes the waiting uses for writing, and forgets the written ones
// too old to matter.
func (u *keyUses) take(now time.Time) []driver.KeyUse {
	u.mu.Lock()
	defer u.mu.Unlock()
	for id, at := range u.written {
		if now.Sub(at) >= u.resolution {
			delete(u.written, id)
		}
	}
	out := make([]driver.KeyUse, 0, len(u.waiting))
	for _, w := range u.waiting {
		out = append(out, w)
	}
	clear(u.waiting)
	return out
}

// done marks uses written, or puts them back for the next flush.
func (u *keyUses) done(uses []driver.KeyUse, ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, w := range uses {
		if ok {
			u.written[w.KeyID] = w.At
		} else if cur, waiting := u.waiting[w.KeyID]; !waiting || cur.At.Before(w.At) {
			u.waiting[w.KeyID] = w
		}
	}
}

// FlushKeyUses writes the key uses recorded and not yet written, in one
// write. The background loop calls it every KeyUseResolution, and Close
// once more; tests call it instead of waiting.
func (s *Service) FlushKeyUses(ctx context.Context) error {
	uses := s.uses.take(s.now())
	if len(uses) == 0 {
		return nil
	}
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		return tx.KeyTouch(ctx, uses)
	})
	s.uses.done(uses, err == nil)
	return err
}

// flushUses runs FlushKeyUses every resolution until Close, and once more
// then.
func (s *Service) flushUses() {
	defer close(s.usesDone)
	t := time.NewTicker(s.uses.resolution)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
			if err := s.FlushKeyUses(ctx); err != nil {
				s.logger.Warn("recording the keys' last use failed; will retry", "error", err)
			}
			cancel()
		case <-s.stopUses:
			ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
			if err := s.FlushKeyUses(ctx); err != nil {
				s.logger.Warn("recording the keys' last use at close failed", "error", err)
			}
			cancel()
			return
		}
	}
}
