package convstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// ID prefixes of webhooks and their deliveries.
const (
	PrefixWebhook         = "wh"
	PrefixWebhookDelivery = "whd"
)

// EventWebhookTest is the type of the synthetic event a webhook test
// sends. It is never written to the outbox (nor listed by FindEvents),
// only delivered to the one webhook tested; a webhook may name it in its
// filter without effect.
const EventWebhookTest = "webhook.test"

// Webhook limits.
const (
	MaxWebhookURLLen         = 2048
	MaxWebhookDescriptionLen = 512
	// MaxWebhooks bounds a tenant's webhooks: each one is fanned out to
	// and delivered on its own.
	MaxWebhooks = 50
	// MaxWebhookResponsePrefix bounds the response body a delivery keeps:
	// a short prefix for debugging, never the whole body.
	MaxWebhookResponsePrefix = 256
	// MaxWebhookErrorLen bounds the error text an attempt keeps.
	MaxWebhookErrorLen = 256
	// DefaultWebhookSecretOverlap is how long a rotated secret's
	// predecessor stays valid unless the caller says otherwise;
	// MaxWebhookSecretOverlap bounds it.
	DefaultWebhookSecretOverlap = 24 * time.Hour
	MaxWebhookSecretOverlap     = 7 * 24 * time.Hour
)

// Audit actions of webhooks: each records who registered, changed,
// deleted a webhook or rotated its secret (target: the webhook).
const (
	AuditWebhookCreate = "webhook.create"
	AuditWebhookUpdate = "webhook.update"
	AuditWebhookDelete = "webhook.delete"
	AuditWebhookRotate = "webhook.rotate_secret"
)

// Webhook states.
const (
	WebhookEnabled  = "enabled"
	WebhookDisabled = "disabled"
)

// Webhook delivery states. A delivery is pending until a worker claims
// it (delivering, under a lease that ends if the worker dies), then
// succeeded, pending again with a later NextAttemptAt, or failed once
// its retries are spent.
const (
	DeliveryPending    = "pending"
	DeliveryDelivering = "delivering"
	DeliverySucceeded  = "succeeded"
	DeliveryFailed     = "failed"
)

// IsDeliveryState reports whether s is one of the delivery states.
func IsDeliveryState(s string) bool {
	switch s {
	case DeliveryPending, DeliveryDelivering, DeliverySucceeded, DeliveryFailed:
		return true
	}
	return false
}

// Webhook is a tenant's HTTP endpoint that receives its events, each
// signed with the webhook's secret (Standard Webhooks). Events filters
// them by type; empty means every type. A disabled webhook (by its owner,
// or automatically after persistent failure, see DisabledReason) receives
// nothing until it is enabled again, and then receives the events it
// missed that the outbox still keeps. The secret is never part of it:
// it is shown once, as WebhookSecret.
type Webhook struct {
	ID             ID
	TenantID       ID
	URL            string
	Events         []string
	Description    string
	State          string // WebhookEnabled or WebhookDisabled
	DisabledReason string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DisabledAt     *time.Time
	// PreviousSecretExpiresAt is set while a rotated secret's predecessor
	// is still valid (deliveries are signed with both until then).
	PreviousSecretExpiresAt *time.Time
}

// Wants reports whether the webhook's filter takes events of type t.
func (w *Webhook) Wants(t string) bool {
	if len(w.Events) == 0 {
		return true
	}
	for _, e := range w.Events {
		if e == t {
			return true
		}
	}
	return false
}

// WebhookSecret is a webhook's signing secret, returned once: when the
// webhook is created and when its secret is rotated.
type WebhookSecret struct {
	WebhookID ID
	Secret    string
	// PreviousExpiresAt is when the secret it replaced stops being used
	// (nil at creation).
	PreviousExpiresAt *time.Time
}

// webhookSecretPrefix marks a webhook secret, as the Standard Webhooks
// libraries expect ("whsec_" + base64 of the key).
const webhookSecretPrefix = "whsec_"

// NewWebhookSecret returns a new secret: "whsec_" and the standard base64
// of 32 random bytes.
func NewWebhookSecret() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("convstore: crypto/rand failed: " + err.Error())
	}
	return webhookSecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// WebhookSecretKey returns the signing key of a secret NewWebhookSecret
// made: the bytes after the prefix, base64-decoded.
func WebhookSecretKey(secret string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, webhookSecretPrefix))
	if err != nil {
		return nil, Errorf(EINTERNAL, "a webhook secret is not whsec_ and base64")
	}
	return key, nil
}

// WebhookCreate is the input of CreateWebhook.
type WebhookCreate struct {
	URL         string
	Events      []string
	Description string
}

// Validate checks the URL, the event filter and the description, and
// removes duplicate event types.
func (c *WebhookCreate) Validate() error {
	if err := ValidWebhookURL(c.URL); err != nil {
		return err
	}
	events, err := validWebhookEvents(c.Events)
	if err != nil {
		return err
	}
	c.Events = events
	return validText("description", c.Description, MaxWebhookDescriptionLen)
}

// WebhookUpdate is the input of UpdateWebhook: nil fields stay as they
// are. Enabled true enables a disabled webhook (and clears its failure
// record); false disables it.
type WebhookUpdate struct {
	URL         *string
	Events      *[]string
	Description *string
	Enabled     *bool
}

// Validate checks the fields set, as WebhookCreate.Validate does.
func (u *WebhookUpdate) Validate() error {
	if u.URL != nil {
		if err := ValidWebhookURL(*u.URL); err != nil {
			return err
		}
	}
	if u.Events != nil {
		events, err := validWebhookEvents(*u.Events)
		if err != nil {
			return err
		}
		u.Events = &events
	}
	if u.Description != nil {
		return validText("description", *u.Description, MaxWebhookDescriptionLen)
	}
	return nil
}

// ValidWebhookURL checks that s is an absolute http or https URL of at
// most MaxWebhookURLLen bytes with a host and without user information
// (credentials in a URL end up in logs) or a fragment. Where it may point
// (SSRF) is the service's check, which knows the server's own addresses.
func ValidWebhookURL(s string) error {
	if s == "" {
		return Invalidf("url", "url is required: the http or https address that receives the events")
	}
	if len(s) > MaxWebhookURLLen {
		return Invalidf("url", "url must be at most %d bytes", MaxWebhookURLLen)
	}
	u, err := url.Parse(s)
	if err != nil {
		return Invalidf("url", "url is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Invalidf("url", "url must be an absolute http or https URL")
	}
	if u.Hostname() == "" {
		return Invalidf("url", "url must name a host")
	}
	if u.User != nil {
		return Invalidf("url", "url must not contain user information (user:password@); authenticate by the signature")
	}
	if u.Fragment != "" || strings.Contains(s, "#") {
		return Invalidf("url", "url must not contain a fragment (#…)")
	}
	return nil
}

func validWebhookEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(events))
	seen := map[string]bool{}
	for _, e := range events {
		if !IsEventType(e) && e != EventWebhookTest {
			return nil, Invalidf("events", "events: %q is not an event type (conversation.deleted, …, or webhook.test)", truncate(e, 64))
		}
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out, nil
}

// truncate cuts s to at most n bytes, for echoing input in a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// WebhookFilter selects a tenant's webhooks. Default order: asc (oldest
// first).
type WebhookFilter struct {
	PageFilter
}

// WebhookDelivery is one event's delivery to one webhook: its state and
// the outcome of its last attempt (WebhookAttempt has each one). It
// carries its event (type, payload, time), copied when it was created, so
// it can be delivered and replayed after the outbox has pruned the event.
type WebhookDelivery struct {
	ID             ID
	TenantID       ID
	WebhookID      ID
	EventID        ID
	EventType      string
	Seq            int64 // the event's Seq; 0 for a test event
	ConversationID ID
	OccurredAt     time.Time
	Data           json.RawMessage
	State          string // Delivery*
	Attempts       int
	NextAttemptAt  time.Time
	LastAttemptAt  *time.Time
	LastStatus     int // HTTP status of the last attempt; 0 if none was received
	LastLatency    time.Duration
	LastError      string
	ResponsePrefix string // at most MaxWebhookResponsePrefix bytes of the last response body
	CreatedAt      time.Time
	DeliveredAt    *time.Time
}

// WebhookAttempt is one attempt of a delivery, kept in the delivery log.
type WebhookAttempt struct {
	DeliveryID     ID
	Attempt        int // 1, 2, … in the order made
	StartedAt      time.Time
	Latency        time.Duration
	Status         int // HTTP status; 0 if none was received
	Error          string
	ResponsePrefix string
}

// WebhookDeliveryFilter selects a webhook's deliveries. Default order:
// desc (newest first). State is "" for every state.
type WebhookDeliveryFilter struct {
	PageFilter
	State string
}

// Normalize validates the filter and applies defaults.
func (f *WebhookDeliveryFilter) Normalize() error {
	if f.State != "" && !IsDeliveryState(f.State) {
		return Invalidf("state", "state must be pending, delivering, succeeded or failed")
	}
	return f.PageFilter.Normalize(OrderDesc)
}

// WebhookService manages a tenant's webhooks and shows their delivery
// log. Every method is scoped to the tenant: another tenant's webhook or
// delivery is ENOTFOUND, exactly like a missing one. Creating, changing
// and deleting a webhook and rotating its secret each write an audit entry
// (AuditWebhook*, actor p) in the same transaction.
type WebhookService interface {
	// CreateWebhook registers a webhook, enabled, that receives the
	// tenant's events from now on (not those before), and returns it
	// with its secret, which is never shown again. EINVALID for a bad
	// URL, one that points at a forbidden address (SSRF), an unknown
	// event type, or a tenant that has MaxWebhooks already.
	CreateWebhook(ctx context.Context, tenantID ID, c *WebhookCreate, p DeleteParams) (*Webhook, *WebhookSecret, error)
	// FindWebhookByID returns a webhook. ENOTFOUND.
	FindWebhookByID(ctx context.Context, tenantID, id ID) (*Webhook, error)
	// FindWebhooks returns a page of the tenant's webhooks and whether
	// more follow.
	FindWebhooks(ctx context.Context, tenantID ID, f WebhookFilter) ([]*Webhook, bool, error)
	// UpdateWebhook changes the fields set. EINVALID as CreateWebhook;
	// ENOTFOUND.
	UpdateWebhook(ctx context.Context, tenantID, id ID, u *WebhookUpdate, p DeleteParams) (*Webhook, error)
	// DeleteWebhook deletes a webhook with its deliveries and their log.
	// ENOTFOUND.
	DeleteWebhook(ctx context.Context, tenantID, id ID, p DeleteParams) error
	// RotateWebhookSecret gives the webhook a new secret and returns it
	// (shown once). The previous secret stays valid for overlap (nil:
	// DefaultWebhookSecretOverlap; 0: not at all, for a leaked secret; at
	// most MaxWebhookSecretOverlap): deliveries are signed with both
	// until then. EINVALID for a bad overlap; ENOTFOUND.
	RotateWebhookSecret(ctx context.Context, tenantID, id ID, overlap *time.Duration, p DeleteParams) (*WebhookSecret, error)
	// FindWebhookDeliveries returns a page of the webhook's deliveries
	// and whether more follow. ENOTFOUND for a missing webhook.
	FindWebhookDeliveries(ctx context.Context, tenantID, webhookID ID, f WebhookDeliveryFilter) ([]*WebhookDelivery, bool, error)
	// FindWebhookDelivery returns a delivery of the webhook with its
	// attempts, oldest first. ENOTFOUND.
	FindWebhookDelivery(ctx context.Context, tenantID, webhookID, id ID) (*WebhookDelivery, []*WebhookAttempt, error)
	// ReplayWebhookDelivery makes a delivery, in any state, pending and
	// due now; its attempts are kept and counted on. ENOTFOUND.
	ReplayWebhookDelivery(ctx context.Context, tenantID, webhookID, id ID) (*WebhookDelivery, error)
	// TestWebhook queues a delivery of a synthetic EventWebhookTest event
	// to the webhook, due now, and returns it. It goes to this webhook
	// only, whatever its filter, and never into the outbox. ENOTFOUND.
	TestWebhook(ctx context.Context, tenantID, id ID) (*WebhookDelivery, error)
}

// ClipWebhookText makes s storable as a delivery's error or response
// prefix: valid UTF-8 (invalid bytes replaced), without NUL (which
// PostgreSQL text refuses), at most max bytes, cut at a rune boundary.
func ClipWebhookText(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
