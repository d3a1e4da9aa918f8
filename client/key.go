package client

import (
	"context"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// CreateKey creates an API key of the caller's tenant (admin scope needed)
// and returns it with its secret, which is never shown again. EINVALID for
// bad input.
func (c *Client) CreateKey(ctx context.Context, in *convstore.KeyCreate) (*convstore.NewKey, error) {
	body := api.KeyCreate{Name: in.Name, Scopes: make([]string, len(in.Scopes))}
	for i, s := range in.Scopes {
		body.Scopes[i] = string(s)
	}
	var out api.APIKey
	if err := c.doJSON(ctx, http.MethodPost, "/v1/keys", nil, body, &out); err != nil {
		return nil, err
	}
	return api.ToAPIKey(&out), nil
}

// ListKeys returns the tenant's API keys, oldest first, without secrets.
func (c *Client) ListKeys(ctx context.Context) ([]*convstore.APIKey, error) {
	var out api.List[api.APIKey]
	if err := c.doJSON(ctx, http.MethodGet, "/v1/keys", nil, nil, &out); err != nil {
		return nil, err
	}
	keys := make([]*convstore.APIKey, len(out.Data))
	for i := range out.Data {
		keys[i] = &api.ToAPIKey(&out.Data[i]).APIKey
	}
	return keys, nil
}

// DeleteKey revokes an API key at once. ENOTFOUND if missing, ECONFLICT for
// the tenant's last admin key.
func (c *Client) DeleteKey(ctx context.Context, id convstore.ID) error {
	return c.doJSON(ctx, http.MethodDelete, pathf("/v1/keys/%s", id.Format(convstore.PrefixKey)), nil, nil, nil)
}
