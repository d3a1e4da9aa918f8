package v1

import (
	"net/http"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// createWebhook serves POST /v1/webhooks: 201 with the webhook and its
// secret, the only answer that shows it.
func (d *Door) createWebhook(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in api.WebhookCreate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	h, secret, err := d.store.CreateWebhook(r.Context(), convhttp.Tenant(r),
		&convstore.WebhookCreate{URL: in.URL, Events: in.Events, Description: in.Description}, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	out := api.FromWebhook(h)
	out.Secret = secret.Secret
	return created(w, out)
}

// listWebhooks serves GET /v1/webhooks: oldest first by default.
func (d *Door) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, pageParams...)
	if err != nil {
		return err
	}
	var f convstore.WebhookFilter
	if f.PageFilter, err = page(q, convstore.PrefixWebhook, convstore.OrderAsc); err != nil {
		return err
	}
	hooks, more, err := d.store.FindWebhooks(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	return ok(w, newList(hooks, more, api.FromWebhook, func(h *api.Webhook) string { return h.ID }))
}

// webhookID parses the path's webhook id and refuses any query.
func webhookID(r *http.Request) (convstore.ID, error) {
	id, err := pathID(r, "webhook_id", convstore.PrefixWebhook)
	if err != nil {
		return id, err
	}
	_, err = parseQuery(r)
	return id, err
}

// getWebhook serves GET /v1/webhooks/{webhook_id}.
func (d *Door) getWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	h, err := d.store.FindWebhookByID(r.Context(), convhttp.Tenant(r), id)
	if err != nil {
		return err
	}
	return ok(w, api.FromWebhook(h))
}

// updateWebhook serves PATCH /v1/webhooks/{webhook_id}.
func (d *Door) updateWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	var in api.WebhookUpdate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	h, err := d.store.UpdateWebhook(r.Context(), convhttp.Tenant(r), id,
		&convstore.WebhookUpdate{URL: in.URL, Events: in.Events, Description: in.Description, Enabled: in.Enabled},
		convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return ok(w, api.FromWebhook(h))
}

// deleteWebhook serves DELETE /v1/webhooks/{webhook_id}.
func (d *Door) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	if err := d.store.DeleteWebhook(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName)); err != nil {
		return err
	}
	return ok(w, api.Deleted{ID: id.Format(convstore.PrefixWebhook), Object: api.ObjectWebhookDeleted, Deleted: true})
}

// rotateWebhookSecret serves POST /v1/webhooks/{webhook_id}/rotate_secret:
// the new secret, shown once.
func (d *Door) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	// The body is optional: none rotates with the default overlap.
	var in api.WebhookRotate
	if r.ContentLength != 0 || r.Header.Get("Content-Type") != "" {
		if err := d.srv.DecodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	var overlap *time.Duration
	if in.OverlapSeconds != nil {
		max := int64(convstore.MaxWebhookSecretOverlap / time.Second)
		if *in.OverlapSeconds < 0 || *in.OverlapSeconds > max {
			return convstore.Invalidf("overlap_seconds", "overlap_seconds must be between 0 and %d (7 days)", max)
		}
		o := time.Duration(*in.OverlapSeconds) * time.Second
		overlap = &o
	}
	s, err := d.store.RotateWebhookSecret(r.Context(), convhttp.Tenant(r), id, overlap, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return ok(w, api.FromWebhookSecret(s))
}

// listWebhookDeliveries serves GET /v1/webhooks/{webhook_id}/deliveries:
// newest first by default, of one state if asked.
func (d *Door) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "webhook_id", convstore.PrefixWebhook)
	if err != nil {
		return err
	}
	q, err := parseQuery(r, withPage("state")...)
	if err != nil {
		return err
	}
	var f convstore.WebhookDeliveryFilter
	if f.PageFilter, err = page(q, convstore.PrefixWebhookDelivery, convstore.OrderDesc); err != nil {
		return err
	}
	if f.State, _, err = q.Enum("state", convstore.DeliveryPending, convstore.DeliveryDelivering, convstore.DeliverySucceeded,
		convstore.DeliveryFailed); err != nil {
		return err
	}
	list, more, err := d.store.FindWebhookDeliveries(r.Context(), convhttp.Tenant(r), id, f)
	if err != nil {
		return err
	}
	return ok(w, newList(list, more, func(d *convstore.WebhookDelivery) api.WebhookDelivery { return api.FromWebhookDelivery(d, nil) },
		func(d *api.WebhookDelivery) string { return d.ID }))
}

// deliveryIDs parses the path's webhook and delivery ids and refuses any
// query.
func deliveryIDs(r *http.Request) (hook, delivery convstore.ID, err error) {
	if hook, err = pathID(r, "webhook_id", convstore.PrefixWebhook); err != nil {
		return
	}
	if delivery, err = pathID(r, "delivery_id", convstore.PrefixWebhookDelivery); err != nil {
		return
	}
	_, err = parseQuery(r)
	return
}

// getWebhookDelivery serves GET
// /v1/webhooks/{webhook_id}/deliveries/{delivery_id}, with its attempts.
func (d *Door) getWebhookDelivery(w http.ResponseWriter, r *http.Request) error {
	hook, id, err := deliveryIDs(r)
	if err != nil {
		return err
	}
	del, attempts, err := d.store.FindWebhookDelivery(r.Context(), convhttp.Tenant(r), hook, id)
	if err != nil {
		return err
	}
	if attempts == nil {
		attempts = []*convstore.WebhookAttempt{}
	}
	return ok(w, api.FromWebhookDelivery(del, attempts))
}

// replayWebhookDelivery serves POST
// /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay: 202, the
// delivery pending again.
func (d *Door) replayWebhookDelivery(w http.ResponseWriter, r *http.Request) error {
	hook, id, err := deliveryIDs(r)
	if err != nil {
		return err
	}
	del, err := d.store.ReplayWebhookDelivery(r.Context(), convhttp.Tenant(r), hook, id)
	if err != nil {
		return err
	}
	return convhttp.WriteJSON(w, http.StatusAccepted, api.FromWebhookDelivery(del, nil))
}

// testWebhook serves POST /v1/webhooks/{webhook_id}/test: 202, the
// webhook.test delivery queued.
func (d *Door) testWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := webhookID(r)
	if err != nil {
		return err
	}
	del, err := d.store.TestWebhook(r.Context(), convhttp.Tenant(r), id)
	if err != nil {
		return err
	}
	return convhttp.WriteJSON(w, http.StatusAccepted, api.FromWebhookDelivery(del, nil))
}
