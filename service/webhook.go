package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var _ convstore.WebhookService = (*Service)(nil)

// maxWebhookAttempts bounds the attempts FindWebhookDelivery lists.
const maxWebhookAttempts = 100

// Webhook secrets are stored as they are shown, not sealed, even in a
// sealed store: the delivery engine needs them in the clear to sign each
// delivery (unlike API keys, of which a hash is enough), and what the
// keyring offers to seal with is either a conversation's data key or an
// epoch key that key rotation destroys after its retention, which would
// leave every webhook unable to sign. The column is bytea/BLOB so that a
// sealed form (recognized by seal.IsSealed) can be introduced in place.

// CreateWebhook registers a webhook whose cursor starts after the
// tenant's events committed so far (numbered first), so it receives only
// later ones. The tenant's row is locked so two creations count its
// webhooks in turn.
func (s *Service) CreateWebhook(ctx context.Context, tenantID convstore.ID, c *convstore.WebhookCreate, p convstore.DeleteParams) (*convstore.Webhook, *convstore.WebhookSecret, error) {
	if err := c.Validate(); err != nil {
		return nil, nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	if err := s.hooks.check(c.URL); err != nil {
		return nil, nil, err
	}
	if err := s.numberEvents(ctx, tenantID); err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND {
		return nil, nil, err
	}
	secret := convstore.NewWebhookSecret()
	var row *driver.WebhookRow
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if err := tx.TenantLock(ctx, tenantID); err != nil {
			return err
		}
		existing, err := tx.WebhookList(ctx, tenantID, driver.Page{Limit: convstore.MaxWebhooks})
		if err != nil {
			return err
		}
		if len(existing) >= convstore.MaxWebhooks {
			return convstore.Invalidf("url", "a tenant can have at most %d webhooks; delete one first", convstore.MaxWebhooks)
		}
		now := s.now()
		row = &driver.WebhookRow{Webhook: convstore.Webhook{ID: s.newID(), TenantID: tenantID, URL: c.URL, Events: c.Events,
			Description: c.Description, State: convstore.WebhookEnabled, CreatedAt: now, UpdatedAt: now}, Secret: []byte(secret)}
		if err := tx.WebhookInsert(ctx, row); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditWebhookCreate, convstore.ID{}, row.ID, p); err != nil {
			return err
		}
		row, err = tx.WebhookGet(ctx, tenantID, row.ID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return webhookOf(row), &convstore.WebhookSecret{WebhookID: row.ID, Secret: secret}, nil
}

// FindWebhookByID returns a webhook.
func (s *Service) FindWebhookByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Webhook, error) {
	row, err := s.drv.Reads().WebhookGet(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return webhookOf(row), nil
}

// FindWebhooks returns a page of webhooks, oldest first by default.
func (s *Service) FindWebhooks(ctx context.Context, tenantID convstore.ID, f convstore.WebhookFilter) ([]*convstore.Webhook, bool, error) {
	if err := f.Normalize(convstore.OrderAsc); err != nil {
		return nil, false, err
	}
	rows, err := s.drv.Reads().WebhookList(ctx, tenantID, pageOf(f.PageFilter, 0))
	if err != nil {
		return nil, false, err
	}
	rows, more := trim(rows, f.Limit)
	out := make([]*convstore.Webhook, len(rows))
	for i, r := range rows {
		out[i] = webhookOf(r)
	}
	return out, more, nil
}

// UpdateWebhook changes the fields set; Enabled true also clears the
// failure record, so automatic disabling counts afresh.
func (s *Service) UpdateWebhook(ctx context.Context, tenantID, id convstore.ID, u *convstore.WebhookUpdate, dp convstore.DeleteParams) (*convstore.Webhook, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := dp.Validate(); err != nil {
		return nil, err
	}
	if u.URL != nil {
		if err := s.hooks.check(*u.URL); err != nil {
			return nil, err
		}
	}
	p := &driver.WebhookUpdateParams{TenantID: tenantID, ID: id, URL: u.URL, Events: u.Events, Description: u.Description}
	if u.Enabled != nil {
		p.Enable, p.Disable = *u.Enabled, !*u.Enabled
		p.DisabledReason = "disabled by its owner"
	}
	var row *driver.WebhookRow
	err := s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		p.UpdatedAt = s.now()
		var err error
		if row, err = tx.WebhookUpdate(ctx, p); err != nil {
			return err
		}
		return s.audit(ctx, tx, p.UpdatedAt, tenantID, convstore.AuditWebhookUpdate, convstore.ID{}, id, dp)
	})
	if err != nil {
		return nil, err
	}
	return webhookOf(row), nil
}

// DeleteWebhook deletes a webhook with its deliveries and their log.
func (s *Service) DeleteWebhook(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if err := tx.WebhookDelete(ctx, tenantID, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, s.now(), tenantID, convstore.AuditWebhookDelete, convstore.ID{}, id, p)
	})
}

// RotateWebhookSecret stores a new secret, keeping the previous one valid
// for the overlap.
func (s *Service) RotateWebhookSecret(ctx context.Context, tenantID, id convstore.ID, overlap *time.Duration, p convstore.DeleteParams) (*convstore.WebhookSecret, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	d := convstore.DefaultWebhookSecretOverlap
	if overlap != nil {
		d = *overlap
	}
	if d < 0 || d > convstore.MaxWebhookSecretOverlap {
		return nil, convstore.Invalidf("overlap_seconds", "overlap_seconds must be between 0 and %d (7 days)",
			int64(convstore.MaxWebhookSecretOverlap/time.Second))
	}
	secret := convstore.NewWebhookSecret()
	var until time.Time
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		until = now.Add(d)
		if _, err := tx.WebhookRotateSecret(ctx, tenantID, id, []byte(secret), until, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, tenantID, convstore.AuditWebhookRotate, convstore.ID{}, id, p)
	})
	if err != nil {
		return nil, err
	}
	return &convstore.WebhookSecret{WebhookID: id, Secret: secret, PreviousExpiresAt: &until}, nil
}

// webhookSecrets returns the secrets a delivery to w is signed with at
// now: the current one, and the previous one while its overlap lasts.
func webhookSecrets(w *driver.WebhookRow, now time.Time) []string {
	out := []string{string(w.Secret)}
	if len(w.PreviousSecret) > 0 && w.PreviousSecretExpiresAt != nil && now.Before(*w.PreviousSecretExpiresAt) {
		out = append(out, string(w.PreviousSecret))
	}
	return out
}

// FindWebhookDeliveries returns a page of the webhook's deliveries,
// newest first by default.
func (s *Service) FindWebhookDeliveries(ctx context.Context, tenantID, webhookID convstore.ID, f convstore.WebhookDeliveryFilter) ([]*convstore.WebhookDelivery, bool, error) {
	if err := f.Normalize(); err != nil {
		return nil, false, err
	}
	r := s.drv.Reads()
	if _, err := r.WebhookGet(ctx, tenantID, webhookID); err != nil {
		return nil, false, err
	}
	rows, err := r.WebhookDeliveryList(ctx, &driver.WebhookDeliveryListParams{TenantID: tenantID, WebhookID: webhookID, State: f.State,
		Page: pageOf(f.PageFilter, 0)})
	if err != nil {
		return nil, false, err
	}
	rows, more := trim(rows, f.Limit)
	return rows, more, nil
}

// FindWebhookDelivery returns a delivery with its attempts, of one
// snapshot.
func (s *Service) FindWebhookDelivery(ctx context.Context, tenantID, webhookID, id convstore.ID) (*convstore.WebhookDelivery, []*convstore.WebhookAttempt, error) {
	var d *convstore.WebhookDelivery
	var attempts []*convstore.WebhookAttempt
	err := s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		var err error
		if d, err = r.WebhookDeliveryGet(ctx, tenantID, webhookID, id); err != nil {
			return err
		}
		attempts, err = r.WebhookAttemptList(ctx, tenantID, id, maxWebhookAttempts)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return d, attempts, nil
}

// ReplayWebhookDelivery makes a delivery pending and due now, and wakes
// this node's delivery workers.
func (s *Service) ReplayWebhookDelivery(ctx context.Context, tenantID, webhookID, id convstore.ID) (*convstore.WebhookDelivery, error) {
	var d *convstore.WebhookDelivery
	err := s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		var err error
		d, err = tx.WebhookDeliveryReplay(ctx, tenantID, webhookID, id, s.now())
		return err
	})
	return d, err
}

// webhookTestEvent is the payload of a webhook.test event.
type webhookTestEvent struct {
	WebhookID string `json:"webhook_id"`
	Message   string `json:"message"`
}

// TestWebhook queues a webhook.test delivery to the webhook (whatever
// its filter), due now, and wakes this node's delivery workers. The event
// is not written to the outbox: it has an id, for the receiver to
// deduplicate, but no sequence number.
func (s *Service) TestWebhook(ctx context.Context, tenantID, id convstore.ID) (*convstore.WebhookDelivery, error) {
	data, err := json.Marshal(webhookTestEvent{WebhookID: id.Format(convstore.PrefixWebhook),
		Message: "A test event from convstore: this webhook receives events."})
	if err != nil {
		return nil, err
	}
	var d *convstore.WebhookDelivery
	err = s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if _, err := tx.WebhookGet(ctx, tenantID, id); err != nil {
			return err
		}
		now := s.now()
		d = &convstore.WebhookDelivery{ID: s.newID(), TenantID: tenantID, WebhookID: id, EventID: s.newID(),
			EventType: convstore.EventWebhookTest, OccurredAt: now, Data: data, State: convstore.DeliveryPending,
			NextAttemptAt: now, CreatedAt: now}
		return tx.WebhookDeliveryInsert(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// webhookOf returns the webhook of a row, without its secrets.
func webhookOf(r *driver.WebhookRow) *convstore.Webhook {
	w := r.Webhook
	return &w
}
