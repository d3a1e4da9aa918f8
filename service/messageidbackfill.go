package service

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Backfilling messages' external ids. Messages the Inkeep door stored
// before the store indexed client message ids (migration 0022) keep the
// client's id in metadata convstore.LegacyMessageExternalIDKey, sealed
// with the message; migration 0025 lists every conversation with messages
// as pending. BackfillMessageIDs recomputes each pending conversation's
// rows of message_external_ids from its messages (convstore.MessageExternalID),
// under the conversation's own index root, a batch of conversations per
// short transaction, each claimed and locked by the driver as the authors
// backfill claims them: a run stopped midway resumes with what is left.

// DefaultMessageIDsBackfillBatch is how many conversations one backfill
// transaction indexes: each opens every message of its conversation.
const DefaultMessageIDsBackfillBatch = 8

// messageIDsBackfill is the pass BackfillMessageIDs and
// RunMessageIDsBackfill run.
func (s *Service) messageIDsBackfill() pendingBackfill {
	return pendingBackfill{
		claim: func(ctx context.Context, tx driver.Tx, limit int) ([]driver.PendingAuthors, error) {
			return tx.MessageIDPendingClaim(ctx, limit)
		},
		fill:     s.backfillMessageIDs,
		doing:    "indexing message ids",
		name:     "message ids",
		start:    "indexing the client message ids of messages stored before they were indexed",
		finished: "every message's client id is indexed",
	}
}

// BackfillMessageIDs indexes the external ids of every pending
// conversation's messages, batch (0: DefaultMessageIDsBackfillBatch) per
// transaction, and returns how many conversations it did. each (optional)
// receives the count after every batch.
func (s *Service) BackfillMessageIDs(ctx context.Context, batch int, each func(done int)) (int, error) {
	return s.messageIDsBackfill().run(ctx, s, positive(batch, DefaultMessageIDsBackfillBatch), each)
}

// backfillMessageIDs indexes one claimed conversation's message ids under
// its index root, so its indexes stay under one root (a re-index after a
// rotation recomputes them with the same rule).
func (s *Service) backfillMessageIDs(ctx context.Context, tx driver.Tx, tenantID, convID convstore.ID) error {
	root, err := tx.ConversationIndexRoot(ctx, tenantID, convID)
	if err != nil {
		return err
	}
	k, err := s.z.indexKeyAt(tenantID, root)
	if err != nil {
		return err
	}
	msgs, err := s.allMessages(ctx, tx, tenantID, convID)
	if err != nil {
		return err
	}
	var rows []driver.MessageIndex
	for _, m := range msgs {
		if x := indexWith(k, messageExternalField, convstore.MessageExternalID(m.Metadata)); x != nil {
			rows = append(rows, driver.MessageIndex{ID: m.ID, ExternalIndex: x})
		}
	}
	return tx.MessageIDBackfill(ctx, tenantID, convID, rows)
}

// RunMessageIDsBackfill runs BackfillMessageIDs in the background of a
// running store, logging its progress every logEvery; nothing when no
// conversation is pending (after one statement). A store that stops
// midway resumes at its next start.
func (s *Service) RunMessageIDsBackfill(ctx context.Context, logEvery time.Duration) {
	s.messageIDsBackfill().runInBackground(ctx, s, DefaultMessageIDsBackfillBatch, logEvery)
}
