package client

import (
	"context"
	"net/http"
)

// Health reports whether the server process is up (GET /healthz).
func (c *Client) Health(ctx context.Context) error {
	return c.doJSON(ctx, http.MethodGet, "/healthz", nil, nil, nil)
}

// Ready reports whether the server can serve, its store included (GET
// /readyz); EUNAVAILABLE when it cannot.
func (c *Client) Ready(ctx context.Context) error {
	return c.doJSON(ctx, http.MethodGet, "/readyz", nil, nil, nil)
}
