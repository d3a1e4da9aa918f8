package metrics

import (
	"context"
	"log/slog"
	"time"
)

// BlobSweeper is an engine that removes the blobs of its due blob-removal
// queue entries (both engines).
type BlobSweeper interface {
	SweepBlobs(ctx context.Context) (int, error)
}

// RunSweeper calls s.SweepBlobs every interval until ctx ends, as an
// engine's own RunSweeper does (for an engine whose sweeper reports
// nothing itself: Instrument hooks the service tier's), counting runs, failures and removals, and
// logging failures to logger.
func (m *Metrics) RunSweeper(ctx context.Context, s BlobSweeper, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Sweep(ctx, s, logger)
		}
	}
}

// countSweep counts one sweep that a store's own sweeper ran (see
// Instrument); the store logs it.
func (m *Metrics) countSweep(removed int, err error) {
	m.sweeps.Inc()
	m.blobsSwept.Add(float64(removed))
	if err != nil {
		m.sweepFailures.Inc()
	}
}

// Sweep runs one sweep and counts it.
func (m *Metrics) Sweep(ctx context.Context, s BlobSweeper, logger *slog.Logger) {
	n, err := s.SweepBlobs(ctx)
	if ctx.Err() != nil && err != nil {
		return // stopped, not failed
	}
	m.sweeps.Inc()
	m.blobsSwept.Add(float64(n))
	switch {
	case err != nil:
		m.sweepFailures.Inc()
		logger.Error("blob sweep failed", "error", err, "removed", n)
	case n > 0:
		logger.Info("swept blobs", "removed", n)
	}
}
