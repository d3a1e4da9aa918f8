package service

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Backfilling authors. Conversations stored before the author rows were
// kept (migration 0016) are pending: their authors are read from every
// message on each list. BackfillAuthors records them, a batch of
// conversations per short transaction, each claimed and locked by the
// driver (SKIP LOCKED on PostgreSQL, so nodes share the work), its rows
// written and its pending mark removed in the same transaction: a run
// stopped midway resumes with the conversations still pending.

// DefaultAuthorsBackfillBatch is how many conversations one backfill
// transaction records: each reads every message of its conversation, so
// a few keep the transaction short between other writes.
const DefaultAuthorsBackfillBatch = 8

// BackfillAuthors records the authors of every pending conversation, batch
// (0: DefaultAuthorsBackfillBatch) per transaction, and returns how many
// it recorded. each (optional) receives the count after every batch.
func (s *Service) BackfillAuthors(ctx context.Context, batch int, each func(done int)) (int, error) {
	batch = positive(batch, DefaultAuthorsBackfillBatch)
	done := 0
	for {
		n := 0
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			n = 0
			todo, err := tx.AuthorPendingClaim(ctx, batch)
			if err != nil {
				return err
			}
			for _, c := range todo {
				if err := s.backfillAuthors(ctx, tx, c.TenantID, c.ConversationID); err != nil {
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

// backfillAuthors records one claimed conversation's authors from its
// messages, replacing the rows its appends since the migration added
// (those know only the authors of their own messages).
func (s *Service) backfillAuthors(ctx context.Context, tx driver.Tx, tenantID, convID convstore.ID) error {
	rows, err := s.authorRowsFromMessages(ctx, tx, tenantID, convID)
	if err != nil {
		return err
	}
	return tx.AuthorBackfill(ctx, tenantID, convID, rows)
}

// RunAuthorsBackfill runs BackfillAuthors in the background of a running
// store, logging its progress every logEvery; nothing when no
// conversation is pending (after one statement). A store that stops
// midway resumes at its next start.
func (s *Service) RunAuthorsBackfill(ctx context.Context, logEvery time.Duration) {
	started, last := false, time.Now()
	done, err := s.BackfillAuthors(ctx, 0, func(done int) {
		if !started {
			started = true
			s.logger.Info("recording the authors of conversations stored before they were kept")
		}
		if time.Since(last) >= logEvery {
			last = time.Now()
			s.logger.Info("recording authors", "conversations_done", done)
		}
	})
	switch {
	case err != nil && ctx.Err() != nil:
		s.logger.Info("authors backfill stopped; it resumes at the next start", "conversations_done", done)
	case err != nil:
		s.logger.Error("authors backfill failed; it resumes at the next start", "conversations_done", done, "error", err)
	case done > 0:
		s.logger.Info("authors backfill done: every conversation's authors are recorded", "conversations_done", done)
	}
}
