package v1_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/service"
)

var (
	webhookKeys = []string{"id", "object", "url", "events", "description", "state", "disabled_reason", "disabled_at",
		"previous_secret_expires_at", "created_at", "updated_at"}
	deliveryKeys = []string{"id", "object", "webhook_id", "event_id", "event_type", "sequence", "conversation_id", "state",
		"attempt_count", "next_attempt_at", "last_attempt_at", "last_status", "last_latency_ms", "last_error", "response_prefix",
		"created_at", "delivered_at"}
)

// TestWebhookRoutes checks the webhook routes end to end: the secret only
// in the answers to creation and rotation, the member sets, deliveries,
// replay and test, and 404 for another tenant's ids.
func TestWebhookRoutes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.must(201, "POST", "/v1/webhooks", e.KeyA, map[string]any{"url": "https://example.com/hook",
		"events": []string{"conversation.deleted", "webhook.test"}, "description": "vector index"}, nil)
	m := hasKeys(t, "created webhook", r.Body, append(webhookKeys, "secret")...)
	secret, _ := m["secret"].(string)
	id, _ := m["id"].(string)
	if !strings.HasPrefix(secret, "whsec_") || !strings.HasPrefix(id, "wh_") || m["state"] != "enabled" {
		t.Fatalf("created: %s", r.Body)
	}
	path := "/v1/webhooks/" + id
	r = e.must(200, "GET", path, e.KeyA, nil, nil)
	hasKeys(t, "read webhook", r.Body, webhookKeys...)
	if strings.Contains(string(r.Body), secret) {
		t.Errorf("GET shows the secret: %s", r.Body)
	}
	var list api.List[api.Webhook]
	r = e.must(200, "GET", "/v1/webhooks", e.KeyA, nil, &list)
	if len(list.Data) != 1 || list.Data[0].ID != id || strings.Contains(string(r.Body), secret) {
		t.Errorf("list: %s", r.Body)
	}
	var updated api.Webhook
	e.must(200, "PATCH", path, e.KeyA, map[string]any{"events": []string{}, "enabled": false}, &updated)
	if len(updated.Events) != 0 || updated.State != "disabled" || updated.DisabledReason == nil || updated.DisabledAt == nil {
		t.Errorf("patched: %+v", updated)
	}
	e.must(200, "PATCH", path, e.KeyA, map[string]any{"enabled": true}, &updated)
	if updated.State != "enabled" || updated.DisabledAt != nil {
		t.Errorf("enabled again: %+v", updated)
	}

	// Rotation: a new secret, shown once; no body means the default overlap.
	var rotated api.WebhookSecret
	r = e.must(200, "POST", path+"/rotate_secret", e.KeyA, nil, &rotated)
	hasKeys(t, "rotated", r.Body, "object", "webhook_id", "secret", "previous_secret_expires_at")
	if rotated.Secret == secret || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.PreviousSecretExpiresAt == nil ||
		*rotated.PreviousSecretExpiresAt-updated.UpdatedAt < 86000 {
		t.Errorf("rotated: %+v", rotated)
	}
	e.must(200, "POST", path+"/rotate_secret", e.KeyA, map[string]any{"overlap_seconds": 0}, &rotated)
	problem(t, e.do("POST", path+"/rotate_secret", e.KeyA, map[string]any{"overlap_seconds": 604801}), 422, "invalid", "overlap_seconds")
	if r := e.must(200, "GET", path, e.KeyA, nil, nil); strings.Contains(string(r.Body), rotated.Secret) {
		t.Errorf("GET shows the rotated secret")
	}

	// A test event, its delivery in the log, a replay.
	var test api.WebhookDelivery
	r = e.must(202, "POST", path+"/test", e.KeyA, nil, &test)
	hasKeys(t, "test delivery", r.Body, deliveryKeys...)
	if test.EventType != "webhook.test" || test.State != "pending" || test.Sequence != 0 || test.WebhookID != id ||
		!strings.HasPrefix(test.ID, "whd_") || test.NextAttemptAt == nil {
		t.Errorf("test delivery: %s", r.Body)
	}
	var deliveries api.List[api.WebhookDelivery]
	e.must(200, "GET", path+"/deliveries?state=pending", e.KeyA, nil, &deliveries)
	if len(deliveries.Data) != 1 || deliveries.Data[0].ID != test.ID {
		t.Errorf("pending deliveries: %+v", deliveries)
	}
	e.must(200, "GET", path+"/deliveries?state=succeeded", e.KeyA, nil, &deliveries)
	if len(deliveries.Data) != 0 {
		t.Errorf("succeeded deliveries: %+v", deliveries)
	}
	problem(t, e.do("GET", path+"/deliveries?state=lost", e.KeyA, nil), 400, "invalid_parameter", "state")
	r = e.must(200, "GET", path+"/deliveries/"+test.ID, e.KeyA, nil, nil)
	if m := hasKeys(t, "one delivery", r.Body, append(deliveryKeys, "attempts")...); len(m["attempts"].([]any)) != 0 {
		t.Errorf("attempts of a new delivery: %v", m["attempts"])
	}
	r = e.must(202, "POST", path+"/deliveries/"+test.ID+"/replay", e.KeyA, nil, nil)
	hasKeys(t, "replayed", r.Body, deliveryKeys...)

	// Another tenant's ids answer 404, like missing ones.
	for _, rt := range []struct{ method, path string }{
		{"GET", path}, {"PATCH", path}, {"DELETE", path}, {"POST", path + "/rotate_secret"}, {"POST", path + "/test"},
		{"GET", path + "/deliveries"}, {"GET", path + "/deliveries/" + test.ID}, {"POST", path + "/deliveries/" + test.ID + "/replay"},
	} {
		var body any
		if rt.method == "PATCH" {
			body = map[string]any{"description": "mine now"}
		}
		problem(t, e.do(rt.method, rt.path, e.KeyB, body), 404, "not_found", "-")
	}
	if r := e.must(200, "GET", "/v1/webhooks", e.KeyB, nil, &list); len(list.Data) != 0 {
		t.Errorf("tenant B lists %s", r.Body)
	}

	var deleted api.Deleted
	e.must(200, "DELETE", path, e.KeyA, nil, &deleted)
	if deleted != (api.Deleted{ID: id, Object: "webhook.deleted", Deleted: true}) {
		t.Errorf("deleted: %+v", deleted)
	}
	problem(t, e.do("GET", path, e.KeyA, nil), 404, "not_found", "-")
	problem(t, e.do("GET", path+"/deliveries/"+test.ID, e.KeyA, nil), 404, "not_found", "-")
}

// TestWebhookValidation checks bad bodies answer 422 naming the field
// (400 for malformed JSON), and nothing is created.
func TestWebhookValidation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tc := range []struct {
		body  map[string]any
		field string
		says  string
	}{
		{map[string]any{"url": "ftp://example.com"}, "url", "http"},
		{map[string]any{"url": "example.com/hook"}, "url", "absolute"},
		{map[string]any{"url": "https://u:p@example.com"}, "url", "user information"},
		{map[string]any{"url": "https://example.com/" + strings.Repeat("a", 2048)}, "url", "2048"},
		{map[string]any{"url": "https://example.com", "events": []string{"nope"}}, "events", "nope"},
		{map[string]any{"url": "https://example.com", "description": strings.Repeat("d", 513)}, "description", "512"},
		{map[string]any{}, "url", "required"},
		// SSRF: refused unless the operator allows private targets.
		{map[string]any{"url": "http://127.0.0.1:8000/hook"}, "url", "loopback"},
		{map[string]any{"url": "http://localhost/hook"}, "url", "localhost"},
		{map[string]any{"url": "http://192.168.1.20/hook"}, "url", "--webhook-allow-private"},
		{map[string]any{"url": "http://169.254.169.254/latest/meta-data/"}, "url", "metadata"},
		{map[string]any{"url": "http://[fe80::1]/"}, "url", "link-local"},
	} {
		p := problem(t, e.do("POST", "/v1/webhooks", e.KeyA, tc.body), 422, "invalid", tc.field)
		if d, _ := p["detail"].(string); !strings.Contains(d, tc.says) {
			t.Errorf("%v: detail %q does not say %q", tc.body, d, tc.says)
		}
	}
	problem(t, e.do("POST", "/v1/webhooks", e.KeyA, map[string]any{"url": "https://example.com", "secret": "mine"}), 400, "invalid_json", "secret")
	var list api.List[api.Webhook]
	e.must(200, "GET", "/v1/webhooks", e.KeyA, nil, &list)
	if len(list.Data) != 0 {
		t.Errorf("refused creations left %d webhooks", len(list.Data))
	}
	var h api.Webhook
	e.must(201, "POST", "/v1/webhooks", e.KeyA, map[string]any{"url": "https://example.com/ok"}, &h)
	problem(t, e.do("PATCH", "/v1/webhooks/"+h.ID, e.KeyA, map[string]any{"url": "http://10.1.2.3/"}), 422, "invalid", "url")
	problem(t, e.do("GET", "/v1/webhooks/hold_"+strings.Repeat("0", 26), e.KeyA, nil), 400, "invalid_parameter", "webhook_id")
}

// TestWebhookAllowPrivate checks the operator's flag lets private and
// loopback targets through, but never the metadata address.
func TestWebhookAllowPrivate(t *testing.T) {
	t.Parallel()
	de := doortest.NewWithOptions(t, service.Options{WebhookAllowPrivate: true})
	c := de.ServeConfig(de.Config(), func(s *convhttp.Server) { s.Mount("/", v1.New(s)) })
	e := &env{Env: de, c: c, srv: c.Server}
	for _, u := range []string{"http://127.0.0.1:8000/hook", "http://localhost:3000/", "http://192.168.1.20/hook", "http://[fe80::1]/"} {
		e.must(201, "POST", "/v1/webhooks", e.KeyA, map[string]any{"url": u}, nil)
	}
	p := problem(t, e.do("POST", "/v1/webhooks", e.KeyA, map[string]any{"url": "http://169.254.169.254/"}), 422, "invalid", "url")
	if d, _ := p["detail"].(string); strings.Contains(d, "--webhook-allow-private") {
		t.Errorf("the metadata refusal suggests the flag, which does not allow it: %q", d)
	}
}
