package api

import (
	"time"

	"github.com/convstore/convstore"
)

// Object names of webhooks and their deliveries.
const (
	ObjectWebhook         = "webhook"
	ObjectWebhookDeleted  = "webhook.deleted"
	ObjectWebhookSecret   = "webhook.secret"
	ObjectWebhookDelivery = "webhook.delivery"
	ObjectWebhookAttempt  = "webhook.attempt"
)

// Webhook is the wire form of a webhook. Secret is set only in the answer
// to its creation: it is never shown again (rotate it to get a new one).
type Webhook struct {
	ID                      string   `json:"id"`
	Object                  string   `json:"object"`
	URL                     string   `json:"url"`
	Events                  []string `json:"events"` // [] for every type
	Description             string   `json:"description"`
	State                   string   `json:"state"` // "enabled" or "disabled"
	DisabledReason          *string  `json:"disabled_reason"`
	DisabledAt              *int64   `json:"disabled_at"`
	PreviousSecretExpiresAt *int64   `json:"previous_secret_expires_at"`
	CreatedAt               int64    `json:"created_at"`
	UpdatedAt               int64    `json:"updated_at"`
	Secret                  string   `json:"secret,omitempty"`
}

// WebhookCreate is the body of POST /v1/webhooks.
type WebhookCreate struct {
	URL         string   `json:"url"`
	Events      []string `json:"events,omitempty"`
	Description string   `json:"description,omitempty"`
}

// WebhookUpdate is the body of PATCH /v1/webhooks/{id}: absent fields stay
// as they are; enabled true enables a disabled webhook, false disables it.
type WebhookUpdate struct {
	URL         *string   `json:"url,omitempty"`
	Events      *[]string `json:"events,omitempty"`
	Description *string   `json:"description,omitempty"`
	Enabled     *bool     `json:"enabled,omitempty"`
}

// WebhookRotate is the body of POST /v1/webhooks/{id}/rotate_secret.
type WebhookRotate struct {
	// OverlapSeconds is how long the previous secret stays valid
	// (absent: 86400; 0: not at all; at most 604800).
	OverlapSeconds *int64 `json:"overlap_seconds,omitempty"`
}

// WebhookSecret is the answer to a secret rotation: the new secret, shown
// once.
type WebhookSecret struct {
	Object                  string `json:"object"`
	WebhookID               string `json:"webhook_id"`
	Secret                  string `json:"secret"`
	PreviousSecretExpiresAt *int64 `json:"previous_secret_expires_at"`
}

// WebhookDelivery is the wire form of one event's delivery to a webhook.
// Attempts is set only when one delivery is read.
type WebhookDelivery struct {
	ID             string            `json:"id"`
	Object         string            `json:"object"`
	WebhookID      string            `json:"webhook_id"`
	EventID        string            `json:"event_id"`
	EventType      string            `json:"event_type"`
	Sequence       int64             `json:"sequence"` // 0 for a test event
	ConversationID *string           `json:"conversation_id"`
	State          string            `json:"state"`
	AttemptCount   int               `json:"attempt_count"`
	NextAttemptAt  *int64            `json:"next_attempt_at"` // null unless pending
	LastAttemptAt  *int64            `json:"last_attempt_at"`
	LastStatus     *int              `json:"last_status"` // HTTP status; null if none was received
	LastLatencyMS  *int64            `json:"last_latency_ms"`
	LastError      *string           `json:"last_error"`
	ResponsePrefix *string           `json:"response_prefix"` // at most 256 bytes of the last response body
	CreatedAt      int64             `json:"created_at"`
	DeliveredAt    *int64            `json:"delivered_at"`
	Attempts       *[]WebhookAttempt `json:"attempts,omitempty"` // set (maybe empty) when one delivery is read
}

// WebhookAttempt is one attempt of a delivery.
type WebhookAttempt struct {
	Object         string  `json:"object"`
	Attempt        int     `json:"attempt"`
	StartedAt      int64   `json:"started_at"`
	LatencyMS      int64   `json:"latency_ms"`
	Status         *int    `json:"status"`
	Error          *string `json:"error"`
	ResponsePrefix *string `json:"response_prefix"`
}

// FromWebhook converts a webhook to its wire form (without a secret).
func FromWebhook(h *convstore.Webhook) Webhook {
	events := h.Events
	if events == nil {
		events = []string{}
	}
	return Webhook{
		ID: h.ID.Format(convstore.PrefixWebhook), Object: ObjectWebhook, URL: h.URL, Events: events, Description: h.Description,
		State: h.State, DisabledReason: optString(h.DisabledReason), DisabledAt: optUnix(h.DisabledAt),
		PreviousSecretExpiresAt: optUnix(h.PreviousSecretExpiresAt), CreatedAt: Unix(h.CreatedAt), UpdatedAt: Unix(h.UpdatedAt),
	}
}

// ToWebhook converts a wire webhook to the domain type.
func ToWebhook(w *Webhook) *convstore.Webhook {
	h := &convstore.Webhook{URL: w.URL, Events: w.Events, Description: w.Description, State: w.State,
		CreatedAt: time.Unix(w.CreatedAt, 0).UTC(), UpdatedAt: time.Unix(w.UpdatedAt, 0).UTC(),
		DisabledAt: fromUnix(w.DisabledAt), PreviousSecretExpiresAt: fromUnix(w.PreviousSecretExpiresAt)}
	h.ID, _ = convstore.ParseID(convstore.PrefixWebhook, "id", w.ID)
	if len(h.Events) == 0 {
		h.Events = nil
	}
	if w.DisabledReason != nil {
		h.DisabledReason = *w.DisabledReason
	}
	return h
}

// FromWebhookSecret converts a secret to its wire form.
func FromWebhookSecret(s *convstore.WebhookSecret) WebhookSecret {
	return WebhookSecret{Object: ObjectWebhookSecret, WebhookID: s.WebhookID.Format(convstore.PrefixWebhook), Secret: s.Secret,
		PreviousSecretExpiresAt: optUnix(s.PreviousExpiresAt)}
}

// FromWebhookDelivery converts a delivery to the wire form, with its
// attempts (for one read alone) when attempts is not nil.
func FromWebhookDelivery(d *convstore.WebhookDelivery, attempts []*convstore.WebhookAttempt) WebhookDelivery {
	out := WebhookDelivery{
		ID: d.ID.Format(convstore.PrefixWebhookDelivery), Object: ObjectWebhookDelivery, WebhookID: d.WebhookID.Format(convstore.PrefixWebhook),
		EventID: d.EventID.Format(convstore.PrefixEvent), EventType: d.EventType, Sequence: d.Seq,
		ConversationID: optID(d.ConversationID, convstore.PrefixConversation), State: d.State, AttemptCount: d.Attempts,
		LastAttemptAt: optUnix(d.LastAttemptAt), LastError: optString(d.LastError), ResponsePrefix: optString(d.ResponsePrefix),
		CreatedAt: Unix(d.CreatedAt), DeliveredAt: optUnix(d.DeliveredAt),
	}
	if d.State == convstore.DeliveryPending {
		out.NextAttemptAt = optUnix(&d.NextAttemptAt)
	}
	if d.LastAttemptAt != nil {
		ms := d.LastLatency.Milliseconds()
		out.LastLatencyMS = &ms
		if d.LastStatus != 0 {
			st := d.LastStatus
			out.LastStatus = &st
		}
	}
	if attempts != nil {
		out.Attempts = &[]WebhookAttempt{}
	}
	for _, a := range attempts {
		wa := WebhookAttempt{Object: ObjectWebhookAttempt, Attempt: a.Attempt, StartedAt: Unix(a.StartedAt), LatencyMS: a.Latency.Milliseconds(),
			Error: optString(a.Error), ResponsePrefix: optString(a.ResponsePrefix)}
		if a.Status != 0 {
			st := a.Status
			wa.Status = &st
		}
		*out.Attempts = append(*out.Attempts, wa)
	}
	return out
}

// ToWebhookDelivery converts a wire delivery to the domain type (with its
// attempts, if listed).
func ToWebhookDelivery(w *WebhookDelivery) (*convstore.WebhookDelivery, []*convstore.WebhookAttempt) {
	d := &convstore.WebhookDelivery{EventType: w.EventType, Seq: w.Sequence, State: w.State, Attempts: w.AttemptCount,
		LastAttemptAt: fromUnix(w.LastAttemptAt), CreatedAt: time.Unix(w.CreatedAt, 0).UTC(), DeliveredAt: fromUnix(w.DeliveredAt)}
	d.ID, _ = convstore.ParseID(convstore.PrefixWebhookDelivery, "id", w.ID)
	d.WebhookID, _ = convstore.ParseID(convstore.PrefixWebhook, "webhook_id", w.WebhookID)
	d.EventID, _ = convstore.ParseID(convstore.PrefixEvent, "event_id", w.EventID)
	if w.ConversationID != nil {
		d.ConversationID, _ = convstore.ParseID(convstore.PrefixConversation, "conversation_id", *w.ConversationID)
	}
	if w.NextAttemptAt != nil {
		d.NextAttemptAt = time.Unix(*w.NextAttemptAt, 0).UTC()
	}
	if w.LastStatus != nil {
		d.LastStatus = *w.LastStatus
	}
	if w.LastLatencyMS != nil {
		d.LastLatency = time.Duration(*w.LastLatencyMS) * time.Millisecond
	}
	if w.LastError != nil {
		d.LastError = *w.LastError
	}
	if w.ResponsePrefix != nil {
		d.ResponsePrefix = *w.ResponsePrefix
	}
	var attempts []*convstore.WebhookAttempt
	if w.Attempts == nil {
		return d, nil
	}
	attempts = []*convstore.WebhookAttempt{}
	for _, a := range *w.Attempts {
		ca := &convstore.WebhookAttempt{DeliveryID: d.ID, Attempt: a.Attempt, StartedAt: time.Unix(a.StartedAt, 0).UTC(),
			Latency: time.Duration(a.LatencyMS) * time.Millisecond}
		if a.Status != nil {
			ca.Status = *a.Status
		}
		if a.Error != nil {
			ca.Error = *a.Error
		}
		if a.ResponsePrefix != nil {
			ca.ResponsePrefix = *a.ResponsePrefix
		}
		attempts = append(attempts, ca)
	}
	return d, attempts
}
