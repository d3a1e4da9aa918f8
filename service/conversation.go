package service

import (
	"context"
	"errors"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// FindConversationByID returns a conversation. ENOTFOUND if missing.
func (s *Service) FindConversationByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Conversation, error) {
	return s.drv.Reads().ConversationGetByID(ctx, tenantID, id)
}

// FindConversationBySeq returns a conversation by sequence number.
func (s *Service) FindConversationBySeq(ctx context.Context, tenantID convstore.ID, seq int64) (*convstore.Conversation, error) {
	return s.drv.Reads().ConversationGetBySeq(ctx, tenantID, seq)
}

// FindConversationByExternalID returns the conversation created with that
// external id; ENOTFOUND for "".
func (s *Service) FindConversationByExternalID(ctx context.Context, tenantID convstore.ID, externalID string) (*convstore.Conversation, error) {
	if externalID == "" {
		return nil, convstore.NotFound("conversation")
	}
	return s.drv.Reads().ConversationGetByExternalID(ctx, tenantID, externalID)
}

// CountConversations counts the conversations the filter selects.
func (s *Service) CountConversations(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter) (int, error) {
	if err := f.ValidateCount(); err != nil {
		return 0, err
	}
	return s.drv.Reads().ConversationCount(ctx, tenantID, &f)
}

// FindConversations returns a page of conversations, newest first by
// default.
func (s *Service) FindConversations(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter) ([]*convstore.Conversation, bool, error) {
	if err := f.Validate(); err != nil {
		return nil, false, err
	}
	list, err := s.drv.Reads().ConversationList(ctx, &driver.ConversationListParams{
		TenantID: tenantID, Filter: &f, Page: pageOf(f.PageFilter, f.Offset)})
	if err != nil {
		return nil, false, err
	}
	list, more := trim(list, f.Limit)
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
			Title:        c.Title,
			Metadata:     copyMeta(c.Metadata),
			MessageCount: len(c.Messages),
			CreatedAt:    now,
			UpdatedAt:    now,
		}
		// Sequence numbers are unique across tenants: a collision (same
		// millisecond, same 21 random bits) is rare, not impossible, and
		// draws a fresh id.
		for attempt := 1; ; attempt++ {
			conv.ID = s.newID()
			conv.Seq = convstore.NewSeq(conv.ID)
			err := tx.ConversationInsert(ctx, conv)
			if err == nil {
				break
			}
			if !errors.Is(err, driver.ErrSeqTaken) {
				return err
			}
			if attempt == seqAttempts {
				return convstore.Errorf(convstore.ECONFLICT, "no free conversation number was found, try again")
			}
		}
		msgs = s.newMessages(conv.ID, c.Messages, now)
		if len(msgs) == 0 {
			return nil
		}
		return tx.MessageInsertMany(ctx, &driver.MessageInsertManyParams{TenantID: tenantID, ConversationID: conv.ID, Messages: msgs})
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
		var err error
		conv, err = tx.ConversationUpdate(ctx, &driver.ConversationUpdateParams{
			TenantID: tenantID, ID: id, AgentID: u.AgentID, UserID: u.UserID, Title: u.Title, Metadata: u.Metadata,
			UpdatedAt: s.now(),
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return conv, nil
}

// DeleteConversation permanently deletes a conversation with everything in
// it. One write transaction deletes it (the driver counts what goes under
// a lock that excludes every other write to it), queues its attachments'
// bytes for removal, and writes the receipt and the audit entry. The call
// returns once that has committed durably; the bytes are removed right
// after, in the background, and a removal that fails stays queued for the
// sweeper rather than failing a delete that is done.
func (s *Service) DeleteConversation(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Deletion, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var d *convstore.Deletion
	var keys []string
	err := s.drv.Write(ctx, driver.OnConversation(tenantID, id), func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		gone, err := tx.ConversationDelete(ctx, tenantID, id)
		if err != nil {
			return err
		}
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
		}
		if err := tx.DeletionInsert(ctx, d); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, tenantID, convstore.AuditConversationDelete, id, d.ID, p)
	})
	if err != nil {
		return nil, err
	}
	s.removeLater(keys)
	return d, nil
}
