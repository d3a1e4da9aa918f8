package client

import (
	"context"
	"net/http"
)

// Health reports whether the server process is up (GET /healthz).
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, request{method: http.MethodGet, path: "/healthz"})
}

// Ready reports whether the server can serve, its store included (GET
// /readyz); EUNAVAILABLE when it cannot.
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, request{method: http.MethodGet, path: "/readyz"})
}
