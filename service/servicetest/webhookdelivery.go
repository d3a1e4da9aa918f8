package servicetest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// RunWebhookDelivery runs the tests of webhook delivery (RunWebhooks)
// over databases of a driver: to a real HTTP receiver that verifies
// every signature with the official Standard Webhooks library.
func RunWebhookDelivery(t *testing.T, newDatabase NewDatabaseFunc) {
	runSealedCases(t, newDatabase, []sealedCase{
		{"SignedAndLogged", testWebhookSignedAndLogged},
		{"FailsThenRecovers", testWebhookFailsThenRecovers},
		{"RedirectNotFollowed", testWebhookRedirectNotFollowed},
		{"RotationOverlap", testWebhookRotationOverlap},
		{"InOrderPerConversation", testWebhookInOrder},
		{"DisabledAfterPersistentFailure", testWebhookDisabled},
		{"PrivateTargetRefusedAtDial", testWebhookPrivateRefused},
		{"TwoNodes", testWebhookTwoNodes},
		{"LogPrunedWithTheOutbox", testWebhookLogPruned},
	})
}

// fastRetries is a retry schedule for tests: three retries, soon.
var fastRetries = []time.Duration{20 * time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond}

// webhookNode opens a service on db that delivers webhooks (to private
// addresses: the receiver is on 127.0.0.1) with o, running RunWebhooks
// until the test ends.
func webhookNode(t *testing.T, db *Database, o service.WebhookDeliveryOptions) *service.Service {
	t.Helper()
	if o.PollInterval == 0 {
		o.PollInterval = 50 * time.Millisecond
	}
	if o.RetrySchedule == nil {
		o.RetrySchedule = fastRetries
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}
	if o.DisableAfter == 0 {
		o.DisableAfter = time.Hour // the fast schedule would disable a webhook whose attempts fail together
	}
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1, WebhookAllowPrivate: true, WebhookDelivery: o})
	runWebhooks(t, svc)
	return svc
}

// runWebhooks runs svc.RunWebhooks until the test ends.
func runWebhooks(t *testing.T, svc *service.Service) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.RunWebhooks(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// mustWebhook registers a webhook to r for every event type and trusts
// its secret.
func mustWebhook(t *testing.T, ctx context.Context, svc *service.Service, tenantID convstore.ID, r *Receiver) (*convstore.Webhook, string) {
	t.Helper()
	w, secret, err := svc.CreateWebhook(ctx, tenantID, &convstore.WebhookCreate{URL: r.URL}, operator)
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	r.Trust(secret.Secret)
	return w, secret.Secret
}

// deleteConversations creates n conversations and deletes each: n
// conversation.deleted events.
func deleteConversations(t *testing.T, ctx context.Context, svc convstore.Store, tenantID convstore.ID, n int) []convstore.ID {
	t.Helper()
	ids := make([]convstore.ID, n)
	for i := range ids {
		c, _ := MustCreateConversation(t, ctx, svc, tenantID, &convstore.ConversationCreate{AgentID: "a", UserID: "u", Messages: textMessages("m", 1)})
		MustDeleteConversation(t, ctx, svc, tenantID, c.ID, operator)
		ids[i] = c.ID
	}
	return ids
}

// waitFor polls cond until it holds, failing the test after a while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// distinctAccepted counts the webhook-ids the receiver accepted.
func distinctAccepted(r *Receiver) int {
	ids := map[string]bool{}
	for _, q := range r.Accepted() {
		ids[q.MsgID] = true
	}
	return len(ids)
}

// validatePayloadEvent checks a payload's data against the events schema.
func validatePayloadEvent(q ReceivedRequest) error {
	sch, err := eventsSchema()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(q.Payload.Data))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// Every event reaches the receiver once, signed (the official library
// verifies it), in the specification's payload structure whose data is
// the event as GET /v1/events lists it; webhook-id is the event's id;
// the delivery log records the attempt.
func testWebhookSignedAndLogged(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := webhookNode(t, db, service.WebhookDeliveryOptions{})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	r := NewReceiver(t, nil)
	w, _ := mustWebhook(t, ctx, svc, tenant.ID, r)
	deleteConversations(t, ctx, svc, tenant.ID, 3)
	waitFor(t, "three deliveries", func() bool { return distinctAccepted(r) == 3 })

	byID := map[string]*convstore.Event{}
	for _, e := range allEvents(t, ctx, svc, tenant.ID) {
		byID[e.ID.Format(convstore.PrefixEvent)] = e
	}
	for i, q := range r.Requests() {
		if len(q.Verified) != 1 || !q.Verified[0] {
			t.Errorf("request %d does not verify with the official library", i)
		}
		e := q.Event(t)
		ev := byID[q.MsgID]
		if ev == nil || e.ID != q.MsgID || e.Sequence != ev.Seq {
			t.Fatalf("request %d: webhook-id %s, event %s #%d: want the id and sequence of an event of the outbox", i, q.MsgID, e.ID, e.Sequence)
		}
		if q.Payload.Type != convstore.EventConversationDeleted || e.Type != q.Payload.Type {
			t.Errorf("request %d: type %q, event type %q", i, q.Payload.Type, e.Type)
		}
		if ts, err := time.Parse(time.RFC3339Nano, q.Payload.Timestamp); err != nil || !ts.Equal(ev.OccurredAt) {
			t.Errorf("request %d: timestamp %q, want the event's time %v (%v)", i, q.Payload.Timestamp, ev.OccurredAt, err)
		}
		if err := validatePayloadEvent(q); err != nil {
			t.Errorf("request %d: data does not match events.schema.json: %v\n%s", i, err, q.Body)
		}
		if ts := q.Header.Get("webhook-timestamp"); ts == "" || q.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %d: headers %v", i, q.Header)
		}
	}
	var list []*convstore.WebhookDelivery
	waitFor(t, "three deliveries recorded as succeeded", func() bool {
		var err error
		list, _, err = svc.FindWebhookDeliveries(ctx, tenant.ID, w.ID, convstore.WebhookDeliveryFilter{State: convstore.DeliverySucceeded})
		return err == nil && len(list) == 3
	})
	for _, d := range list {
		if d.State != convstore.DeliverySucceeded || d.Attempts != 1 || d.LastStatus != http.StatusOK || d.DeliveredAt == nil ||
			len(d.ResponsePrefix) > convstore.MaxWebhookResponsePrefix || !strings.HasPrefix(d.ResponsePrefix, "receiver says: xxx") {
			t.Errorf("delivery %+v: want succeeded at the first attempt, 200, a prefix of the answer", d)
		}
	}
}

// A receiver that answers 500 twice, then 200: the delivery is retried
// and succeeds at the third attempt; every attempt is in the log.
func testWebhookFailsThenRecovers(t *testing.T, db *Database) {
	ctx := testContext(t)
	var outcomes sync.Map
	svc := webhookNode(t, db, service.WebhookDeliveryOptions{})
	svc.ObserveWebhooks(func(o service.WebhookAttemptOutcome) {
		n, _ := outcomes.LoadOrStore(o.Outcome, new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
	})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	r := NewReceiver(t, func(_ string, n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	w, _ := mustWebhook(t, ctx, svc, tenant.ID, r)
	deleteConversations(t, ctx, svc, tenant.ID, 1)
	waitFor(t, "the delivery after two failures", func() bool { return distinctAccepted(r) == 1 })

	list, _, err := svc.FindWebhookDeliveries(ctx, tenant.ID, w.ID, convstore.WebhookDeliveryFilter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("FindWebhookDeliveries = %d, %v", len(list), err)
	}
	waitFor(t, "the third attempt recorded", func() bool {
		d, _, err := svc.FindWebhookDelivery(ctx, tenant.ID, w.ID, list[0].ID)
		return err == nil && d.State == convstore.DeliverySucceeded
	})
	d, attempts, err := svc.FindWebhookDelivery(ctx, tenant.ID, w.ID, list[0].ID)
	if err != nil || d.Attempts != 3 || len(attempts) != 3 {
		t.Fatalf("delivery %+v with %d attempts, %v; want 3", d, len(attempts), err)
	}
	for i, want := range []int{500, 500, 204} {
		a := attempts[i]
		if a.Attempt != i+1 || a.Status != want || len(a.ResponsePrefix) > convstore.MaxWebhookResponsePrefix || a.Latency <= 0 {
			t.Errorf("attempt %d: %+v; want status %d", i+1, a, want)
		}
		if want == 500 && !strings.Contains(a.Error, "500") {
			t.Errorf("attempt %d: error %q, want it to say HTTP 500", i+1, a.Error)
		}
	}
	// The observer hears of an attempt after it is recorded.
	waitFor(t, "the observer to see two retrying attempts", func() bool {
		n, _ := outcomes.Load("retrying")
		return n != nil && n.(*atomic.Int32).Load() == 2
	})
}

// A 3xx is a failed attempt: the redirect is not followed.
func testWebhookRedirectNotFollowed(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := webhookNode(t, db, service.WebhookDeliveryOptions{RetrySchedule: []time.Duration{10 * time.Millisecond}})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	var elsewhere atomic.Int32
	target := NewReceiver(t, func(string, int) int { elsewhere.Add(1); return 200 })
	r := NewReceiver(t, func(string, int) int { return http.StatusFound })
	r.location = target.URL
	w, _ := mustWebhook(t, ctx, svc, tenant.ID, r)
	deleteConversations(t, ctx, svc, tenant.ID, 1)
	var d *convstore.WebhookDelivery
	var attempts []*convstore.WebhookAttempt
	waitFor(t, "the delivery to fail", func() bool {
		list, _, err := svc.FindWebhookDeliveries(ctx, tenant.ID, w.ID, convstore.WebhookDeliveryFilter{})
		if err != nil || len(list) != 1 {
			return false
		}
		d, attempts, err = svc.FindWebhookDelivery(ctx, tenant.ID, w.ID, list[0].ID)
		return err == nil && d.State == convstore.DeliveryFailed
	})
	if len(attempts) != 2 || attempts[0].Status != http.StatusFound || !strings.Contains(attempts[0].Error, "redirect") {
		t.Fatalf("attempts %+v; want two 302s, said not followed", attempts)
	}
	if elsewhere.Load() != 0 || len(r.Requests()) != 2 {
		t.Fatalf("the redirect target was reached %d times; the receiver %d", elsewhere.Load(), len(r.Requests()))
	}
}

// After a rotation, deliveries carry two signatures: a receiver with the
// old secret and one with the new both verify.
func testWebhookRotationOverlap(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := webhookNode(t, db, service.WebhookDeliveryOptions{})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	r := NewReceiver(t, nil)
	w, old := mustWebhook(t, ctx, svc, tenant.ID, r)
	overlap := time.Hour
	rotated, err := svc.RotateWebhookSecret(ctx, tenant.ID, w.ID, &overlap, operator)
	if err != nil {
		t.Fatal(err)
	}
	r.Trust(old, rotated.Secret)
	deleteConversations(t, ctx, svc, tenant.ID, 1)
	waitFor(t, "the delivery", func() bool { return distinctAccepted(r) == 1 })
	q := r.Requests()[0]
	if sigs := strings.Fields(q.Header.Get("webhook-signature")); len(sigs) != 2 {
		t.Fatalf("webhook-signature %q: want two signatures during the overlap", q.Header.Get("webhook-signature"))
	}
	if len(q.Verified) != 2 || !q.Verified[0] || !q.Verified[1] {
		t.Fatalf("verified with old, new secret: %v; want both", q.Verified)
	}
}

// The events of one conversation reach the receiver in their order, even
// when attempts fail and are retried and several deliveries to the
// endpoint run at once.
func testWebhookInOrder(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := webhookNode(t, db, service.WebhookDeliveryOptions{PerEndpoint: 4})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	r := NewReceiver(t, func(id string, n int) int {
		if n == 1 && id[len(id)-1]%2 == 0 { // about half fail once
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	mustWebhook(t, ctx, svc, tenant.ID, r)
	const convs, msgs = 4, 5
	var total int
	for range convs {
		c, created := MustCreateConversation(t, ctx, svc, tenant.ID, &convstore.ConversationCreate{AgentID: "a", UserID: "u", Messages: textMessages("m", msgs)})
		for _, m := range created {
			if err := svc.DeleteMessage(ctx, tenant.ID, c.ID, m.ID, operator); err != nil {
				t.Fatal(err)
			}
		}
		MustDeleteConversation(t, ctx, svc, tenant.ID, c.ID, operator)
		total += msgs + 1
	}
	waitFor(t, "every delivery", func() bool { return distinctAccepted(r) == total })
	last := map[string]int64{}
	for _, q := range r.Accepted() {
		e := q.Event(t)
		if e.ConversationID == nil {
			continue
		}
		if e.Sequence <= last[*e.ConversationID] {
			t.Errorf("event #%d of %s arrived after #%d", e.Sequence, *e.ConversationID, last[*e.ConversationID])
		}
		last[*e.ConversationID] = e.Sequence
	}
}

// A webhook whose attempts fail for the whole retry period is disabled,
// with a reason, a webhook.disabled event and an observed outcome; it
// receives nothing more.
func testWebhookDisabled(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := webhookNode(t, db, service.WebhookDeliveryOptions{DisableAfter: 50 * time.Millisecond})
	var disabled atomic.Int32
	svc.ObserveWebhooks(func(o service.WebhookAttemptOutcome) {
		if o.Disabled {
			disabled.Add(1)
		}
	})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	r := NewReceiver(t, func(string, int) int { return http.StatusBadGateway })
	w, _ := mustWebhook(t, ctx, svc, tenant.ID, r)
	deleteConversations(t, ctx, svc, tenant.ID, 2)
	waitFor(t, "the webhook to be disabled", func() bool {
		got, err := svc.FindWebhookByID(ctx, tenant.ID, w.ID)
		return err == nil && got.State == convstore.WebhookDisabled
	})
	got, _ := svc.FindWebhookByID(ctx, tenant.ID, w.ID)
	if got.DisabledReason == "" || got.DisabledAt == nil || !strings.Contains(got.DisabledReason, "502") {
		t.Errorf("disabled webhook %+v: want a reason naming the last status", got)
	}
	waitFor(t, "the observer to see the disabling", func() bool { return disabled.Load() == 1 })
	var ev *convstore.Event
	for _, e := range allEvents(t, ctx, svc, tenant.ID) {
		if e.Type == convstore.EventWebhookDisabled {
			if ev != nil {
				t.Errorf("two webhook.disabled events")
			}
			ev = e
		}
	}
	if ev == nil {
		t.Fatal("no webhook.disabled event")
	}
	if err := validateEvent(ev); err != nil {
		t.Error(err)
	}
	if !strings.Contains(string(ev.Data), w.ID.Format(convstore.PrefixWebhook)) || strings.Contains(string(ev.Data), "127.0.0.1") {
		t.Errorf("webhook.disabled data %s: want the webhook's id and never its URL", ev.Data)
	}
	// Disabled: nothing more is sent.
	time.Sleep(200 * time.Millisecond)
	before := len(r.Requests())
	deleteConversations(t, ctx, svc, tenant.ID, 1)
	time.Sleep(300 * time.Millisecond)
	if n := len(r.Requests()); n != before {
		t.Errorf("a disabled webhook received %d more requests", n-before)
	}
}

// Without --webhook-allow-private, the delivery worker refuses to dial
// a loopback address, whatever the webhook's URL said when it was
// registered (here by a node that allowed it): the attempt fails at dial
// time and the receiver never sees a request.
func testWebhookPrivateRefused(t *testing.T, db *Database) {
	ctx := testContext(t)
	admin := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1, WebhookAllowPrivate: true})
	guarded := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1,
		WebhookDelivery: service.WebhookDeliveryOptions{PollInterval: 50 * time.Millisecond, RetrySchedule: []time.Duration{10 * time.Millisecond}}})
	runWebhooks(t, guarded)
	tenant, _ := MustCreateTenant(t, ctx, admin, uniqueName("tenant"))
	r := NewReceiver(t, nil)
	w, _ := mustWebhook(t, ctx, admin, tenant.ID, r)
	deleteConversations(t, ctx, admin, tenant.ID, 1)
	var attempts []*convstore.WebhookAttempt
	waitFor(t, "the delivery to fail", func() bool {
		list, _, err := admin.FindWebhookDeliveries(ctx, tenant.ID, w.ID, convstore.WebhookDeliveryFilter{})
		if err != nil || len(list) != 1 {
			return false
		}
		d, a, err := admin.FindWebhookDelivery(ctx, tenant.ID, w.ID, list[0].ID)
		attempts = a
		return err == nil && d.State == convstore.DeliveryFailed
	})
	for _, a := range attempts {
		if a.Status != 0 || !strings.Contains(a.Error, "forbidden") {
			t.Errorf("attempt %+v: want no status and a refusal to dial", a)
		}
	}
	if n := len(r.Requests()); n != 0 {
		t.Fatalf("the private receiver got %d requests", n)
	}
}

// Two nodes deliver one database's events: every event arrives, and no
// attempt is sent twice (the receiver always accepts, so each webhook-id
// arrives exactly once).
func testWebhookTwoNodes(t *testing.T, db *Database) {
	ctx := testContext(t)
	a := webhookNode(t, db, service.WebhookDeliveryOptions{})
	b := webhookNode(t, db, service.WebhookDeliveryOptions{})
	tenant, _ := MustCreateTenant(t, ctx, a, uniqueName("tenant"))
	r := NewReceiver(t, nil)
	mustWebhook(t, ctx, a, tenant.ID, r)
	const n = 40
	var wg sync.WaitGroup
	for _, node := range []*service.Service{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deleteConversations(t, ctx, node, tenant.ID, n/2)
		}()
	}
	wg.Wait()
	waitFor(t, fmt.Sprintf("%d deliveries", n), func() bool { return distinctAccepted(r) == n })
	time.Sleep(300 * time.Millisecond) // a second send would come now
	seen := map[string]int{}
	for _, q := range r.Requests() {
		seen[q.MsgID]++
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s arrived %d times", id, c)
		}
	}
	if len(seen) != n {
		t.Errorf("%d events arrived, want %d", len(seen), n)
	}
}

// Finished deliveries older than the event retention are pruned with
// their attempts by the sweeper; a pending one is kept whatever its age.
func testWebhookLogPruned(t *testing.T, db *Database) {
	ctx := testContext(t)
	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1, WebhookAllowPrivate: true,
		EventRetention: 50 * time.Millisecond,
		WebhookDelivery: service.WebhookDeliveryOptions{PollInterval: 50 * time.Millisecond, RetrySchedule: fastRetries,
			Timeout: 5 * time.Second, DisableAfter: time.Hour}})
	runWebhooks(t, svc)
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	r := NewReceiver(t, nil)
	w, _ := mustWebhook(t, ctx, svc, tenant.ID, r)
	deleteConversations(t, ctx, svc, tenant.ID, 2)
	waitFor(t, "two deliveries succeeded", func() bool {
		list, _, err := svc.FindWebhookDeliveries(ctx, tenant.ID, w.ID, convstore.WebhookDeliveryFilter{State: convstore.DeliverySucceeded})
		return err == nil && len(list) == 2
	})
	off := false
	if _, err := svc.UpdateWebhook(ctx, tenant.ID, w.ID, &convstore.WebhookUpdate{Enabled: &off}, operator); err != nil {
		t.Fatalf("UpdateWebhook: %v", err)
	}
	if _, err := svc.TestWebhook(ctx, tenant.ID, w.ID); err != nil { // pending: its webhook is disabled
		t.Fatalf("TestWebhook: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	n, err := svc.SweepWebhookDeliveries(ctx)
	if err != nil || n < 2 {
		t.Fatalf("SweepWebhookDeliveries = %d, %v; want at least the 2 succeeded", n, err)
	}
	list, _, err := svc.FindWebhookDeliveries(ctx, tenant.ID, w.ID, convstore.WebhookDeliveryFilter{})
	if err != nil || len(list) != 1 || list[0].State != convstore.DeliveryPending {
		t.Fatalf("after the sweep: %d deliveries, %v; want only the pending test delivery", len(list), err)
	}
}
