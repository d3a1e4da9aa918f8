package client

import (
	"context"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// CreateErasure creates an erasure job (POST /v1/erasures, admin scope):
// queued, or succeeded with its totals for a dry run. A created_before
// is sent in whole seconds, rounded down: the job then erases no more
// than asked.
func (c *Client) CreateErasure(ctx context.Context, tenantID convstore.ID, in *convstore.ErasureCreate, p convstore.DeleteParams) (*convstore.Erasure, error) {
	if in == nil {
		return nil, convstore.Invalidf("body", "erasure is missing")
	}
	rid, err := requestID(p)
	if err != nil {
		return nil, err
	}
	if err := checkCarried(in, in.Validate); err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, convstore.NotFound("tenant")
	}
	s := in.Selector
	body := api.ErasureCreate{
		Selector: api.ErasureSelector{UserID: s.UserID, AgentID: s.AgentID, ExternalIDs: s.ExternalIDs, Metadata: s.Metadata},
		DryRun:   in.DryRun, IncludeNew: in.IncludeNew,
	}
	if s.CreatedBefore != nil {
		sec := s.CreatedBefore.Unix()
		body.Selector.CreatedBefore = &sec
	}
	var out api.Erasure
	if err := c.do(ctx, request{method: http.MethodPost, path: "/v1/erasures", in: body, out: &out, requestID: rid}); err != nil {
		return nil, err
	}
	return c.toErasure(ctx, &out)
}

// FindErasureByID returns a job (GET /v1/erasures/{id}). ENOTFOUND if
// missing.
func (c *Client) FindErasureByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Erasure, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("erasure")
	}
	var out api.Erasure
	if err := c.do(ctx, request{method: http.MethodGet, path: pathf("/v1/erasures/%s", id.Format(convstore.PrefixErasure)), out: &out}); err != nil {
		return nil, err
	}
	return c.toErasure(ctx, &out)
}

// FindErasures returns a page of jobs (GET /v1/erasures), newest first
// unless f.Order says otherwise, and whether more follow.
func (c *Client) FindErasures(ctx context.Context, tenantID convstore.ID, f convstore.ErasureFilter) ([]*convstore.Erasure, bool, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil || !ok {
		return nil, false, err
	}
	var out api.List[api.Erasure]
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/erasures", query: pageQuery(nil, f.PageFilter, convstore.PrefixErasure), out: &out}); err != nil {
		return nil, false, err
	}
	list := make([]*convstore.Erasure, len(out.Data))
	for i := range out.Data {
		if list[i], err = c.toErasure(ctx, &out.Data[i]); err != nil {
			return nil, false, err
		}
	}
	return list, out.HasMore, nil
}

// CancelErasure asks a job to stop (POST /v1/erasures/{id}/cancel, admin
// scope). ENOTFOUND if missing.
func (c *Client) CancelErasure(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Erasure, error) {
	rid, err := requestID(p)
	if err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("erasure")
	}
	var out api.Erasure
	path := pathf("/v1/erasures/%s/cancel", id.Format(convstore.PrefixErasure))
	if err := c.do(ctx, request{method: http.MethodPost, path: path, out: &out, requestID: rid}); err != nil {
		return nil, err
	}
	return c.toErasure(ctx, &out)
}

// toErasure converts a wire job of the key's tenant.
func (c *Client) toErasure(ctx context.Context, w *api.Erasure) (*convstore.Erasure, error) {
	own, err := c.TenantID(ctx)
	if err != nil {
		return nil, err
	}
	e := api.ToErasure(w)
	e.TenantID = own
	return e, nil
}
