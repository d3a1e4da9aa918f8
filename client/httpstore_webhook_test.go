package client_test

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// WebhookService.

func (s *httpStore) CreateWebhook(ctx context.Context, tenantID convstore.ID, c *convstore.WebhookCreate, p convstore.DeleteParams) (*convstore.Webhook, *convstore.WebhookSecret, error) {
	h, sec, err := s.as(tenantID, p.ActorKeyID).CreateWebhook(ctx, tenantID, c, p)
	return h, sec, s.domain(err)
}

func (s *httpStore) FindWebhookByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Webhook, error) {
	h, err := s.of(tenantID).FindWebhookByID(ctx, tenantID, id)
	return h, s.domain(err)
}

func (s *httpStore) FindWebhooks(ctx context.Context, tenantID convstore.ID, f convstore.WebhookFilter) ([]*convstore.Webhook, bool, error) {
	hs, more, err := s.of(tenantID).FindWebhooks(ctx, tenantID, f)
	return hs, more, s.domain(err)
}

func (s *httpStore) UpdateWebhook(ctx context.Context, tenantID, id convstore.ID, u *convstore.WebhookUpdate, p convstore.DeleteParams) (*convstore.Webhook, error) {
	h, err := s.as(tenantID, p.ActorKeyID).UpdateWebhook(ctx, tenantID, id, u, p)
	return h, s.domain(err)
}

func (s *httpStore) DeleteWebhook(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) error {
	return s.domain(s.as(tenantID, p.ActorKeyID).DeleteWebhook(ctx, tenantID, id, p))
}

func (s *httpStore) RotateWebhookSecret(ctx context.Context, tenantID, id convstore.ID, overlap *time.Duration, p convstore.DeleteParams) (*convstore.WebhookSecret, error) {
	sec, err := s.as(tenantID, p.ActorKeyID).RotateWebhookSecret(ctx, tenantID, id, overlap, p)
	return sec, s.domain(err)
}

func (s *httpStore) FindWebhookDeliveries(ctx context.Context, tenantID, webhookID convstore.ID, f convstore.WebhookDeliveryFilter) ([]*convstore.WebhookDelivery, bool, error) {
	ds, more, err := s.of(tenantID).FindWebhookDeliveries(ctx, tenantID, webhookID, f)
	return ds, more, s.domain(err)
}

func (s *httpStore) FindWebhookDelivery(ctx context.Context, tenantID, webhookID, id convstore.ID) (*convstore.WebhookDelivery, []*convstore.WebhookAttempt, error) {
	d, as, err := s.of(tenantID).FindWebhookDelivery(ctx, tenantID, webhookID, id)
	return d, as, s.domain(err)
}

func (s *httpStore) ReplayWebhookDelivery(ctx context.Context, tenantID, webhookID, id convstore.ID) (*convstore.WebhookDelivery, error) {
	d, err := s.of(tenantID).ReplayWebhookDelivery(ctx, tenantID, webhookID, id)
	return d, s.domain(err)
}

func (s *httpStore) TestWebhook(ctx context.Context, tenantID, id convstore.ID) (*convstore.WebhookDelivery, error) {
	d, err := s.of(tenantID).TestWebhook(ctx, tenantID, id)
	return d, s.domain(err)
}
