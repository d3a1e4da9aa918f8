package client

import (
	"context"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// Authenticate returns the key whose secret is secret, with its tenant
// (GET /v1/me with that secret; any key may ask, whatever its scopes). The
// server records the key's use as for any call. EUNAUTHORIZED, with the
// server's one message, for an unknown, revoked or malformed secret.
func (c *Client) Authenticate(ctx context.Context, secret string) (*convstore.APIKey, error) {
	var out api.Identity
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/me", secret: &secret, out: &out}); err != nil {
		return nil, err
	}
	return api.ToIdentity(&out), nil
}

// CreateKey creates an API key of the tenant (POST /v1/keys, admin scope)
// and returns it with its secret, which is never shown again. EINVALID for
// bad input, ENOTFOUND ("tenant not found") for another tenant's id. Only
// p.ClientRequestID is sent (see the package documentation).
func (c *Client) CreateKey(ctx context.Context, tenantID convstore.ID, in *convstore.KeyCreate, p convstore.DeleteParams) (*convstore.NewKey, error) {
	if in == nil {
		return nil, convstore.Invalidf("body", "key is missing")
	}
	if err := checkCarried(in, func() error { kc := *in; return kc.Validate() }); err != nil {
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
		return nil, convstore.NotFound("tenant")
	}
	body := api.KeyCreate{Name: in.Name, Scopes: make([]string, len(in.Scopes)), Processor: in.Processor}
	for i, s := range in.Scopes {
		body.Scopes[i] = string(s)
	}
	var out api.APIKey
	if err := c.do(ctx, request{method: http.MethodPost, path: "/v1/keys", in: body, out: &out, requestID: rid}); err != nil {
		return nil, err
	}
	own, err := c.TenantID(ctx)
	if err != nil {
		return nil, err
	}
	nk := api.ToAPIKey(&out)
	nk.TenantID = own
	return nk, nil
}

// FindKeys returns the tenant's API keys (GET /v1/keys, admin scope),
// oldest first, without secrets.
func (c *Client) FindKeys(ctx context.Context, tenantID convstore.ID) ([]*convstore.APIKey, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil || !ok {
		return nil, err
	}
	var out api.List[api.APIKey]
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/keys", out: &out}); err != nil {
		return nil, err
	}
	own, err := c.TenantID(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]*convstore.APIKey, len(out.Data))
	for i := range out.Data {
		keys[i] = &api.ToAPIKey(&out.Data[i]).APIKey
		keys[i].TenantID = own
	}
	return keys, nil
}

// DeleteKey revokes an API key at once (DELETE /v1/keys/{id}, admin
// scope). ENOTFOUND if missing or another tenant's, ECONFLICT for the
// tenant's last admin key. Only p.ClientRequestID is sent (see the
// package documentation).
func (c *Client) DeleteKey(ctx context.Context, tenantID, keyID convstore.ID, p convstore.DeleteParams) error {
	rid, err := requestID(p)
	if err != nil {
		return err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return err
	}
	if !ok || keyID.IsZero() {
		return convstore.NotFound("key")
	}
	return c.do(ctx, request{method: http.MethodDelete, path: pathf("/v1/keys/%s", keyID.Format(convstore.PrefixKey)), requestID: rid})
}
