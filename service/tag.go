package service

import (
	"context"
	"slices"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/seal"
)

// tTags is the sealing context's table of tag definitions. A tag plays
// its conversation's part in the sealing context (Conversation and Row
// are its id) and its data key is wrapped for (tenant, id), as an
// end-user record's is: the key lives in the tag's row and goes with it.
const tTags = "tags"

// tagKey returns the tag's DEK: nil when sealing is off or the row has
// none (stored without a keyring).
func (z *sealer) tagKey(ctx context.Context, row *driver.TagRow) (*seal.DEK, error) {
	if z.ring == nil || len(row.WrappedKey) == 0 {
		return nil, nil
	}
	return z.unwrap(ctx, &driver.ConversationKey{TenantID: row.TenantID, ConversationID: row.ID, Epoch: row.KeyEpoch,
		Wrapped: row.WrappedKey})
}

// openTag opens a stored tag.
func (z *sealer) openTag(ctx context.Context, r driver.Reader, row *driver.TagRow) (*convstore.Tag, error) {
	dek, err := z.tagKey(ctx, row)
	if err != nil {
		return nil, err
	}
	o := z.opener(ctx, r, row.TenantID, row.ID)
	o.dek, o.fetched = dek, true // the key is the row's: never looked up elsewhere
	t := &convstore.Tag{ID: row.ID, TenantID: row.TenantID, CreatedBy: row.CreatedBy, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	if t.Title, err = o.str(tTags, "title", row.ID, row.Title); err != nil {
		return nil, err
	}
	if t.Description, err = o.str(tTags, "description", row.ID, row.Description); err != nil {
		return nil, err
	}
	return t, nil
}

// tagRow returns t as stored, sealed under dek in its own context, with
// its key wrapped (a new one's) or kept (wrapped as given).
func (z *sealer) tagRow(t *convstore.Tag, dek *seal.DEK, epoch uint32, wrapped []byte) (*driver.TagRow, error) {
	b := z.box(dek, t.TenantID, t.ID)
	row := &driver.TagRow{ID: t.ID, TenantID: t.TenantID, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		Title:       b.str(tTags, "title", t.ID, t.Title),
		Description: b.str(tTags, "description", t.ID, t.Description),
		KeyEpoch:    epoch, WrappedKey: wrapped,
	}
	if dek != nil && wrapped == nil {
		row.KeyEpoch = z.ring.Current().ID
		var err error
		if row.WrappedKey, err = z.ring.Wrap(row.KeyEpoch, dek, keyAAD(t.TenantID, t.ID)); err != nil {
			return nil, err
		}
	}
	return row, nil
}

// FindTagByID returns a tag.
func (s *Service) FindTagByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Tag, error) {
	r := s.drv.Reads()
	row, err := r.TagGet(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return s.z.openTag(ctx, r, row)
}

// FindTags returns a page of the tenant's tags, newest first by default.
func (s *Service) FindTags(ctx context.Context, tenantID convstore.ID, f convstore.TagFilter) ([]*convstore.Tag, bool, error) {
	if err := f.PageFilter.Normalize(convstore.OrderDesc); err != nil {
		return nil, false, err
	}
	r := s.drv.Reads()
	rows, err := r.TagList(ctx, tenantID, pageOf(f.PageFilter, 0))
	if err != nil {
		return nil, false, err
	}
	rows, more := trim(rows, f.Limit)
	out := make([]*convstore.Tag, len(rows))
	for i, row := range rows {
		if out[i], err = s.z.openTag(ctx, r, row); err != nil {
			return nil, false, err
		}
	}
	return out, more, nil
}

// CreateTag creates a tag under a data key of its own.
func (s *Service) CreateTag(ctx context.Context, tenantID convstore.ID, c *convstore.TagCreate, createdBy convstore.ID) (*convstore.Tag, error) {
	if c == nil {
		return nil, convstore.Invalidf("body", "tag is missing")
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var t *convstore.Tag
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		t = &convstore.Tag{ID: s.newID(), TenantID: tenantID, Title: c.Title, Description: c.Description,
			CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now}
		var dek *seal.DEK
		if s.z.ring != nil {
			dek = seal.NewDEK()
		}
		row, err := s.z.tagRow(t, dek, 0, nil)
		if err != nil {
			return err
		}
		return tx.TagInsert(ctx, row)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// UpdateTag changes the set fields and UpdatedAt, re-sealing the tag
// under its key (a new one for a tag stored without a keyring).
func (s *Service) UpdateTag(ctx context.Context, tenantID, id convstore.ID, up *convstore.TagUpdate) (*convstore.Tag, error) {
	if up == nil {
		return nil, convstore.Invalidf("body", "update is missing")
	}
	if err := up.Validate(); err != nil {
		return nil, err
	}
	var t *convstore.Tag
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		row, err := tx.TagLock(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if t, err = s.z.openTag(ctx, tx, row); err != nil {
			return err
		}
		if up.Title != nil {
			t.Title = *up.Title
		}
		if up.Description != nil {
			t.Description = *up.Description
		}
		if now := s.now(); now.After(t.UpdatedAt) {
			t.UpdatedAt = now
		}
		dek, err := s.z.tagKey(ctx, row)
		if err != nil {
			return err
		}
		epoch, wrapped := row.KeyEpoch, row.WrappedKey
		if dek == nil && s.z.ring != nil {
			dek, epoch, wrapped = seal.NewDEK(), 0, nil
		}
		next, err := s.z.tagRow(t, dek, epoch, wrapped)
		if err != nil {
			return err
		}
		return tx.TagUpdate(ctx, next)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// DeleteTag deletes a tag for good: in one transaction its row, the data
// key in it and its links to conversations go, and the audit entry is
// written.
func (s *Service) DeleteTag(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.TagLock(ctx, tenantID, id); err != nil {
			return err
		}
		if err := tx.TagDelete(ctx, tenantID, id); err != nil {
			return err
		}
		s.z.forget(tenantID, id)
		return s.audit(ctx, tx, s.now(), tenantID, convstore.AuditTagDelete, convstore.ID{}, id, p)
	})
}

// AddConversationTags attaches tags to a live conversation, all or none.
func (s *Service) AddConversationTags(ctx context.Context, tenantID, conversationID convstore.ID, tagIDs []convstore.ID) error {
	switch {
	case len(tagIDs) == 0:
		return convstore.Invalidf("tag_ids", "tag_ids must name at least one tag")
	case len(tagIDs) > convstore.MaxTagsPerCall:
		return convstore.Invalidf("tag_ids", "tag_ids must name at most %d tags", convstore.MaxTagsPerCall)
	}
	ids := make([]convstore.ID, 0, len(tagIDs))
	seen := make(map[convstore.ID]bool, len(tagIDs))
	for _, id := range tagIDs {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	// Locked in one order (ids are sorted), so two adds never deadlock;
	// the conversation's row is locked for update, so concurrent adds to
	// one conversation count each other's links against the bound.
	slices.SortFunc(ids, compareIDs)
	return s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if err := tx.ConversationLock(ctx, tenantID, conversationID, driver.LockUpdate, "conversation"); err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := tx.TagLock(ctx, tenantID, id); err != nil {
				return err
			}
		}
		n, err := tx.ConversationTagAdd(ctx, tenantID, conversationID, ids, s.now())
		if err != nil {
			return err
		}
		if n > convstore.MaxConversationTags {
			return convstore.Invalidf("tag_ids", "a conversation carries at most %d tags", convstore.MaxConversationTags)
		}
		return nil
	})
}

// RemoveConversationTag detaches a tag from a live conversation.
func (s *Service) RemoveConversationTag(ctx context.Context, tenantID, conversationID, tagID convstore.ID) error {
	return s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if err := tx.ConversationLock(ctx, tenantID, conversationID, driver.LockShare, "conversation"); err != nil {
			return err
		}
		if _, err := tx.TagGet(ctx, tenantID, tagID); err != nil {
			return err
		}
		return tx.ConversationTagRemove(ctx, tenantID, conversationID, tagID)
	})
}

// ConversationTagIDs returns the tag ids of each conversation that has
// any.
func (s *Service) ConversationTagIDs(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) (map[convstore.ID][]convstore.ID, error) {
	out := map[convstore.ID][]convstore.ID{}
	for len(conversationIDs) > 0 {
		batch := conversationIDs[:min(len(conversationIDs), 500)]
		conversationIDs = conversationIDs[len(batch):]
		links, err := s.drv.Reads().ConversationTagList(ctx, tenantID, batch)
		if err != nil {
			return nil, err
		}
		for _, l := range links {
			out[l.ConversationID] = append(out[l.ConversationID], l.TagID)
		}
	}
	return out, nil
}
