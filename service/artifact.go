package service

import (
	"context"
	"slices"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// FindArtifactByID returns one artifact; a zero conversationID finds it in
// any of the tenant's conversations.
func (s *Service) FindArtifactByID(ctx context.Context, tenantID, conversationID, id convstore.ID) (*convstore.Artifact, error) {
	r := s.drv.Reads()
	row, err := r.ArtifactGet(ctx, tenantID, conversationID, id)
	if err != nil {
		return nil, err
	}
	list, err := s.z.openArtifacts(ctx, r, tenantID, []*convstore.Artifact{row})
	if err != nil {
		return nil, err
	}
	return list[0], nil
}

// FindArtifacts returns a page of the conversation's artifacts, oldest
// first by default. ENOTFOUND if the conversation is missing.
func (s *Service) FindArtifacts(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.ArtifactFilter) ([]*convstore.Artifact, bool, error) {
	if err := f.Normalize(convstore.OrderAsc); err != nil {
		return nil, false, err
	}
	if f.Type != "" && !f.Type.Valid() {
		return nil, false, errArtifactType()
	}
	var list []*convstore.Artifact
	err := s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		var err error
		list, err = r.ArtifactList(ctx, &driver.ArtifactListParams{
			TenantID: tenantID, ConversationID: conversationID, Type: f.Type, Page: pageOf(f.PageFilter, 0)})
		if err == nil && len(list) == 0 && !conversationID.IsZero() {
			err = conversationExists(ctx, r, tenantID, conversationID)
		}
		if err != nil {
			return err
		}
		list, err = s.z.openArtifacts(ctx, r, tenantID, list)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	list, more := trim(list, f.Limit)
	return list, more, nil
}

func errArtifactType() error {
	return convstore.Invalidf("type", "type must be one of summary, topic, insight, action_item, question, follow_up, analysis, entity, other")
}

// CreateArtifact adds an artifact. The conversation is locked against
// deletion in the write transaction, so a concurrent delete either
// precedes it (ENOTFOUND) or removes the artifact with the conversation.
// Every message id must be a message of the conversation.
func (s *Service) CreateArtifact(ctx context.Context, tenantID, conversationID convstore.ID, c *convstore.ArtifactCreate) (*convstore.Artifact, error) {
	if c == nil {
		return nil, convstore.Invalidf("body", "artifact is missing")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var a *convstore.Artifact
	err := s.drv.Write(ctx, driver.OnConversation(tenantID, conversationID), func(ctx context.Context, tx driver.Tx) error {
		if err := tx.ConversationLock(ctx, tenantID, conversationID, driver.LockShare, "conversation"); err != nil {
			return err
		}
		if err := checkMessageIDs(ctx, tx, tenantID, conversationID, c.MessageIDs); err != nil {
			return err
		}
		a = &convstore.Artifact{
			ID:             s.newID(),
			ConversationID: conversationID,
			Type:           c.Type,
			Text:           c.Text,
			Data:           copyJSON(c.Data),
			MessageIDs:     slices.Clone(c.MessageIDs),
			CreatedAt:      s.now(),
		}
		if len(a.MessageIDs) == 0 {
			a.MessageIDs = nil
		}
		if c.Score != nil {
			score := *c.Score
			a.Score = &score
		}
		dek, err := s.z.keyFor(ctx, tx, tenantID, conversationID, a.CreatedAt)
		if err != nil {
			return err
		}
		return tx.ArtifactInsert(ctx, tenantID, artifactRow(s.z.box(dek, tenantID, conversationID), a))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// checkMessageIDs returns EINVALID on message_ids unless every id is a
// message of the tenant's conversation. It says neither which id failed
// nor why, so an id of another conversation or tenant answers like one
// that never existed.
func checkMessageIDs(ctx context.Context, r driver.Reader, tenantID, conversationID convstore.ID, ids []convstore.ID) error {
	distinct := make([]convstore.ID, 0, len(ids))
	seen := make(map[convstore.ID]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			distinct = append(distinct, id)
		}
	}
	if len(distinct) == 0 {
		return nil
	}
	n, err := r.MessageCountIn(ctx, tenantID, conversationID, distinct)
	if err != nil {
		return err
	}
	if n != len(distinct) {
		return convstore.Invalidf("message_ids", "message_ids must name messages of this conversation")
	}
	return nil
}

// DeleteArtifact permanently deletes one artifact and writes an
// AuditEntry.
func (s *Service) DeleteArtifact(ctx context.Context, tenantID, conversationID, id convstore.ID, p convstore.DeleteParams) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.writeEvents(ctx, driver.OnConversation(tenantID, conversationID), func(ctx context.Context, tx driver.Tx) error {
		if err := tx.ConversationLock(ctx, tenantID, conversationID, driver.LockShare, "artifact"); err != nil {
			return err
		}
		if err := s.refuseHeld(ctx, tx, tenantID, conversationID); err != nil {
			return err
		}
		if err := tx.ArtifactDelete(ctx, tenantID, conversationID, id); err != nil {
			return err
		}
		now := s.now()
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditArtifactDelete, conversationID, id, p); err != nil {
			return err
		}
		return s.emit(ctx, tx, now, itemDeleted(convstore.EventArtifactDeleted, tenantID, conversationID,
			id.Format(convstore.PrefixArtifact), 0, p, now))
	})
}
