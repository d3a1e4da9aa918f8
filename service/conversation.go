package service

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/seal"
)

// FindConversationByID returns a conversation. ENOTFOUND if missing.
func (s *Service) FindConversationByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Conversation, error) {
	r := s.drv.Reads()
	row, err := r.ConversationGetByID(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return s.z.openConversation(ctx, r, row)
}

// FindConversationBySeq returns a conversation by sequence number.
func (s *Service) FindConversationBySeq(ctx context.Context, tenantID convstore.ID, seq int64) (*convstore.Conversation, error) {
	r := s.drv.Reads()
	row, err := r.ConversationGetBySeq(ctx, tenantID, seq)
	if err != nil {
		return nil, err
	}
	return s.z.openConversation(ctx, r, row)
}

// FindConversationByExternalID returns the conversation created with that
// external id (found by its blind index); ENOTFOUND for "".
func (s *Service) FindConversationByExternalID(ctx context.Context, tenantID convstore.ID, externalID string) (*convstore.Conversation, error) {
	if externalID == "" {
		return nil, convstore.NotFound("conversation")
	}
	// Under every live index root: a re-index may not have reached it.
	idxs, err := s.z.indexes(tenantID, "external_id", externalID)
	if err != nil {
		return nil, err
	}
	r := s.drv.Reads()
	for _, idx := range idxs {
		row, err := r.ConversationGetByExternalID(ctx, tenantID, idx, externalID)
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		return s.z.openConversation(ctx, r, row)
	}
	return nil, convstore.NotFound("conversation")
}

// listParams are the driver's parameters of a filter: the user id and
// metadata pairs as blind indexes.
func (s *Service) listParams(tenantID convstore.ID, f *convstore.ConversationFilter) (*driver.ConversationListParams, error) {
	p := &driver.ConversationListParams{TenantID: tenantID, Filter: f, Now: s.now()}
	var err error
	if p.UserIndex, err = s.z.index(tenantID, "user_id", f.UserID); err != nil {
		return nil, err
	}
	pairs, err := s.z.metaIndex(tenantID, f.Metadata)
	if err != nil {
		return nil, err
	}
	for _, m := range pairs {
		p.MetaPairs = append(p.MetaPairs, m.Pair)
	}
	// While a re-index runs, also under the older live roots.
	older, err := s.z.olderKeys(tenantID)
	if err != nil || len(older) == 0 {
		return p, err
	}
	if f.UserID != "" {
		for _, k := range older {
			p.UserIndexAlts = append(p.UserIndexAlts, k.Index("user_id", f.UserID))
		}
	}
	if len(f.Metadata) > 0 {
		// Alternatives pair by pair, in the order of p.MetaPairs.
		p.MetaPairAlts = make([][][]byte, len(pairs))
		for _, k := range older {
			for i, m := range metaIndexWith(k, f.Metadata) {
				p.MetaPairAlts[i] = append(p.MetaPairAlts[i], m.Pair)
			}
		}
	}
	return p, nil
}

// CountConversations counts the conversations the filter selects.
func (s *Service) CountConversations(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter) (int, error) {
	if err := f.ValidateCount(); err != nil {
		return 0, err
	}
	p, err := s.listParams(tenantID, &f)
	if err != nil {
		return 0, err
	}
	return s.drv.Reads().ConversationCount(ctx, p)
}

// FindConversations returns a page of conversations, newest first by
// default.
func (s *Service) FindConversations(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter) ([]*convstore.Conversation, bool, error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	p, err := s.listParams(tenantID, &f)
	if err != nil {
		return nil, false, err
	}
	p.Page = pageOf(f.PageFilter, f.Offset)
	r := s.drv.Reads()
	rows, err := r.ConversationList(ctx, p)
	if err != nil {
		return nil, false, err
	}
	rows, more := trim(rows, f.Limit)
	list, err := s.z.openConversations(ctx, r, rows)
	if err != nil {
		return nil, false, err
	}
	return list, more, nil
}

// CreateConversation creates a conversation with its initial messages in
// one transaction. ENOTFOUND if the tenant does not exist.
func (s *Service) CreateConversation(ctx context.Context, tenantID convstore.ID, c *convstore.ConversationCreate) (*convstore.Conversation, []*convstore.Message, error) {
	if c == nil {
		return nil, nil, convstore.Invalidf("body", "conversation is missing")
	}
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	if len(c.Messages) > s.maxMessages {
		return nil, nil, convstore.MessageCapError(s.maxMessages)
	}
	var conv *convstore.Conversation
	var msgs []*convstore.Message
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		conv = &convstore.Conversation{
			TenantID:     tenantID,
			AgentID:      c.AgentID,
			UserID:       c.UserID,
			ExternalID:   c.ExternalID,
			Door:         cmp.Or(c.Door, convstore.DoorUnknown),
			Title:        c.Title,
			Metadata:     copyMeta(c.Metadata),
			MessageCount: len(c.Messages),
			CreatedAt:    now,
			UpdatedAt:    now,
		}
		// Sequence numbers are unique across tenants: a collision (same
		// millisecond, same 21 random bits) is rare, not impossible, and
		// draws a fresh id.
		// The external id is unique per tenant: its blind index is, in
		// the schema; a conversation made before sealing holds it in
		// plaintext, which the index does not cover, so it is looked up
		// here first, and again after a conflict the index did not name.
		// While a re-index runs, the id may be held under an older live
		// root, which the schema's index does not compare with the
		// current one: it is looked up under each, the oldest first (a
		// row the re-index moves meanwhile is then found under the newer
		// root, or its move conflicts with this insert in the index).
		root := s.z.currentRoot() // before indexing: never newer than the indexes
		externalTaken := func() error {
			if c.ExternalID == "" {
				return nil
			}
			idxs, err := s.z.indexes(tenantID, "external_id", c.ExternalID)
			if err != nil {
				return err
			}
			for i := len(idxs) - 1; i >= 0; i-- {
				_, err = tx.ConversationGetByExternalID(ctx, tenantID, idxs[i], c.ExternalID)
				if err == nil {
					return driver.ErrExternalIDTaken()
				} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
					return err
				}
			}
			// After the live conversations: a delete committing between
			// the two reads is seen by the second, as its tombstone.
			if c.ReuseDeletedExternalID {
				return nil
			}
			return buried(ctx, tx, tenantID, idxs, now)
		}
		if err := externalTaken(); err != nil {
			return err
		}
		var dek *seal.DEK // the conversation's data key; nil when sealing is off
		if s.z.ring != nil {
			dek = seal.NewDEK()
		}
		for attempt := 1; ; attempt++ {
			conv.ID = s.newID()
			conv.Seq = convstore.NewSeq(conv.ID)
			// Content is sealed for its row: a fresh id seals again.
			row, err := s.z.conversationRow(s.z.box(dek, tenantID, conv.ID), conv)
			if err != nil {
				return err
			}
			err = tx.ConversationInsert(ctx, row)
			if err == nil {
				break
			}
			if !errors.Is(err, driver.ErrSeqTaken) {
				return err
			}
			if err := externalTaken(); err != nil {
				return err
			}
			if attempt == seqAttempts {
				return convstore.Errorf(convstore.ECONFLICT, "no free conversation number was found, try again")
			}
		}
		if err := s.z.storeKey(ctx, tx, tenantID, conv.ID, dek, now); err != nil {
			return err
		}
		if err := s.z.recordRoot(ctx, tx, tenantID, conv.ID, root, false); err != nil {
			return err
		}
		msgs = s.newMessages(conv.ID, c.Messages, now)
		if len(msgs) == 0 {
			return nil
		}
		b := s.z.box(dek, tenantID, conv.ID)
		rows, _, err := s.messageRows(tenantID, b, msgs)
		if err != nil {
			return err
		}
		if err := tx.MessageInsertMany(ctx, &driver.MessageInsertManyParams{TenantID: tenantID, ConversationID: conv.ID,
			Messages: rows}); err != nil {
			return err
		}
		return s.addAuthors(ctx, tx, b, tenantID, conv.ID, msgs, true)
	})
	if err != nil {
		return nil, nil, err
	}
	return conv, msgs, nil
}

// UpdateConversation changes the set fields and UpdatedAt.
func (s *Service) UpdateConversation(ctx context.Context, tenantID, id convstore.ID, u *convstore.ConversationUpdate) (*convstore.Conversation, error) {
	if u == nil {
		return nil, convstore.Invalidf("body", "update is missing")
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	var conv *convstore.Conversation
	err := s.drv.Write(ctx, driver.OnConversation(tenantID, id), func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		p := &driver.ConversationUpdateParams{TenantID: tenantID, ID: id, AgentID: u.AgentID, UpdatedAt: now}
		root := s.z.currentRoot() // before indexing: never newer than the indexes
		if u.UserID != nil || u.Title != nil || u.Metadata != nil {
			// Lock the row first: a missing conversation is ENOTFOUND
			// before a data key is made for it.
			if err := tx.ConversationLock(ctx, tenantID, id, driver.LockUpdate, "conversation"); err != nil {
				return err
			}
			dek, err := s.z.keyFor(ctx, tx, tenantID, id, now)
			if err != nil {
				return err
			}
			b := s.z.box(dek, tenantID, id)
			if u.UserID != nil {
				user := b.str(tConversations, "user_id", id, *u.UserID)
				p.UserID = &user
				if p.UserIndex, err = s.z.index(tenantID, "user_id", *u.UserID); err != nil {
					return err
				}
			}
			if u.Title != nil {
				title := b.str(tConversations, "title", id, *u.Title)
				p.Title = &title
			}
			if u.Metadata != nil {
				meta := b.meta(tConversations, id, *u.Metadata)
				p.Meta = &meta
				if p.MetaIndex, err = s.z.metaIndex(tenantID, *u.Metadata); err != nil {
					return err
				}
			}
		}
		row, err := tx.ConversationUpdate(ctx, p)
		if err != nil {
			return err
		}
		if u.UserID != nil || u.Metadata != nil {
			if err := s.z.recordRoot(ctx, tx, tenantID, id, root, true); err != nil {
				return err
			}
		}
		conv, err = s.z.openConversation(ctx, tx, row)
		return err
	})
	if err != nil {
		return nil, err
	}
	return conv, nil
}

// DeleteConversation permanently deletes a conversation with everything in
// it, in time that does not grow with it. One short write transaction
// destroys its data key, hides it from every read (the driver marks it
// deleted and counts what it holds under a lock that excludes every other
// write to it), and writes the receipt, the audit entry and a purge job.
// The call returns once that has committed durably; the purger then
// removes its rows and queues its attachments' bytes in bounded batches in
// the background, and stamps the receipt's PurgedAt when done.
func (s *Service) DeleteConversation(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Deletion, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var d *convstore.Deletion
	var keys []string
	err := s.writeEvents(ctx, driver.OnConversation(tenantID, id), func(ctx context.Context, tx driver.Tx) error {
		// The row lock before the hold check: a hold placed on the
		// conversation meanwhile (its create locks the row) is either
		// committed and seen, or waits for this delete.
		if err := tx.ConversationLock(ctx, tenantID, id, driver.LockUpdate, "conversation"); err != nil {
			return err
		}
		if err := s.refuseHeld(ctx, tx, tenantID, id); err != nil {
			return err
		}
		now := s.now()
		// The tombstone first: it reads the row the delete removes.
		if err := s.bury(ctx, tx, tenantID, id, now); err != nil {
			return err
		}
		// Under a restore window (never for an erasure job, an explicit
		// erasure) the key stays until the window ends; otherwise the
		// driver deletes it with the conversation: from this commit on,
		// nothing can open what is left of it anywhere.
		var until *time.Time
		if p.ErasureID.IsZero() {
			days, err := tx.RestoreWindowGet(ctx, tenantID)
			if err != nil {
				return err
			}
			if days > 0 {
				t := now.AddDate(0, 0, days)
				until = &t
			}
		}
		var gone *driver.ConversationDeleted
		var err error
		if until != nil {
			gone, err = tx.ConversationHide(ctx, tenantID, id)
		} else {
			gone, err = tx.ConversationDelete(ctx, tenantID, id)
		}
		if err != nil {
			return err
		}
		s.z.forget(tenantID, id)
		keys = gone.BlobKeys
		if len(keys) > 0 {
			if err := tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: keys, DueAt: now, Now: now}); err != nil {
				return err
			}
		}
		d = &convstore.Deletion{
			ID:              s.newID(),
			TenantID:        tenantID,
			ConversationID:  id,
			ConversationSeq: gone.Seq,
			ActorKeyID:      p.ActorKeyID,
			Door:            p.Door,
			RequestID:       p.RequestID,
			ClientRequestID: p.ClientRequestID,
			Messages:        gone.Messages,
			Artifacts:       gone.Artifacts,
			Attachments:     gone.Attachments,
			AttachmentBytes: gone.AttachmentBytes,
			CreatedAt:       now,
			KeyEpoch:        gone.KeyEpoch,
			Policy:          p.Policy,
			ErasureID:       p.ErasureID,
			RestorableUntil: until,
		}
		if err := tx.DeletionInsert(ctx, d); err != nil {
			return err
		}
		// One confirmation per processor the tenant has now, due after
		// its deadline, committed with the delete itself.
		if d.Confirmations, err = tx.ConfirmationInsertAll(ctx, d); err != nil {
			return err
		}
		job := &driver.PurgeJob{TenantID: tenantID, ConversationID: id, DeletionID: d.ID, CreatedAt: now}
		if until != nil {
			job.DueAt = *until
		}
		if err := tx.PurgeJobInsert(ctx, job); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditConversationDelete, id, d.ID, p); err != nil {
			return err
		}
		return s.emit(ctx, tx, now, conversationDeleted(d))
	})
	if err != nil {
		return nil, err
	}
	s.removeLater(keys)
	s.purge.wake()
	s.stateConfirmations(d, d.CreatedAt)
	return d, nil
}
