package service

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// FindMessageByID returns one message; a zero conversationID finds it in
// any of the tenant's conversations.
func (s *Service) FindMessageByID(ctx context.Context, tenantID, conversationID, id convstore.ID) (*convstore.Message, error) {
	r := s.drv.Reads()
	row, err := r.MessageGet(ctx, tenantID, conversationID, id)
	if err != nil {
		return nil, err
	}
	return openMessage(s.z.opener(ctx, r, tenantID, row.ConversationID), row)
}

// FindMessageByExternalID returns the tenant's newest message whose
// external id (convstore.MessageExternalID) is externalID, looked up under
// every live index root (a re-index may not have reached it).
func (s *Service) FindMessageByExternalID(ctx context.Context, tenantID convstore.ID, externalID string) (*convstore.Message, error) {
	idxs, err := s.z.indexes(tenantID, messageExternalField, externalID)
	if err != nil {
		return nil, err
	}
	r := s.drv.Reads()
	for _, idx := range idxs {
		row, err := r.MessageGetByExternalIndex(ctx, tenantID, idx)
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		return openMessage(s.z.opener(ctx, r, tenantID, row.ConversationID), row)
	}
	return nil, convstore.NotFound("message")
}

// messageExternalField is the blind-index field of messages' external ids.
const messageExternalField = "message_external_id"

// messageRows seals new messages into rows with the blind indexes of
// their external ids, under the current root; indexed reports whether
// any has one.
func (s *Service) messageRows(tenantID convstore.ID, b box, msgs []*convstore.Message) (rows []*driver.MessageRow, indexed bool, err error) {
	rows = messageRows(b, msgs)
	for i, m := range msgs {
		if rows[i].ExternalIndex, err = s.z.index(tenantID, messageExternalField, convstore.MessageExternalID(m.Metadata)); err != nil {
			return nil, false, err
		}
		indexed = indexed || rows[i].ExternalIndex != nil
	}
	return rows, indexed, nil
}

// FindMessages returns a page of the conversation's messages, oldest first
// by default. ENOTFOUND if the conversation is missing.
func (s *Service) FindMessages(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.MessageFilter) ([]*convstore.Message, bool, error) {
	if err := f.Normalize(convstore.OrderAsc); err != nil {
		return nil, false, err
	}
	var list []*convstore.Message
	var more bool
	err := s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		rows, err := r.MessageList(ctx, &driver.MessageListParams{TenantID: tenantID, ConversationID: conversationID, Page: pageOf(f.PageFilter, 0)})
		if err == nil && len(rows) == 0 {
			err = conversationExists(ctx, r, tenantID, conversationID)
		}
		if err != nil {
			return err
		}
		rows, more = trim(rows, f.Limit)
		list, err = s.z.openMessages(ctx, r, tenantID, rows)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return list, more, nil
}

// conversationExists returns ENOTFOUND unless the conversation exists.
// Lists call it only when their page is empty: in one snapshot, a page
// with rows proves the conversation exists.
func conversationExists(ctx context.Context, r driver.Reader, tenantID, id convstore.ID) error {
	_, err := r.ConversationGetByID(ctx, tenantID, id)
	return err
}

// CreateMessages appends a batch atomically. The message count is bumped
// first, which locks the conversation's row (a concurrent delete either
// commits before, and this is ENOTFOUND, or waits and deletes the batch
// with it), and the new count is checked against the cap in the same
// transaction, which rolls back with nothing written when it is over.
func (s *Service) CreateMessages(ctx context.Context, tenantID, conversationID convstore.ID, batch []*convstore.MessageCreate) ([]*convstore.Message, error) {
	if err := convstore.ValidateMessageBatch("messages", batch, true); err != nil {
		return nil, err
	}
	var msgs []*convstore.Message
	err := s.drv.Write(ctx, driver.OnConversation(tenantID, conversationID), func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		count, err := tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{
			TenantID: tenantID, ID: conversationID, Delta: len(batch), UpdatedAt: now})
		if err != nil {
			return err
		}
		if count > s.maxMessages {
			return convstore.MessageCapError(s.maxMessages)
		}
		dek, err := s.z.keyFor(ctx, tx, tenantID, conversationID, now)
		if err != nil {
			return err
		}
		msgs = s.newMessages(conversationID, batch, now)
		b := s.z.box(dek, tenantID, conversationID)
		root := s.z.currentRoot() // before indexing: never newer than the indexes
		rows, indexed, err := s.messageRows(tenantID, b, msgs)
		if err != nil {
			return err
		}
		if err := tx.MessageInsertMany(ctx, &driver.MessageInsertManyParams{TenantID: tenantID, ConversationID: conversationID,
			Messages: rows}); err != nil {
			return err
		}
		if indexed {
			if err := s.z.recordRoot(ctx, tx, tenantID, conversationID, root, true); err != nil {
				return err
			}
		}
		return s.addAuthors(ctx, tx, b, tenantID, conversationID, msgs, false)
	})
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

// newMessages builds a validated batch's messages, drawing their ids in
// batch order, so the ids order the batch.
func (s *Service) newMessages(conversationID convstore.ID, batch []*convstore.MessageCreate, now time.Time) []*convstore.Message {
	out := make([]*convstore.Message, len(batch))
	for i, c := range batch {
		out[i] = &convstore.Message{
			ID:             s.newID(),
			ConversationID: conversationID,
			Role:           c.Role,
			Content:        c.Content,
			Parts:          copyJSON(c.Parts),
			AuthorName:     c.AuthorName,
			StartOffset:    copyDuration(c.StartOffset),
			EndOffset:      copyDuration(c.EndOffset),
			Metadata:       copyMeta(c.Metadata),
			CreatedAt:      now,
		}
	}
	return out
}

// DeleteMessage permanently deletes one message, lowers the message count
// and writes an AuditEntry, in one transaction. The count is lowered first
// (locking the row as an append does); if the message turns out to be
// missing, the transaction rolls back with it.
func (s *Service) DeleteMessage(ctx context.Context, tenantID, conversationID, id convstore.ID, p convstore.DeleteParams) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.writeEvents(ctx, driver.OnConversation(tenantID, conversationID), func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		// The bump locks the row, before the hold check (see
		// DeleteConversation); a refusal rolls it back.
		_, err := tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{
			TenantID: tenantID, ID: conversationID, Delta: -1, UpdatedAt: now})
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return convstore.NotFound("message")
		} else if err != nil {
			return err
		}
		if err := s.refuseHeld(ctx, tx, tenantID, conversationID); err != nil {
			return err
		}
		if err := tx.MessageDelete(ctx, tenantID, conversationID, id); err != nil {
			return err
		}
		if err := s.messageDeleted(ctx, tx, tenantID, conversationID, id); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditMessageDelete, conversationID, id, p); err != nil {
			return err
		}
		return s.emit(ctx, tx, now, itemDeleted(convstore.EventMessageDeleted, tenantID, conversationID,
			id.Format(convstore.PrefixMessage), 0, p, now))
	})
}

// UpdateMessage changes the set fields of one message in one transaction:
// it locks the conversation as a delete of the message does, refuses a
// held conversation, opens the message, applies the update and seals it
// again under the conversation's data key. The message keeps its id,
// role, author and creation time; the conversation's UpdatedAt is not
// moved, as no message is added or removed.
func (s *Service) UpdateMessage(ctx context.Context, tenantID, conversationID, id convstore.ID, u *convstore.MessageUpdate) (*convstore.Message, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	var out *convstore.Message
	err := s.drv.Write(ctx, driver.OnConversation(tenantID, conversationID), func(ctx context.Context, tx driver.Tx) error {
		if err := tx.ConversationLock(ctx, tenantID, conversationID, driver.LockUpdate, "message"); err != nil {
			return err
		}
		if err := s.refuseHeld(ctx, tx, tenantID, conversationID); err != nil {
			return err
		}
		row, err := tx.MessageGet(ctx, tenantID, conversationID, id)
		if err != nil {
			return err
		}
		msgs, err := s.z.openMessages(ctx, tx, tenantID, []*driver.MessageRow{row})
		if err != nil {
			return err
		}
		m := msgs[0]
		if u.Content != nil {
			m.Content = *u.Content
		}
		if u.Parts != nil {
			m.Parts = copyJSON(*u.Parts)
		}
		if u.Metadata != nil {
			m.Metadata = copyMeta(*u.Metadata)
		}
		if m.Content == "" && len(m.Parts) == 0 {
			return convstore.Invalidf("content", "a message needs content or parts")
		}
		dek, err := s.z.keyFor(ctx, tx, tenantID, conversationID, s.now())
		if err != nil {
			return err
		}
		out = m
		return tx.MessageReseal(ctx, tenantID, conversationID, messageRows(s.z.box(dek, tenantID, conversationID), []*convstore.Message{m}))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
