package main

import (
	"io"
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
)

// TestCLIWebhooks: add prints the secret once, list and deliveries show
// the webhook and its test delivery, replay requeues it; the server's own
// address is refused, and --json prints the wire objects.
func TestCLIWebhooks(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	out := ts.mustCLI(t, "webhooks", "add", "https://example.com/hook", "--events", "conversation.deleted, hold.placed",
		"--description", "vector index")
	wantContains(t, "add", out, "webhook", "wh_", "conversation.deleted,hold.placed", "secret", "whsec_", "shown this once")

	var h api.Webhook
	ts.mustJSON(t, &h, "webhooks", "add", "https://example.org/hook", "--json")
	if !strings.HasPrefix(h.ID, "wh_") || !strings.HasPrefix(h.Secret, "whsec_") || len(h.Events) != 0 {
		t.Errorf("add --json: %+v", h)
	}
	out = ts.mustCLI(t, "webhooks", "list")
	wantContains(t, "list", out, "https://example.com/hook", "https://example.org/hook", "enabled", "all")
	if strings.Contains(out, "whsec_") {
		t.Errorf("list shows a secret:\n%s", out)
	}
	var list api.List[api.Webhook]
	ts.mustJSON(t, &list, "webhooks", "list", "--json")
	if len(list.Data) != 2 || list.Data[1].Secret != "" {
		t.Errorf("list --json: %+v", list)
	}

	var test api.WebhookDelivery
	ts.mustJSON(t, &test, "webhooks", "test", h.ID, "--json")
	if test.EventType != "webhook.test" || !strings.HasPrefix(test.ID, "whd_") {
		t.Fatalf("test --json: %+v", test)
	}
	out = ts.mustCLI(t, "webhooks", "deliveries", h.ID)
	wantContains(t, "deliveries", out, test.ID, "webhook.test")
	var deliveries api.List[api.WebhookDelivery]
	ts.mustJSON(t, &deliveries, "webhooks", "deliveries", h.ID, "--state", "succeeded", "--json")
	if len(deliveries.Data) != 0 {
		t.Errorf("succeeded deliveries: %+v", deliveries)
	}
	out = ts.mustCLI(t, "webhooks", "replay", h.ID, test.ID)
	wantContains(t, "replay", out, test.ID, "pending")

	if _, errOut, code := ts.cli(t, "webhooks", "add"); code != 2 {
		t.Errorf("add without a URL: exit %d, %s", code, errOut)
	}
	if _, errOut, code := ts.cli(t, "webhooks", "deliveries", h.ID, "--state", "lost"); code != 2 {
		t.Errorf("a bad --state: exit %d, %s", code, errOut)
	}
	if _, errOut, code := ts.cli(t, "webhooks", "test", "conv_"+strings.Repeat("0", 26)); code != 2 {
		t.Errorf("test with a conversation id: exit %d, %s", code, errOut)
	}
	// The server's own address.
	if _, errOut, code := ts.cli(t, "webhooks", "add", "http://"+ts.m.Addr()+"/"); code != 1 || !strings.Contains(errOut, "url") {
		t.Errorf("a webhook to the server itself: exit %d, %s", code, errOut)
	}
}

// TestWebhookAllowPrivateFlag: --webhook-allow-private and
// CONVSTORE_WEBHOOK_ALLOW_PRIVATE set the service option; it is off by
// default.
func TestWebhookAllowPrivateFlag(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want bool
	}{
		{"default", nil, nil, false},
		{"flag", []string{"--webhook-allow-private"}, nil, true},
		{"env", nil, map[string]string{"CONVSTORE_WEBHOOK_ALLOW_PRIVATE": "true"}, true},
	} {
		cfg := DefaultConfig()
		fs := newFlagSet("serve", "convstore serve [flags]", "", io.Discard)
		cfg.registerFlags(fs)
		if _, err := fs.parse(c.args, func(k string) string { return c.env[k] }); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cfg.WebhookAllowPrivate != c.want {
			t.Errorf("%s: WebhookAllowPrivate = %v, want %v", c.name, cfg.WebhookAllowPrivate, c.want)
		}
	}
}

// TestCLIWebhookOwnListener: with private targets allowed, a loopback
// receiver is accepted but the server's own listener is not.
func TestCLIWebhookOwnListener(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "--webhook-allow-private")
	ts.mustCLI(t, "webhooks", "add", "http://127.0.0.1:1/receiver")
	_, errOut, code := ts.cli(t, "webhooks", "add", "http://"+ts.m.Addr()+"/")
	if code != 1 || !strings.Contains(errOut, "own listener") {
		t.Errorf("a webhook to the server itself: exit %d, %s", code, errOut)
	}
}
