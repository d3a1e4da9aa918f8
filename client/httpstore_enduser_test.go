package client_test

import (
	"context"

	"github.com/convstore/convstore"
)

// End-user records are served by the Botpress door, not the native API:
// the suite's calls ask the engine.

func (s *httpStore) FindEndUserByUserID(ctx context.Context, tenantID convstore.ID, userID string) (*convstore.EndUser, error) {
	return s.engine.FindEndUserByUserID(ctx, tenantID, userID)
}

func (s *httpStore) FindEndUsers(ctx context.Context, tenantID convstore.ID, f convstore.EndUserFilter) ([]*convstore.EndUser, bool, error) {
	return s.engine.FindEndUsers(ctx, tenantID, f)
}

func (s *httpStore) CreateEndUser(ctx context.Context, tenantID convstore.ID, c *convstore.EndUserCreate) (*convstore.EndUser, error) {
	return s.engine.CreateEndUser(ctx, tenantID, c)
}

func (s *httpStore) FindOrCreateEndUser(ctx context.Context, tenantID convstore.ID, c *convstore.EndUserCreate) (*convstore.EndUser, bool, error) {
	return s.engine.FindOrCreateEndUser(ctx, tenantID, c)
}

func (s *httpStore) UpdateEndUser(ctx context.Context, tenantID, id convstore.ID, u *convstore.EndUserUpdate) (*convstore.EndUser, error) {
	return s.engine.UpdateEndUser(ctx, tenantID, id, u)
}

func (s *httpStore) DeleteEndUser(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Deletion, error) {
	return s.engine.DeleteEndUser(ctx, tenantID, id, p)
}
