package client_test

import (
	"context"

	"github.com/convstore/convstore"
)

// Tags are served by the ElevenLabs door, not the native API: the
// suite's calls ask the engine.

func (s *httpStore) FindTagByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Tag, error) {
	return s.engine.FindTagByID(ctx, tenantID, id)
}

func (s *httpStore) FindTags(ctx context.Context, tenantID convstore.ID, f convstore.TagFilter) ([]*convstore.Tag, bool, error) {
	return s.engine.FindTags(ctx, tenantID, f)
}

func (s *httpStore) CreateTag(ctx context.Context, tenantID convstore.ID, c *convstore.TagCreate, createdBy convstore.ID) (*convstore.Tag, error) {
	return s.engine.CreateTag(ctx, tenantID, c, createdBy)
}

func (s *httpStore) UpdateTag(ctx context.Context, tenantID, id convstore.ID, u *convstore.TagUpdate) (*convstore.Tag, error) {
	return s.engine.UpdateTag(ctx, tenantID, id, u)
}

func (s *httpStore) DeleteTag(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) error {
	return s.engine.DeleteTag(ctx, tenantID, id, p)
}

func (s *httpStore) AddConversationTags(ctx context.Context, tenantID, conversationID convstore.ID, tagIDs []convstore.ID) error {
	return s.engine.AddConversationTags(ctx, tenantID, conversationID, tagIDs)
}

func (s *httpStore) RemoveConversationTag(ctx context.Context, tenantID, conversationID, tagID convstore.ID) error {
	return s.engine.RemoveConversationTag(ctx, tenantID, conversationID, tagID)
}

func (s *httpStore) ConversationTagIDs(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) (map[convstore.ID][]convstore.ID, error) {
	return s.engine.ConversationTagIDs(ctx, tenantID, conversationIDs)
}
