package client

import (
	"context"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// FindRetention returns the tenant's retention policies (GET
// /v1/retention), the default first.
func (c *Client) FindRetention(ctx context.Context, tenantID convstore.ID) ([]*convstore.RetentionPolicy, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil || !ok {
		return nil, err
	}
	var out api.Retention
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/retention", out: &out}); err != nil {
		return nil, err
	}
	return api.ToRetention(out.Policies), nil
}

// ReplaceRetention replaces the tenant's retention policies (PUT
// /v1/retention, admin scope); none keeps everything.
func (c *Client) ReplaceRetention(ctx context.Context, tenantID convstore.ID, policies []*convstore.RetentionPolicy, p convstore.DeleteParams) ([]*convstore.RetentionPolicy, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, convstore.NotFound("tenant")
	}
	in := api.FromRetention(policies)
	for i := range in.Policies {
		in.Policies[i].UpdatedAt = 0
	}
	var out api.Retention
	if err := c.do(ctx, request{method: http.MethodPut, path: "/v1/retention", in: struct {
		Policies []api.RetentionPolicy `json:"policies"`
	}{in.Policies}, out: &out, requestID: p.ClientRequestID}); err != nil {
		return nil, err
	}
	return api.ToRetention(out.Policies), nil
}

// PreviewRetention returns what the next retention run would erase (GET
// /v1/retention/preview).
func (c *Client) PreviewRetention(ctx context.Context, tenantID convstore.ID) (*convstore.RetentionPreview, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, convstore.NotFound("tenant")
	}
	var out api.RetentionPreview
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/retention/preview", out: &out}); err != nil {
		return nil, err
	}
	return api.ToRetentionPreview(&out), nil
}
