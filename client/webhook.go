package client

import (
	"context"
	"net/http"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

var _ convstore.WebhookService = (*Client)(nil)

func webhookPath(id convstore.ID) string {
	return pathf("/v1/webhooks/%s", id.Format(convstore.PrefixWebhook))
}

func deliveryPath(hook, id convstore.ID) string {
	return pathf("/v1/webhooks/%s/deliveries/%s", hook.Format(convstore.PrefixWebhook), id.Format(convstore.PrefixWebhookDelivery))
}

// CreateWebhook registers a webhook (POST /v1/webhooks, admin scope) and
// returns it with its secret, shown this once.
func (c *Client) CreateWebhook(ctx context.Context, tenantID convstore.ID, in *convstore.WebhookCreate, p convstore.DeleteParams) (*convstore.Webhook, *convstore.WebhookSecret, error) {
	if in == nil {
		return nil, nil, convstore.Invalidf("body", "webhook is missing")
	}
	rid, err := requestID(p)
	if err != nil {
		return nil, nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, convstore.NotFound("tenant")
	}
	var out api.Webhook
	body := api.WebhookCreate{URL: in.URL, Events: in.Events, Description: in.Description}
	if err := c.do(ctx, request{method: http.MethodPost, path: "/v1/webhooks", in: body, out: &out, requestID: rid}); err != nil {
		return nil, nil, err
	}
	h := api.ToWebhook(&out)
	h.TenantID = tenantID
	return h, &convstore.WebhookSecret{WebhookID: h.ID, Secret: out.Secret}, nil
}

// FindWebhookByID returns a webhook (GET /v1/webhooks/{id}).
func (c *Client) FindWebhookByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Webhook, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("webhook")
	}
	var out api.Webhook
	if err := c.do(ctx, request{method: http.MethodGet, path: webhookPath(id), out: &out}); err != nil {
		return nil, err
	}
	h := api.ToWebhook(&out)
	h.TenantID = tenantID
	return h, nil
}

// FindWebhooks returns a page of webhooks (GET /v1/webhooks), oldest
// first unless f.Order says otherwise, and whether more follow.
func (c *Client) FindWebhooks(ctx context.Context, tenantID convstore.ID, f convstore.WebhookFilter) ([]*convstore.Webhook, bool, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil || !ok {
		return nil, false, err
	}
	var out api.List[api.Webhook]
	q := pageQuery(nil, f.PageFilter, convstore.PrefixWebhook)
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/webhooks", query: q, out: &out}); err != nil {
		return nil, false, err
	}
	hooks := make([]*convstore.Webhook, len(out.Data))
	for i := range out.Data {
		hooks[i] = api.ToWebhook(&out.Data[i])
		hooks[i].TenantID = tenantID
	}
	return hooks, out.HasMore, nil
}

// UpdateWebhook changes a webhook (PATCH /v1/webhooks/{id}).
func (c *Client) UpdateWebhook(ctx context.Context, tenantID, id convstore.ID, u *convstore.WebhookUpdate, p convstore.DeleteParams) (*convstore.Webhook, error) {
	if u == nil {
		return nil, convstore.Invalidf("body", "update is missing")
	}
	rid, err := requestID(p)
	if err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("webhook")
	}
	var out api.Webhook
	body := api.WebhookUpdate{URL: u.URL, Events: u.Events, Description: u.Description, Enabled: u.Enabled}
	if err := c.do(ctx, request{method: http.MethodPatch, path: webhookPath(id), in: body, out: &out, requestID: rid}); err != nil {
		return nil, err
	}
	h := api.ToWebhook(&out)
	h.TenantID = tenantID
	return h, nil
}

// DeleteWebhook deletes a webhook (DELETE /v1/webhooks/{id}).
func (c *Client) DeleteWebhook(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) error {
	rid, err := requestID(p)
	if err != nil {
		return err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return err
	}
	if !ok || id.IsZero() {
		return convstore.NotFound("webhook")
	}
	return c.do(ctx, request{method: http.MethodDelete, path: webhookPath(id), out: &api.Deleted{}, requestID: rid})
}

// RotateWebhookSecret gives a webhook a new secret (POST
// /v1/webhooks/{id}/rotate_secret) and returns it, shown this once.
func (c *Client) RotateWebhookSecret(ctx context.Context, tenantID, id convstore.ID, overlap *time.Duration, p convstore.DeleteParams) (*convstore.WebhookSecret, error) {
	rid, err := requestID(p)
	if err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("webhook")
	}
	var body api.WebhookRotate
	if overlap != nil {
		s := int64(*overlap / time.Second)
		body.OverlapSeconds = &s
	}
	var out api.WebhookSecret
	if err := c.do(ctx, request{method: http.MethodPost, path: webhookPath(id) + "/rotate_secret", in: body, out: &out, requestID: rid}); err != nil {
		return nil, err
	}
	s := &convstore.WebhookSecret{WebhookID: id, Secret: out.Secret}
	if out.PreviousSecretExpiresAt != nil {
		t := time.Unix(*out.PreviousSecretExpiresAt, 0).UTC()
		s.PreviousExpiresAt = &t
	}
	return s, nil
}

// FindWebhookDeliveries returns a page of a webhook's deliveries (GET
// /v1/webhooks/{id}/deliveries), newest first unless f.Order says
// otherwise, and whether more follow.
func (c *Client) FindWebhookDeliveries(ctx context.Context, tenantID, webhookID convstore.ID, f convstore.WebhookDeliveryFilter) ([]*convstore.WebhookDelivery, bool, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, false, err
	}
	if !ok || webhookID.IsZero() {
		return nil, false, convstore.NotFound("webhook")
	}
	q := pageQuery(nil, f.PageFilter, convstore.PrefixWebhookDelivery)
	if f.State != "" {
		q.Set("state", f.State)
	}
	var out api.List[api.WebhookDelivery]
	if err := c.do(ctx, request{method: http.MethodGet, path: webhookPath(webhookID) + "/deliveries", query: q, out: &out}); err != nil {
		return nil, false, err
	}
	list := make([]*convstore.WebhookDelivery, len(out.Data))
	for i := range out.Data {
		list[i], _ = api.ToWebhookDelivery(&out.Data[i])
		list[i].TenantID = tenantID
	}
	return list, out.HasMore, nil
}

// FindWebhookDelivery returns a delivery with its attempts (GET
// /v1/webhooks/{id}/deliveries/{delivery_id}).
func (c *Client) FindWebhookDelivery(ctx context.Context, tenantID, webhookID, id convstore.ID) (*convstore.WebhookDelivery, []*convstore.WebhookAttempt, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	if !ok || webhookID.IsZero() || id.IsZero() {
		return nil, nil, convstore.NotFound("webhook delivery")
	}
	var out api.WebhookDelivery
	if err := c.do(ctx, request{method: http.MethodGet, path: deliveryPath(webhookID, id), out: &out}); err != nil {
		return nil, nil, err
	}
	d, attempts := api.ToWebhookDelivery(&out)
	d.TenantID = tenantID
	return d, attempts, nil
}

// ReplayWebhookDelivery makes a delivery pending again, due now (POST
// /v1/webhooks/{id}/deliveries/{delivery_id}/replay).
func (c *Client) ReplayWebhookDelivery(ctx context.Context, tenantID, webhookID, id convstore.ID) (*convstore.WebhookDelivery, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || webhookID.IsZero() || id.IsZero() {
		return nil, convstore.NotFound("webhook delivery")
	}
	var out api.WebhookDelivery
	if err := c.do(ctx, request{method: http.MethodPost, path: deliveryPath(webhookID, id) + "/replay", out: &out}); err != nil {
		return nil, err
	}
	d, _ := api.ToWebhookDelivery(&out)
	d.TenantID = tenantID
	return d, nil
}

// TestWebhook queues a webhook.test delivery (POST /v1/webhooks/{id}/test).
func (c *Client) TestWebhook(ctx context.Context, tenantID, id convstore.ID) (*convstore.WebhookDelivery, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("webhook")
	}
	var out api.WebhookDelivery
	if err := c.do(ctx, request{method: http.MethodPost, path: webhookPath(id) + "/test", out: &out}); err != nil {
		return nil, err
	}
	d, _ := api.ToWebhookDelivery(&out)
	d.TenantID = tenantID
	return d, nil
}
