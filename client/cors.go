package client

import (
	"context"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// FindCORSOrigins returns the web origins the tenant allows to call the
// doors from a browser (GET /v1/cors), sorted.
func (c *Client) FindCORSOrigins(ctx context.Context, tenantID convstore.ID) ([]string, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, convstore.NotFound("tenant")
	}
	var out api.CORS
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/cors", out: &out}); err != nil {
		return nil, err
	}
	return out.AllowedOrigins, nil
}

// SetCORSOrigins replaces the tenant's allowed web origins (PUT /v1/cors,
// admin scope; none allows none) and returns them as stored.
func (c *Client) SetCORSOrigins(ctx context.Context, tenantID convstore.ID, origins []string, p convstore.DeleteParams) ([]string, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, convstore.NotFound("tenant")
	}
	if origins == nil {
		origins = []string{}
	}
	var out api.CORS
	if err := c.do(ctx, request{method: http.MethodPut, path: "/v1/cors", in: struct {
		AllowedOrigins []string `json:"allowed_origins"`
	}{origins},
		out: &out, requestID: p.ClientRequestID}); err != nil {
		return nil, err
	}
	return out.AllowedOrigins, nil
}
