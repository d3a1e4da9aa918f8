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
	// The PUT replaces the whole object: the window goes along as it is.
	var cur api.Retention
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/retention", out: &cur}); err != nil {
		return nil, err
	}
	out, err := c.putRetention(ctx, policies, cur.RestoreWindowDays, p)
	if err != nil {
		return nil, err
	}
	return api.ToRetention(out.Policies), nil
}

// putRetention sends PUT /v1/retention with the whole object.
func (c *Client) putRetention(ctx context.Context, policies []*convstore.RetentionPolicy, days int, p convstore.DeleteParams) (*api.Retention, error) {
	in := api.FromRetention(policies)
	for i := range in.Policies {
		in.Policies[i].UpdatedAt = 0
	}
	var out api.Retention
	if err := c.do(ctx, request{method: http.MethodPut, path: "/v1/retention", in: struct {
		Policies          []api.RetentionPolicy `json:"policies"`
		RestoreWindowDays int                   `json:"restore_window_days"`
	}{in.Policies, days}, out: &out, requestID: p.ClientRequestID}); err != nil {
		return nil, err
	}
	return &out, nil
}

// FindRestoreWindow returns the tenant's restore window in days (GET
// /v1/retention, its restore_window_days).
func (c *Client) FindRestoreWindow(ctx context.Context, tenantID convstore.ID) (int, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, convstore.NotFound("tenant")
	}
	var out api.Retention
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/retention", out: &out}); err != nil {
		return 0, err
	}
	return out.RestoreWindowDays, nil
}

// SetRestoreWindow sets the tenant's restore window: a GET of the
// retention object and a PUT of it with the new window (admin scope), so
// a policy change by someone else in between is overwritten.
func (c *Client) SetRestoreWindow(ctx context.Context, tenantID convstore.ID, days int, p convstore.DeleteParams) error {
	if err := convstore.ValidateRestoreWindow(days); err != nil {
		return err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return err
	}
	if !ok {
		return convstore.NotFound("tenant")
	}
	var cur api.Retention
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/retention", out: &cur}); err != nil {
		return err
	}
	_, err = c.putRetention(ctx, api.ToRetention(cur.Policies), days, p)
	return err
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

// PreviewRetentionDraft returns what the next retention run would erase
// if policies replaced the tenant's, saving nothing (POST
// /v1/retention/preview, admin scope).
func (c *Client) PreviewRetentionDraft(ctx context.Context, tenantID convstore.ID, policies []*convstore.RetentionPolicy) (*convstore.RetentionPreview, error) {
	if err := convstore.ValidateRetention(policies); err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, convstore.NotFound("tenant")
	}
	var out api.RetentionPreview
	in := struct {
		Policies []api.RetentionPolicy `json:"policies"`
	}{Policies: api.FromRetention(policies).Policies}
	for i := range in.Policies {
		in.Policies[i].UpdatedAt = 0
	}
	if err := c.do(ctx, request{method: http.MethodPost, path: "/v1/retention/preview", in: in, out: &out}); err != nil {
		return nil, err
	}
	return api.ToRetentionPreview(&out), nil
}
