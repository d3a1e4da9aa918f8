package client

import (
	"context"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

var _ convstore.HoldService = (*Client)(nil)

// CreateHold places a legal hold (POST /v1/holds, admin scope) on exactly
// one of in's conversation, user id and agent id, with a reason.
func (c *Client) CreateHold(ctx context.Context, tenantID convstore.ID, in *convstore.HoldCreate, p convstore.DeleteParams) (*convstore.Hold, error) {
	if in == nil {
		return nil, convstore.Invalidf("body", "hold is missing")
	}
	if err := checkCarried(in, func() error { hc := *in; return hc.Validate() }); err != nil {
		return nil, err
	}
	rid, err := requestID(p)
	if err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok {
		if !in.ConversationID.IsZero() {
			return nil, convstore.NotFound("conversation")
		}
		return nil, convstore.NotFound("tenant")
	}
	body := api.HoldCreate{UserID: in.UserID, AgentID: in.AgentID, Reason: in.Reason}
	if !in.ConversationID.IsZero() {
		body.ConversationID = in.ConversationID.Format(convstore.PrefixConversation)
	}
	var out api.Hold
	if err := c.do(ctx, request{method: http.MethodPost, path: "/v1/holds", in: body, out: &out, requestID: rid}); err != nil {
		return nil, err
	}
	return c.toHold(ctx, &out)
}

// FindHoldByID returns a hold (GET /v1/holds/{id}). ENOTFOUND if missing
// or released.
func (c *Client) FindHoldByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Hold, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("hold")
	}
	var out api.Hold
	if err := c.do(ctx, request{method: http.MethodGet, path: pathf("/v1/holds/%s", id.Format(convstore.PrefixHold)), out: &out}); err != nil {
		return nil, err
	}
	return c.toHold(ctx, &out)
}

// FindHolds returns a page of holds (GET /v1/holds), newest first unless
// f.Order says otherwise, and whether more follow.
func (c *Client) FindHolds(ctx context.Context, tenantID convstore.ID, f convstore.HoldFilter) ([]*convstore.Hold, bool, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil || !ok {
		return nil, false, err
	}
	var out api.List[api.Hold]
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/holds", query: pageQuery(nil, f.PageFilter, convstore.PrefixHold), out: &out}); err != nil {
		return nil, false, err
	}
	holds := make([]*convstore.Hold, len(out.Data))
	for i := range out.Data {
		if holds[i], err = c.toHold(ctx, &out.Data[i]); err != nil {
			return nil, false, err
		}
	}
	return holds, out.HasMore, nil
}

// DeleteHold releases a hold (DELETE /v1/holds/{id}). ENOTFOUND if missing
// or already released.
func (c *Client) DeleteHold(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) error {
	rid, err := requestID(p)
	if err != nil {
		return err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return err
	}
	if !ok || id.IsZero() {
		return convstore.NotFound("hold")
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathf("/v1/holds/%s", id.Format(convstore.PrefixHold)), requestID: rid})
}

// toHold converts a wire hold, in the calling key's tenant.
func (c *Client) toHold(ctx context.Context, w *api.Hold) (*convstore.Hold, error) {
	own, err := c.TenantID(ctx)
	if err != nil {
		return nil, err
	}
	h := api.ToHold(w)
	h.TenantID = own
	return h, nil
}
