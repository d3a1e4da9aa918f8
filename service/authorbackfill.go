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

// authorsBackfill is the pass BackfillAuthors and RunAuthorsBackfill run.
func (s *Service) authorsBackfill() pendingBackfill {
	return pendingBackfill{
		claim: func(ctx context.Context, tx driver.Tx, limit int) ([]driver.PendingAuthors, error) {
			return tx.AuthorPendingClaim(ctx, limit)
		},
		fill:     s.backfillAuthors,
		doing:    "recording authors",
		name:     "authors",
		start:    "recording the authors of conversations stored before they were kept",
		finished: "every conversation's authors are recorded",
	}
}

// BackfillAuthors records the authors of every pending conversation, batch
// (0: DefaultAuthorsBackfillBatch) per transaction, and returns how many
// it recorded. each (optional) receives the count after every batch.
func (s *Service) BackfillAuthors(ctx context.Context, batch int, each func(done int)) (int, error) {
	return s.authorsBackfill().run(ctx, s, positive(batch, DefaultAuthorsBackfillBatch), each)
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
	s.authorsBackfill().runInBackground(ctx, s, DefaultAuthorsBackfillBatch, logEvery)
}
