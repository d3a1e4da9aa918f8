package service

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// pendingBackfill is a pass over the conversations a migration marked
// pending (the authors of 0016, the message ids of 0025): a batch of them
// per short transaction, each claimed and locked by the driver (SKIP LOCKED
// on PostgreSQL, so nodes share the work) and filled and unmarked in that
// transaction, so a pass stopped midway resumes with what is left.
type pendingBackfill struct {
	claim func(ctx context.Context, tx driver.Tx, limit int) ([]driver.PendingAuthors, error)
	fill  func(ctx context.Context, tx driver.Tx, tenantID, convID convstore.ID) error
	// The log's words: what the pass does ("recording authors"), what it
	// does it to, when it starts, and what is true when it is done.
	doing, name, start, finished string
}

// run fills every pending conversation, batch per transaction, and
// returns how many it filled. each (optional) receives the count after
// every batch.
func (b pendingBackfill) run(ctx context.Context, s *Service, batch int, each func(done int)) (int, error) {
	done := 0
	for {
		n := 0
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			n = 0
			todo, err := b.claim(ctx, tx, batch)
			if err != nil {
				return err
			}
			for _, c := range todo {
				if err := b.fill(ctx, tx, c.TenantID, c.ConversationID); err != nil {
					return err
				}
			}
			n = len(todo)
			return nil
		})
		if err != nil {
			return done, err
		}
		if n == 0 {
			return done, nil
		}
		done += n
		if each != nil {
			each(done)
		}
	}
}

// runInBackground runs the pass in the background of a running store,
// logging its progress every logEvery; nothing when no conversation is
// pending (after one statement). A store that stops midway resumes at its
// next start.
func (b pendingBackfill) runInBackground(ctx context.Context, s *Service, batch int, logEvery time.Duration) {
	started, last := false, time.Now()
	done, err := b.run(ctx, s, batch, func(done int) {
		if !started {
			started = true
			s.logger.Info(b.start)
		}
		if time.Since(last) >= logEvery {
			last = time.Now()
			s.logger.Info(b.doing, "conversations_done", done)
		}
	})
	switch {
	case err != nil && ctx.Err() != nil:
		s.logger.Info(b.name+" backfill stopped; it resumes at the next start", "conversations_done", done)
	case err != nil:
		s.logger.Error(b.name+" backfill failed; it resumes at the next start", "conversations_done", done, "error", err)
	case done > 0:
		s.logger.Info(b.name+" backfill done: "+b.finished, "conversations_done", done)
	}
}
