package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// cli is the DeleteParams of an operator's call.
var cli = convstore.DeleteParams{Door: "cli"}

// deleteOne stores a conversation and deletes it: one conversation.deleted
// event.
func (e *env) deleteOne(t *testing.T, tenantID convstore.ID) convstore.ID {
	t.Helper()
	c, _ := servicetest.MustCreateConversation(t, e.ctx, e.svc, tenantID, &convstore.ConversationCreate{Title: "x"})
	servicetest.MustDeleteConversation(t, e.ctx, e.svc, tenantID, c.ID, convstore.DeleteParams{Door: "cli"})
	return c.ID
}

// TestWebhookLifecycle checks a webhook receives only later events, its
// secret is shown once and rotates with an overlap, the test event and
// replay, and that another tenant sees none of it.
func TestWebhookLifecycle(t *testing.T) {
	e := open(t, service.Options{})
	a, _ := e.tenant(t)
	b, _ := e.tenant(t)
	e.deleteOne(t, a.ID) // before the webhook: not delivered to it
	h, secret, err := e.svc.CreateWebhook(e.ctx, a.ID, &convstore.WebhookCreate{URL: "https://example.com/hook",
		Events: []string{convstore.EventConversationDeleted, convstore.EventConversationDeleted}, Description: "vector index"}, cli)
	if err != nil {
		t.Fatal(err)
	}
	key, err := convstore.WebhookSecretKey(secret.Secret)
	if !strings.HasPrefix(secret.Secret, "whsec_") || err != nil || len(key) != 32 || secret.WebhookID != h.ID {
		t.Errorf("secret %q (key of %d bytes, %v)", secret.Secret, len(key), err)
	}
	if h.State != convstore.WebhookEnabled || len(h.Events) != 1 || h.Description != "vector index" {
		t.Errorf("created %+v; want enabled, the duplicate event type dropped", h)
	}
	if _, err := e.svc.FindWebhookByID(e.ctx, b.ID, h.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("another tenant's webhook: %v", err)
	}
	if list, _, err := e.svc.FindWebhooks(e.ctx, b.ID, convstore.WebhookFilter{}); err != nil || len(list) != 0 {
		t.Errorf("tenant B lists %d webhooks (%v)", len(list), err)
	}
	later := e.deleteOne(t, a.ID)
	if _, err := e.svc.NumberEvents(e.ctx); err != nil {
		t.Fatal(err)
	}
	var made int
	if err := e.drv.Write(e.ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) (err error) {
		made, _, err = tx.WebhookFanOut(ctx, &driver.WebhookFanOutParams{TenantID: a.ID, WebhookID: h.ID,
			IDs: []convstore.ID{convstore.NewID(), convstore.NewID(), convstore.NewID()}, At: time.Now().UTC()})
		return err
	}); err != nil || made != 1 {
		t.Fatalf("fan-out made %d (%v), want the one later event", made, err)
	}
	list, _, err := e.svc.FindWebhookDeliveries(e.ctx, a.ID, h.ID, convstore.WebhookDeliveryFilter{})
	if err != nil || len(list) != 1 || list[0].ConversationID != later || list[0].EventType != convstore.EventConversationDeleted {
		t.Fatalf("deliveries %+v (%v); want the later conversation's delete", list, err)
	}
	if _, _, err := e.svc.FindWebhookDeliveries(e.ctx, b.ID, h.ID, convstore.WebhookDeliveryFilter{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("another tenant's deliveries: %v", err)
	}
	if _, _, err := e.svc.FindWebhookDeliveries(e.ctx, a.ID, h.ID, convstore.WebhookDeliveryFilter{State: "lost"}); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("a bad state filter: %v", err)
	}

	test, err := e.svc.TestWebhook(e.ctx, a.ID, h.ID)
	if err != nil || test.EventType != convstore.EventWebhookTest || test.Seq != 0 || test.State != convstore.DeliveryPending ||
		!strings.Contains(string(test.Data), h.ID.Format(convstore.PrefixWebhook)) {
		t.Fatalf("test delivery %+v (%v)", test, err)
	}
	events, _, err := e.svc.FindEvents(e.ctx, a.ID, convstore.EventFilter{})
	if err != nil || len(events) != 2 {
		t.Errorf("the outbox has %d events (%v), want the 2 deletes only: the test event is not written there", len(events), err)
	}
	if _, err := e.svc.TestWebhook(e.ctx, b.ID, h.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("testing another tenant's webhook: %v", err)
	}

	// One failed attempt, then a replay: pending again, the attempt kept.
	owner := convstore.NewID()
	var claimed []*convstore.WebhookDelivery
	if err := e.drv.Write(e.ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) (err error) {
		claimed, err = tx.WebhookDeliveryClaim(ctx, &driver.WebhookDeliveryClaimParams{Owner: owner, Now: time.Now().UTC().Add(time.Second),
			Until: time.Now().Add(time.Hour), Limit: 10, WebhookID: h.ID})
		if err != nil || len(claimed) == 0 {
			return err
		}
		d := claimed[0]
		_, err = tx.WebhookDeliveryFinish(ctx, &driver.WebhookDeliveryFinishParams{TenantID: a.ID, WebhookID: h.ID, DeliveryID: d.ID,
			Owner: owner, State: convstore.DeliveryFailed, Failed: true,
			Attempt: convstore.WebhookAttempt{StartedAt: time.Now().UTC(), Latency: time.Second, Status: 500}})
		return err
	}); err != nil || len(claimed) != 2 {
		t.Fatalf("claimed %d (%v), want the event's delivery and the test's", len(claimed), err)
	}
	d := claimed[0]
	r, err := e.svc.ReplayWebhookDelivery(e.ctx, a.ID, h.ID, d.ID)
	if err != nil || r.State != convstore.DeliveryPending || r.Attempts != 1 {
		t.Errorf("replayed: %+v (%v)", r, err)
	}
	got, attempts, err := e.svc.FindWebhookDelivery(e.ctx, a.ID, h.ID, d.ID)
	if err != nil || got.State != convstore.DeliveryPending || len(attempts) != 1 || attempts[0].Status != 500 {
		t.Errorf("delivery %+v with attempts %+v (%v)", got, attempts, err)
	}
	if _, err := e.svc.ReplayWebhookDelivery(e.ctx, b.ID, h.ID, d.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("replaying another tenant's delivery: %v", err)
	}

	// Rotation: the previous secret stays for the overlap.
	rotated, err := e.svc.RotateWebhookSecret(e.ctx, a.ID, h.ID, nil, cli)
	if err != nil || rotated.Secret == secret.Secret || rotated.PreviousExpiresAt == nil ||
		rotated.PreviousExpiresAt.Sub(time.Now()) < 23*time.Hour {
		t.Fatalf("rotated: %+v (%v); want a new secret, the old one kept about 24h", rotated, err)
	}
	row, err := e.drv.Reads().WebhookGet(e.ctx, a.ID, h.ID)
	if err != nil || string(row.Secret) != rotated.Secret || string(row.PreviousSecret) != secret.Secret {
		t.Errorf("stored secrets after rotation: %q, previous %q (%v)", row.Secret, row.PreviousSecret, err)
	}
	tooLong := 8 * 24 * time.Hour
	if _, err := e.svc.RotateWebhookSecret(e.ctx, a.ID, h.ID, &tooLong, cli); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("an overlap of 8 days: %v", err)
	}
	if _, err := e.svc.RotateWebhookSecret(e.ctx, b.ID, h.ID, nil, cli); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("rotating another tenant's webhook: %v", err)
	}
	if h2, err := e.svc.FindWebhookByID(e.ctx, a.ID, h.ID); err != nil || h2.PreviousSecretExpiresAt == nil {
		t.Errorf("the webhook does not show the overlap: %+v (%v)", h2, err)
	}

	// Disable and enable again.
	off, on := false, true
	if h, err = e.svc.UpdateWebhook(e.ctx, a.ID, h.ID, &convstore.WebhookUpdate{Enabled: &off}, cli); err != nil ||
		h.State != convstore.WebhookDisabled || h.DisabledAt == nil || h.DisabledReason == "" {
		t.Errorf("disabled: %+v (%v)", h, err)
	}
	url := "https://example.org/new"
	if h, err = e.svc.UpdateWebhook(e.ctx, a.ID, h.ID, &convstore.WebhookUpdate{Enabled: &on, URL: &url}, cli); err != nil ||
		h.State != convstore.WebhookEnabled || h.DisabledAt != nil || h.URL != url {
		t.Errorf("enabled: %+v (%v)", h, err)
	}
	bad := "http://10.0.0.1/"
	if _, err := e.svc.UpdateWebhook(e.ctx, a.ID, h.ID, &convstore.WebhookUpdate{URL: &bad}, cli); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("update to a private address: %v", err)
	}
	if _, err := e.svc.UpdateWebhook(e.ctx, b.ID, h.ID, &convstore.WebhookUpdate{URL: &url}, cli); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("updating another tenant's webhook: %v", err)
	}

	if err := e.svc.DeleteWebhook(e.ctx, b.ID, h.ID, cli); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("deleting another tenant's webhook: %v", err)
	}
	if err := e.svc.DeleteWebhook(e.ctx, a.ID, h.ID, cli); err != nil {
		t.Fatal(err)
	}
	// Every change is audited, naming the webhook.
	entries, _, err := e.svc.FindAuditEntries(e.ctx, a.ID, convstore.AuditFilter{PageFilter: convstore.PageFilter{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, en := range entries {
		if en.TargetID == h.ID && en.Door == "cli" {
			count[en.Action]++
		}
	}
	if count[convstore.AuditWebhookCreate] != 1 || count[convstore.AuditWebhookRotate] != 1 || count[convstore.AuditWebhookUpdate] != 2 ||
		count[convstore.AuditWebhookDelete] != 1 {
		t.Errorf("audit entries of the webhook: %v; want one create, one rotation, two updates, one delete", count)
	}
	if _, err := e.svc.FindWebhookByID(e.ctx, a.ID, h.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("a deleted webhook: %v", err)
	}
}

// TestWebhookURLGuard checks which URLs are refused, with and without
// private targets allowed, and that the server's own listeners are
// refused either way.
func TestWebhookURLGuard(t *testing.T) {
	strict := open(t, service.Options{OwnAddrs: []string{"127.0.0.1:8080"}})
	loose := open(t, service.Options{WebhookAllowPrivate: true, OwnAddrs: []string{"127.0.0.1:8080", ":9999"}})
	ta, _ := strict.tenant(t)
	tb, _ := loose.tenant(t)
	for _, tc := range []struct {
		url                   string
		strictOK, allowOK     bool
		strictWant, allowWant string // a word the refusal names
	}{
		{"https://example.com/hook", true, true, "", ""},
		{"http://example.com:8080/hook", true, true, "", ""},
		{"http://127.0.0.1:9000/x", false, true, "loopback", ""},
		{"http://localhost:9000/x", false, true, "localhost", ""},
		{"http://api.localhost/x", false, true, "localhost", ""},
		{"http://10.0.0.5/", false, true, "private", ""},
		{"http://[fd12::1]/", false, true, "private", ""},
		{"http://[fe80::1]/", false, true, "link-local", ""},
		{"http://169.254.169.254/latest/meta-data", false, false, "metadata", "metadata"},
		{"http://[fd00:ec2::254]/", false, false, "metadata", "metadata"},
		{"http://[::ffff:169.254.169.254]/", false, false, "metadata", "metadata"},
		{"http://0.0.0.0/", false, false, "unspecified", "unspecified"},
		{"http://224.0.0.1/", false, false, "multicast", "multicast"},
		{"http://2130706433/", false, false, "non-standard", "non-standard"},
		{"http://0x7f.1/", false, false, "non-standard", "non-standard"},
		{"http://127.0.0.1:8080/", false, false, "loopback", "own listener"},
		{"http://localhost:8080/", false, false, "localhost", "own listener"},
		{"http://localhost:9999/", false, false, "localhost", "own listener"},
		{"ftp://example.com/", false, false, "http", "http"},
		{"https://user:pw@example.com/", false, false, "user information", "user information"},
		{"/relative", false, false, "absolute", "absolute"},
		{"https://example.com/#frag", false, false, "fragment", "fragment"},
		{"https://example.com/" + strings.Repeat("a", convstore.MaxWebhookURLLen), false, false, "2048", "2048"},
	} {
		for _, side := range []struct {
			e      *env
			tenant convstore.ID
			ok     bool
			want   string
			name   string
		}{{strict, ta.ID, tc.strictOK, tc.strictWant, "strict"}, {loose, tb.ID, tc.allowOK, tc.allowWant, "private allowed"}} {
			_, _, err := side.e.svc.CreateWebhook(side.e.ctx, side.tenant, &convstore.WebhookCreate{URL: tc.url}, cli)
			switch {
			case side.ok && err != nil:
				t.Errorf("%s: %s refused: %v", side.name, tc.url, err)
			case !side.ok && (convstore.ErrorCode(err) != convstore.EINVALID || convstore.ErrorField(err) != "url"):
				t.Errorf("%s: %s: %v, want EINVALID url", side.name, tc.url, err)
			case !side.ok && !strings.Contains(convstore.ErrorMessage(err), side.want):
				t.Errorf("%s: %s: %q does not say %q", side.name, tc.url, convstore.ErrorMessage(err), side.want)
			}
		}
	}
	// Bad input besides the URL.
	for _, c := range []*convstore.WebhookCreate{
		{URL: "https://example.com", Events: []string{"conversation.exploded"}},
		{URL: "https://example.com", Description: strings.Repeat("d", convstore.MaxWebhookDescriptionLen+1)},
		{URL: ""},
	} {
		if _, _, err := strict.svc.CreateWebhook(strict.ctx, ta.ID, c, cli); convstore.ErrorCode(err) != convstore.EINVALID {
			t.Errorf("%+v: %v, want EINVALID", c, err)
		}
	}
	// A listener bound later (port 0) is refused once set.
	strict.svc.SetOwnAddrs([]string{"[::]:7777"})
	if _, _, err := loose.svc.CreateWebhook(loose.ctx, tb.ID, &convstore.WebhookCreate{URL: "http://[::1]:7777/"}, cli); err != nil {
		t.Errorf("another server's listener refused: %v", err)
	}
	loose.svc.SetOwnAddrs([]string{"[::]:7777"})
	if !loose.svc.IsOwnAddr("[::1]:7777") || !loose.svc.IsOwnAddr("127.0.0.1:7777") || loose.svc.IsOwnAddr("127.0.0.1:7778") {
		t.Errorf("IsOwnAddr does not match the listener on every interface by port")
	}
	if _, _, err := loose.svc.CreateWebhook(loose.ctx, tb.ID, &convstore.WebhookCreate{URL: "http://[::1]:7777/"}, cli); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("own listener on every interface, by its loopback address: %v", err)
	}
}

// TestWebhookCap checks a tenant cannot have more than MaxWebhooks.
func TestWebhookCap(t *testing.T) {
	e := open(t, service.Options{})
	a, _ := e.tenant(t)
	for i := range convstore.MaxWebhooks {
		if _, _, err := e.svc.CreateWebhook(e.ctx, a.ID, &convstore.WebhookCreate{URL: "https://example.com/" + strings.Repeat("x", i)}, cli); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.svc.CreateWebhook(e.ctx, a.ID, &convstore.WebhookCreate{URL: "https://example.com/last"}, cli); convstore.ErrorCode(err) != convstore.EINVALID {
		t.Errorf("webhook %d: %v, want EINVALID", convstore.MaxWebhooks+1, err)
	}
}
