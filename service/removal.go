package service

import (
	"context"
	"sync"

	"github.com/convstore/convstore/driver"
)

// Attachment bytes cannot share the database's transaction, so their
// removal is queued in the driver's blob-removal queue inside the
// transaction that makes them unreferenced, and carried out after the
// commit: promptly by a background worker (internal/removal), and by the
// sweeper for whatever that worker dropped, a crash interrupted or a
// failing blob store refused.

// removeLater hands blobs whose removal a committed transaction queued
// (due now) to the background worker, so the caller is answered without
// waiting for them. If the worker's queue is full, the sweeper removes
// them.
func (s *Service) removeLater(keys []string) {
	if !s.removals.Enqueue(keys) {
		s.logger.Info("background blob removal busy; left for the sweeper", "keys", len(keys))
	}
}

// WaitBlobRemovals purges the deleted conversations it can claim (see
// Purge: their attachments' bytes are queued as their records go), then
// returns once the blob removals that commits handed to the background
// before the call are done (or have failed and been left to the sweeper),
// or with ctx's error. Tests use it before they look at the blob store.
func (s *Service) WaitBlobRemovals(ctx context.Context) error {
	if _, err := s.Purge(ctx); err != nil {
		return err
	}
	return s.removals.Wait(ctx)
}

// removeBlobs is the background worker's job: it removes the blobs of
// keys, whose removal a committed transaction queued (due now), then
// drops the queue entries of those removed. The blobs are removed outside
// any transaction: a slow blob store must not hold a write (on SQLite,
// the only writer) meanwhile, and the keys are unreferenced for good, so
// removing one twice (a sweeper on another node) is harmless. A blob that
// cannot be removed stays queued, due, for the sweeper.
func (s *Service) removeBlobs(ctx context.Context, keys []string) {
	ctx, cancel := context.WithTimeout(ctx, removalTimeout)
	defer cancel()
	done, _ := s.deleteBlobs(ctx, keys)
	if len(done) > 0 {
		s.forgetRemovals(ctx, done)
	}
}

// deleteBlobs removes blobs, logging failures, and returns the keys done
// and those that failed.
func (s *Service) deleteBlobs(ctx context.Context, keys []string) (done, failed []string) {
	for _, k := range keys {
		if err := s.blobs.Delete(ctx, k); err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("blob removal failed; left for the sweeper", "blob_key", k, "error", err)
			}
			failed = append(failed, k)
			continue
		}
		done = append(done, k)
	}
	return done, failed
}

// forgetRemovals deletes the queue entries of blobs already removed. If
// that fails, the sweeper removes the (missing) blobs again, harmlessly.
func (s *Service) forgetRemovals(ctx context.Context, keys []string) {
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.BlobRemovalForget(ctx, keys)
		return err
	})
	if err != nil && ctx.Err() == nil {
		s.logger.Warn("clearing blob removals failed; left for the sweeper", "keys", len(keys), "error", err)
	}
}

// SweepBlobs removes the blob of every queued removal that is due and
// drops its queue entry, returning how many blobs it removed. It repairs a
// crash between a delete's commit and its blob removal, and uploads
// abandoned midway.
//
// Each batch is claimed in a write transaction that holds the claim while
// it removes the blobs: two nodes never remove one blob twice, a node that
// dies mid-sweep leaves its batch to the next, and an upload whose intent
// has just come due and that is committing its record either commits
// first (the intent is gone) or finds its intent gone and fails instead of
// pointing at removed bytes. A blob that cannot be removed is tried again
// after retryDelay.
func (s *Service) SweepBlobs(ctx context.Context) (int, error) {
	s.abandoned.retry(ctx, s)
	total := 0
	for {
		claimed, removed := 0, 0
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			now := s.now()
			keys, err := tx.BlobRemovalClaimDue(ctx, now, s.sweepBatch)
			if err != nil {
				return err
			}
			claimed = len(keys)
			done, failed := s.deleteBlobs(ctx, keys)
			removed = len(done)
			if _, err := tx.BlobRemovalForget(ctx, done); err != nil {
				return err
			}
			return tx.BlobRemovalReschedule(ctx, failed, now.Add(retryDelay))
		})
		if err != nil {
			return total, err
		}
		total += removed
		if claimed < s.sweepBatch {
			return total, nil
		}
	}
}

// SweepOrphans removes every blob that no attachment refers to and no
// queued removal covers, returning how many it removed: a second line of
// defence against bugs and hand-edited databases, since the queue makes
// such blobs impossible. It is safe while uploads run: an upload's intent
// commits before its blob is written. A blob that cannot be removed is
// logged and skipped; only listing the store or querying fails it.
func (s *Service) SweepOrphans(ctx context.Context) (int, error) {
	var keys []string
	if err := s.blobs.Keys(ctx, func(k string) error { keys = append(keys, k); return nil }); err != nil {
		return 0, err
	}
	removed := 0
	for len(keys) > 0 {
		batch := keys[:min(len(keys), s.sweepBatch)]
		keys = keys[len(batch):]
		found, err := s.drv.Reads().BlobKeysKnown(ctx, batch)
		if err != nil {
			return removed, err
		}
		known := make(map[string]bool, len(found))
		for _, k := range found {
			known[k] = true
		}
		for _, k := range batch {
			if known[k] {
				continue
			}
			if err := s.blobs.Delete(ctx, k); err != nil {
				s.logger.Warn("removing an orphaned blob failed", "blob_key", k, "error", err)
				continue
			}
			s.logger.Warn("removed an orphaned blob", "blob_key", k)
			removed++
		}
	}
	return removed, nil
}

// BlobRemovalQueue returns how many blob removals are queued and how many
// of them are due now (a due count that stays up means removals keep
// failing). It only reads, for metrics.
func (s *Service) BlobRemovalQueue(ctx context.Context) (due, total int64, err error) {
	return s.drv.Reads().BlobRemovalStats(ctx, s.now())
}

// abandonedUploads are the keys of failed uploads whose removal could not
// be queued (the database was unreachable); each sweep tries again.
type abandonedUploads struct {
	mu   sync.Mutex
	keys map[string]bool
}

func (a *abandonedUploads) add(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.keys == nil {
		a.keys = map[string]bool{}
	}
	a.keys[key] = true
}

// retry queues the removals again; those queued leave the set (the sweep
// that follows removes their bytes).
func (a *abandonedUploads) retry(ctx context.Context, s *Service) {
	a.mu.Lock()
	keys := make([]string, 0, len(a.keys))
	for k := range a.keys {
		keys = append(keys, k)
	}
	a.mu.Unlock()
	for _, k := range keys {
		if err := s.queueNow(ctx, k); err != nil {
			return // still unreachable: the next sweep tries again
		}
		a.mu.Lock()
		delete(a.keys, k)
		a.mu.Unlock()
	}
}
