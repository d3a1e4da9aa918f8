package service

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/convstore/convstore/driver"
)

// RunSweeper sweeps every interval until ctx ends: due blob removals
// (SweepBlobs), expired access tokens (SweepAccessTokens), tombstones
// (SweepTombstones), Idempotency-Keys (SweepIdempotencyKeys) and events
// past their retention (SweepEvents, after numbering the new ones:
// NumberEvents), overdue confirmations (SweepConfirmations), and every
// Options.OrphanSweepInterval blobs nothing refers to (SweepOrphans). A
// sealed store also rotates its keys meanwhile (Options.KeyEpoch: a new
// epoch when due, data keys re-wrapped, retired epochs destroyed). It
// also purges the rows of deleted conversations (see Purge), and runs
// erasure jobs (RunErasures), every interval and at once when one is
// created on this node. It logs failures and tries again at the next
// interval. A server runs it for the life of the store, on every node.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration) {
	erasuresDone := make(chan struct{})
	go func() {
		defer close(erasuresDone)
		s.runErasureLoop(ctx, interval)
	}()
	defer func() { <-erasuresDone }()
	if s.rot != nil && s.rot.every > 0 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.rot.run(ctx)
		}()
		defer func() { <-done }()
	}
	if s.purge.interval > 0 {
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.runPurger(ctx)
		}()
		defer func() { <-done }()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	lastOrphans := s.now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.SweepBlobs(ctx)
		if ctx.Err() != nil {
			return // stopped, not failed
		}
		s.sweeps.report(n, err)
		if err != nil {
			s.logger.Error("blob sweep failed", "error", err, "removed", n)
		} else if n > 0 {
			s.logger.Info("swept blobs", "removed", n)
		}
		if n, err := s.SweepAccessTokens(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("access token sweep failed", "error", err)
		} else if n > 0 {
			s.logger.Debug("swept expired access tokens", "removed", n)
		}
		if n, err := s.SweepTombstones(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("tombstone sweep failed", "error", err)
		} else if n > 0 {
			s.logger.Debug("swept expired tombstones", "removed", n)
		}
		if n, err := s.SweepIdempotencyKeys(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("idempotency key sweep failed", "error", err)
		} else if n > 0 {
			s.logger.Debug("swept expired idempotency keys", "removed", n)
		}
		// Before numbering: the overdue events it emits are numbered in
		// this same round.
		if n, err := s.SweepConfirmations(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("confirmation sweep failed", "error", err)
		} else if n > 0 {
			s.logger.Info("marked confirmations overdue", "overdue", n)
		}
		if _, err := s.NumberEvents(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("numbering events failed", "error", err)
		}
		if n, err := s.SweepEvents(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("event sweep failed", "error", err)
		} else if n > 0 {
			s.logger.Debug("pruned events past their retention", "removed", n)
		}
		if n, err := s.SweepWebhookDeliveries(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("webhook delivery log sweep failed", "error", err)
		} else if n > 0 {
			s.logger.Debug("pruned finished webhook deliveries past the event retention", "removed", n)
		}
		if now := s.now(); s.orphanInterval > 0 && now.Sub(lastOrphans) >= s.orphanInterval {
			lastOrphans = now
			if _, err := s.SweepOrphans(ctx); err != nil && ctx.Err() == nil {
				s.logger.Error("orphan sweep failed", "error", err)
			}
		}
	}
}

// SweepAccessTokens deletes every expired access token, returning how
// many. Expired tokens are refused whether or not they have been swept.
func (s *Service) SweepAccessTokens(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			var err error
			n, err = tx.AccessTokenDeleteExpired(ctx, s.now(), tokenSweep)
			return err
		})
		total += n
		if err != nil || n < tokenSweep {
			return total, err
		}
	}
}

// ObserveBlobSweeps makes fn receive the outcome of every blob sweep
// RunSweeper runs (how many blobs it removed, and its error), for metrics.
// fn must be fast; nil stops the reports.
func (s *Service) ObserveBlobSweeps(fn func(removed int, err error)) {
	if fn == nil {
		s.sweeps.fn.Store(nil)
		return
	}
	s.sweeps.fn.Store(&fn)
}

// sweepHook holds the ObserveBlobSweeps function.
type sweepHook struct {
	fn atomic.Pointer[func(int, error)]
}

func (h *sweepHook) report(n int, err error) {
	if fn := h.fn.Load(); fn != nil {
		(*fn)(n, err)
	}
}
