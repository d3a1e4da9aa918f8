package drivertest

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var webhookTests = []test{
	{"CRUD", testWebhookCRUD},
	{"FanOut", testWebhookFanOut},
	{"ClaimInOrder", testWebhookClaimInOrder},
	{"LeaseTakeover", testWebhookLeaseTakeover},
	{"FinishAndReplay", testWebhookFinishReplay},
	{"FinishMany", testWebhookFinishMany},
	{"ConcurrentClaims", testWebhookConcurrentClaims},
	{"Cascade", testWebhookCascade},
}

// webhook stores an enabled webhook of the tenant.
func (f *fixture) webhook(tb testing.TB, tenantID convstore.ID, events ...string) *driver.WebhookRow {
	tb.Helper()
	t := now()
	w := &driver.WebhookRow{Webhook: convstore.Webhook{ID: convstore.NewID(), TenantID: tenantID, URL: "https://example.com/hook",
		Events: events, State: convstore.WebhookEnabled, CreatedAt: t, UpdatedAt: t}, Secret: []byte("\xf5\x00secret")}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.WebhookInsert(ctx, w) })
	got, err := f.drv.Reads().WebhookGet(f.ctx, tenantID, w.ID)
	must(tb, err)
	return got
}

// events stores and numbers events of the tenant, of the types given, in
// conversation conv, and returns them.
func (f *fixture) events(tb testing.TB, tenantID, conv convstore.ID, types ...string) []*convstore.Event {
	tb.Helper()
	out := make([]*convstore.Event, len(types))
	for i, typ := range types {
		out[i] = &convstore.Event{ID: convstore.NewID(), TenantID: tenantID, Type: typ, ConversationID: conv, OccurredAt: now(),
			Data: json.RawMessage(`{"i":` + itoa(i) + `}`)}
	}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.EventInsert(ctx, out) })
	f.write(tb, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.EventNumber(ctx, tenantID, 1000)
		return err
	})
	return out
}

// fanOut fans out to the webhook, reading at most n events.
func (f *fixture) fanOut(tb testing.TB, w *driver.WebhookRow, n int) (made, read int) {
	tb.Helper()
	ids := make([]convstore.ID, n)
	for i := range ids {
		ids[i] = convstore.NewID()
	}
	f.write(tb, func(ctx context.Context, tx driver.Tx) (err error) {
		made, read, err = tx.WebhookFanOut(ctx, &driver.WebhookFanOutParams{TenantID: w.TenantID, WebhookID: w.ID, IDs: ids, At: now()})
		return err
	})
	return made, read
}

// claim claims up to limit deliveries for owner at at, leased for lease.
func (f *fixture) claim(tb testing.TB, owner convstore.ID, at time.Time, lease time.Duration, limit int) []*convstore.WebhookDelivery {
	tb.Helper()
	var got []*convstore.WebhookDelivery
	f.write(tb, func(ctx context.Context, tx driver.Tx) (err error) {
		got, err = tx.WebhookDeliveryClaim(ctx, &driver.WebhookDeliveryClaimParams{Owner: owner, Now: at, Until: at.Add(lease), Limit: limit})
		return err
	})
	return got
}

// finish records an attempt of d by owner leaving it in state.
func (f *fixture) finish(tb testing.TB, d *convstore.WebhookDelivery, owner convstore.ID, state string, status int) (*driver.WebhookHealth, error) {
	tb.Helper()
	var h *driver.WebhookHealth
	err := f.try(func(ctx context.Context, tx driver.Tx) (err error) {
		h, err = tx.WebhookDeliveryFinish(ctx, &driver.WebhookDeliveryFinishParams{TenantID: d.TenantID, WebhookID: d.WebhookID,
			DeliveryID: d.ID, Owner: owner, State: state, NextAttemptAt: now().Add(time.Minute), Failed: state != convstore.DeliverySucceeded,
			Attempt: convstore.WebhookAttempt{StartedAt: now(), Latency: 1500 * time.Microsecond, Status: status, Error: "e",
				ResponsePrefix: "body"}})
		return err
	})
	return h, err
}

// seqs returns the deliveries' sequence numbers, sorted (a claim returns
// its deliveries in no order).
func seqs(ds []*convstore.WebhookDelivery) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.Seq
	}
	slices.Sort(out)
	return out
}

// testWebhookCRUD checks a webhook reads back as stored, its cursor
// starts at the tenant's last event, updates, rotation, disabling and
// delete, each scoped to the tenant.
func testWebhookCRUD(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	f.events(t, a.ID, convstore.ID{}, "hold.placed", "hold.released")
	w := f.webhook(t, a.ID, "conversation.deleted", "hold.placed")
	if w.CursorSeq != 2 || w.URL != "https://example.com/hook" || len(w.Events) != 2 || w.Events[1] != "hold.placed" ||
		string(w.Secret) != "\xf5\x00secret" || w.PreviousSecret != nil || w.State != convstore.WebhookEnabled || w.DisabledAt != nil {
		t.Errorf("webhook read back as %+v", w)
	}
	all := f.webhook(t, a.ID)
	if all.Events != nil {
		t.Errorf("a webhook of every type reads back events %v, want nil", all.Events)
	}
	err := f.try(func(ctx context.Context, tx driver.Tx) error {
		return tx.WebhookInsert(ctx, &driver.WebhookRow{Webhook: convstore.Webhook{ID: convstore.NewID(), TenantID: convstore.NewID(),
			URL: "https://x", State: convstore.WebhookEnabled, CreatedAt: now(), UpdatedAt: now()}, Secret: []byte("s")})
	})
	wantCode(t, "insert for a missing tenant", err, convstore.ENOTFOUND, "tenant")
	_, err = f.drv.Reads().WebhookGet(f.ctx, b.ID, w.ID)
	wantCode(t, "another tenant's webhook", err, convstore.ENOTFOUND, "webhook")
	got, err := f.drv.Reads().WebhookList(f.ctx, a.ID, page(10, false))
	must(t, err)
	if !sameIDs(ids(got, func(r *driver.WebhookRow) convstore.ID { return r.ID }), []convstore.ID{w.ID, all.ID}) {
		t.Errorf("list: %v", got)
	}
	if got, _ := f.drv.Reads().WebhookList(f.ctx, b.ID, page(10, false)); len(got) != 0 {
		t.Errorf("tenant B lists %d webhooks", len(got))
	}
	url, desc, none := "https://example.org/x", "d", []string{}
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		w, err = tx.WebhookUpdate(ctx, &driver.WebhookUpdateParams{TenantID: a.ID, ID: w.ID, URL: &url, Events: &none, Description: &desc,
			Disable: true, DisabledReason: "by hand", UpdatedAt: now()})
		return err
	})
	if w.URL != url || w.Events != nil || w.Description != "d" || w.State != convstore.WebhookDisabled || w.DisabledReason != "by hand" ||
		w.DisabledAt == nil {
		t.Errorf("updated: %+v", w)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		w, err = tx.WebhookUpdate(ctx, &driver.WebhookUpdateParams{TenantID: a.ID, ID: w.ID, Enable: true, UpdatedAt: now()})
		return err
	})
	if w.State != convstore.WebhookEnabled || w.DisabledReason != "" || w.DisabledAt != nil || w.URL != url {
		t.Errorf("enabled: %+v", w)
	}
	err = f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.WebhookUpdate(ctx, &driver.WebhookUpdateParams{TenantID: b.ID, ID: w.ID, URL: &url, UpdatedAt: now()})
		return err
	})
	wantCode(t, "another tenant's update", err, convstore.ENOTFOUND, "webhook")
	until := now().Add(time.Hour)
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		w, err = tx.WebhookRotateSecret(ctx, a.ID, w.ID, []byte("new"), until, now())
		return err
	})
	if string(w.Secret) != "new" || string(w.PreviousSecret) != "\xf5\x00secret" || w.PreviousSecretExpiresAt == nil ||
		!w.PreviousSecretExpiresAt.Equal(until) {
		t.Errorf("rotated: secret %q, previous %q until %v", w.Secret, w.PreviousSecret, w.PreviousSecretExpiresAt)
	}
	err = f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.WebhookRotateSecret(ctx, b.ID, w.ID, []byte("x"), until, now())
		return err
	})
	wantCode(t, "another tenant's rotation", err, convstore.ENOTFOUND, "webhook")
	var first, second bool
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		var err error
		first, err = tx.WebhookDisable(ctx, a.ID, w.ID, "failing", now())
		return err
	})
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		var err error
		second, err = tx.WebhookDisable(ctx, a.ID, w.ID, "again", now())
		return err
	})
	if !first || second {
		t.Errorf("disable reported %v, then %v; want true, then false", first, second)
	}
	if got, _ := f.drv.Reads().WebhookGet(f.ctx, a.ID, w.ID); got == nil || got.State != convstore.WebhookDisabled || got.DisabledReason != "failing" {
		t.Errorf("disabled twice: %+v; want the first reason kept", got)
	}
	err = f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.WebhookDisable(ctx, b.ID, w.ID, "x", now())
		return err
	})
	wantCode(t, "another tenant's disable", err, convstore.ENOTFOUND, "webhook")
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.WebhookDelete(ctx, b.ID, w.ID) })
	wantCode(t, "another tenant's delete", err, convstore.ENOTFOUND, "webhook")
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.WebhookDelete(ctx, a.ID, w.ID) })
	_, err = f.drv.Reads().WebhookGet(f.ctx, a.ID, w.ID)
	wantCode(t, "a deleted webhook", err, convstore.ENOTFOUND, "webhook")
}

// testWebhookFanOut checks deliveries are made for the events after the
// cursor that the filter takes, the cursor moves past those it does not,
// reads are bounded, and a disabled webhook is left alone.
func testWebhookFanOut(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	f.events(t, a.ID, convstore.ID{}, "hold.placed")
	w := f.webhook(t, a.ID, "conversation.deleted")
	every := f.webhook(t, a.ID)
	conv := convstore.NewID()
	evs := f.events(t, a.ID, conv, "conversation.deleted", "hold.placed", "conversation.deleted", "conversation.purged")
	f.events(t, b.ID, conv, "conversation.deleted")
	behind, err := f.drv.Reads().WebhookBehind(f.ctx, 10)
	must(t, err)
	if len(behind) != 2 {
		t.Errorf("WebhookBehind: %v, want both of tenant A's", behind)
	}
	if made, read := f.fanOut(t, w, 2); made != 1 || read != 2 {
		t.Errorf("first fan-out: made %d, read %d; want 1, 2", made, read)
	}
	if made, read := f.fanOut(t, w, 10); made != 1 || read != 2 {
		t.Errorf("second fan-out: made %d, read %d; want 1, 2", made, read)
	}
	if made, read := f.fanOut(t, w, 10); made != 0 || read != 0 {
		t.Errorf("caught-up fan-out: made %d, read %d", made, read)
	}
	if made, _ := f.fanOut(t, every, 10); made != 4 {
		t.Errorf("fan-out of every type made %d, want 4", made)
	}
	behind, _ = f.drv.Reads().WebhookBehind(f.ctx, 10)
	if len(behind) != 0 {
		t.Errorf("WebhookBehind after fan-out: %v", behind)
	}
	list, err := f.drv.Reads().WebhookDeliveryList(f.ctx, &driver.WebhookDeliveryListParams{TenantID: a.ID, WebhookID: w.ID, Page: page(10, false)})
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("deliveries: %d, want 2", len(list))
	}
	d := list[0]
	if d.EventID != evs[0].ID || d.EventType != "conversation.deleted" || d.Seq != 2 || d.ConversationID != conv ||
		!d.OccurredAt.Equal(evs[0].OccurredAt) || string(d.Data) != `{"i":0}` || d.State != convstore.DeliveryPending ||
		d.Attempts != 0 || d.LastAttemptAt != nil || d.DeliveredAt != nil || d.TenantID != a.ID || list[1].Seq != 4 {
		t.Errorf("delivery read back as %+v", d)
	}
	if got, _ := f.drv.Reads().WebhookDeliveryList(f.ctx, &driver.WebhookDeliveryListParams{TenantID: b.ID, WebhookID: w.ID,
		Page: page(10, false)}); len(got) != 0 {
		t.Errorf("tenant B lists tenant A's deliveries")
	}
	_, err = f.drv.Reads().WebhookDeliveryGet(f.ctx, b.ID, w.ID, d.ID)
	wantCode(t, "another tenant's delivery", err, convstore.ENOTFOUND, "webhook delivery")
	if got, err := f.drv.Reads().WebhookDeliveryGet(f.ctx, a.ID, w.ID, d.ID); err != nil || got.ID != d.ID {
		t.Errorf("get: %v, %v", got, err)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.WebhookDisable(ctx, a.ID, w.ID, "x", now())
		return err
	})
	f.events(t, a.ID, conv, "conversation.deleted")
	if made, read := f.fanOut(t, w, 10); made != 0 || read != 0 {
		t.Errorf("a disabled webhook's fan-out: made %d, read %d", made, read)
	}
	err = f.try(func(ctx context.Context, tx driver.Tx) error {
		_, _, err := tx.WebhookFanOut(ctx, &driver.WebhookFanOutParams{TenantID: b.ID, WebhookID: every.ID, IDs: []convstore.ID{convstore.NewID()}, At: now()})
		return err
	})
	wantCode(t, "another tenant's fan-out", err, convstore.ENOTFOUND, "webhook")
}

// testWebhookClaimInOrder checks a later delivery of a conversation is
// not claimed while an earlier one is unfinished, others' are, and a
// disabled webhook's are not.
func testWebhookClaimInOrder(t *testing.T, f *fixture) {
	a := f.tenant(t)
	w := f.webhook(t, a.ID)
	x, y := convstore.NewID(), convstore.NewID()
	f.events(t, a.ID, x, "conversation.deleted", "conversation.purged")
	f.events(t, a.ID, y, "conversation.deleted")
	f.events(t, a.ID, convstore.ID{}, "hold.placed", "hold.released")
	f.fanOut(t, w, 10)
	owner := convstore.NewID()
	at := now().Add(time.Second)
	got := f.claim(t, owner, at, time.Minute, 10)
	slices.SortFunc(got, func(a, b *convstore.WebhookDelivery) int { return int(a.Seq - b.Seq) })
	// x's second waits for its first; events of no conversation are not
	// ordered among themselves.
	if s := seqs(got); len(s) != 4 || s[0] != 1 || s[1] != 3 || s[2] != 4 || s[3] != 5 {
		t.Fatalf("claimed seqs %v, want [1 3 4 5]", s)
	}
	for _, d := range got {
		if d.State != convstore.DeliveryDelivering {
			t.Errorf("claimed delivery in state %q", d.State)
		}
	}
	if again := f.claim(t, convstore.NewID(), at, time.Minute, 10); len(again) != 0 {
		t.Errorf("claimed again under live leases and behind an unfinished one: %v", seqs(again))
	}
	if _, err := f.finish(t, got[0], owner, convstore.DeliveryPending, 500); err != nil {
		t.Fatal(err)
	}
	// The first is pending again (due in a minute): the second still waits.
	if again := f.claim(t, owner, at, time.Minute, 10); len(again) != 0 {
		t.Errorf("claimed behind a pending retry: %v", seqs(again))
	}
	for _, d := range got[1:] {
		if _, err := f.finish(t, d, owner, convstore.DeliverySucceeded, 200); err != nil {
			t.Fatal(err)
		}
	}
	// Due now: x's first retried, then (once it failed for good) its second.
	first := f.claim(t, owner, at.Add(2*time.Minute), time.Minute, 10)
	if s := seqs(first); len(s) != 1 || s[0] != 1 {
		t.Fatalf("after the retry is due: %v, want [1]", s)
	}
	if _, err := f.finish(t, first[0], owner, convstore.DeliveryFailed, 500); err != nil {
		t.Fatal(err)
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.WebhookDisable(ctx, a.ID, w.ID, "x", now())
		return err
	})
	if got := f.claim(t, owner, at.Add(2*time.Minute), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed a disabled webhook's delivery: %v", seqs(got))
	}
	f.write(t, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.WebhookUpdate(ctx, &driver.WebhookUpdateParams{TenantID: a.ID, ID: w.ID, Enable: true, UpdatedAt: now()})
		return err
	})
	if s := seqs(f.claim(t, owner, at.Add(2*time.Minute), time.Minute, 10)); len(s) != 1 || s[0] != 2 {
		t.Errorf("after the first failed for good: %v, want [2]", s)
	}
}

// testWebhookLeaseTakeover checks a lease that ended is claimed by
// another worker, after which the first worker's finish is refused.
func testWebhookLeaseTakeover(t *testing.T, f *fixture) {
	a := f.tenant(t)
	w := f.webhook(t, a.ID)
	f.events(t, a.ID, convstore.NewID(), "conversation.deleted")
	f.fanOut(t, w, 10)
	dead, live := convstore.NewID(), convstore.NewID()
	at := now().Add(time.Second)
	got := f.claim(t, dead, at, time.Minute, 10)
	if len(got) != 1 {
		t.Fatalf("claimed %d, want 1", len(got))
	}
	if again := f.claim(t, live, at.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
		t.Errorf("claimed under a live lease")
	}
	taken := f.claim(t, live, at.Add(2*time.Minute), time.Minute, 10)
	if len(taken) != 1 || taken[0].ID != got[0].ID {
		t.Fatalf("after the lease ended: %v, want the delivery taken over", taken)
	}
	_, err := f.finish(t, got[0], dead, convstore.DeliverySucceeded, 200)
	wantCode(t, "the dead worker's finish", err, convstore.ENOTFOUND, "webhook delivery")
	if _, err := f.finish(t, taken[0], live, convstore.DeliverySucceeded, 200); err != nil {
		t.Errorf("the new owner's finish: %v", err)
	}
	attempts, err := f.drv.Reads().WebhookAttemptList(f.ctx, a.ID, got[0].ID, 10)
	must(t, err)
	if len(attempts) != 1 || attempts[0].Attempt != 1 {
		t.Errorf("attempts %+v, want only the new owner's", attempts)
	}
}

// testWebhookFinishReplay checks the attempt log, the delivery's last_*
// fields, the webhook's failure record, and replay.
func testWebhookFinishReplay(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	w := f.webhook(t, a.ID)
	f.events(t, a.ID, convstore.ID{}, "hold.placed")
	f.fanOut(t, w, 10)
	owner := convstore.NewID()
	d := f.claim(t, owner, now().Add(time.Second), time.Minute, 10)[0]
	h, err := f.finish(t, d, owner, convstore.DeliveryPending, 503)
	must(t, err)
	if h.Failures != 1 || h.FirstFailureAt == nil || h.State != convstore.WebhookEnabled {
		t.Errorf("health after a failure: %+v", h)
	}
	d = f.claim(t, owner, now().Add(2*time.Minute), time.Minute, 10)[0]
	h, err = f.finish(t, d, owner, convstore.DeliveryPending, 0)
	must(t, err)
	first := *h.FirstFailureAt
	if h.Failures != 2 {
		t.Errorf("health after two failures: %+v", h)
	}
	d = f.claim(t, owner, now().Add(4*time.Minute), time.Minute, 10)[0]
	h, err = f.finish(t, d, owner, convstore.DeliverySucceeded, 204)
	must(t, err)
	if h.Failures != 0 || h.FirstFailureAt != nil {
		t.Errorf("health after a success: %+v (first failure was %v)", h, first)
	}
	got, err := f.drv.Reads().WebhookDeliveryGet(f.ctx, a.ID, w.ID, d.ID)
	must(t, err)
	if got.State != convstore.DeliverySucceeded || got.Attempts != 3 || got.LastStatus != 204 || got.LastLatency != 1500*time.Microsecond ||
		got.LastError != "e" || got.ResponsePrefix != "body" || got.DeliveredAt == nil || got.LastAttemptAt == nil {
		t.Errorf("succeeded delivery: %+v", got)
	}
	attempts, err := f.drv.Reads().WebhookAttemptList(f.ctx, a.ID, d.ID, 10)
	must(t, err)
	if len(attempts) != 3 || attempts[0].Status != 503 || attempts[1].Status != 0 || attempts[2].Attempt != 3 || attempts[2].Status != 204 {
		t.Errorf("attempts: %+v", attempts)
	}
	if other, _ := f.drv.Reads().WebhookAttemptList(f.ctx, b.ID, d.ID, 10); len(other) != 0 {
		t.Errorf("tenant B reads tenant A's attempts")
	}
	if list, _ := f.drv.Reads().WebhookDeliveryList(f.ctx, &driver.WebhookDeliveryListParams{TenantID: a.ID, WebhookID: w.ID,
		State: convstore.DeliveryPending, Page: page(10, false)}); len(list) != 0 {
		t.Errorf("pending filter lists %d", len(list))
	}
	err = f.try(func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.WebhookDeliveryReplay(ctx, b.ID, w.ID, d.ID, now())
		return err
	})
	wantCode(t, "another tenant's replay", err, convstore.ENOTFOUND, "webhook delivery")
	var r *convstore.WebhookDelivery
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		r, err = tx.WebhookDeliveryReplay(ctx, a.ID, w.ID, d.ID, now())
		return err
	})
	if r.State != convstore.DeliveryPending || r.Attempts != 3 || r.DeliveredAt != nil {
		t.Errorf("replayed: %+v", r)
	}
	again := f.claim(t, owner, now().Add(time.Second), time.Minute, 10)
	if len(again) != 1 || again[0].ID != d.ID {
		t.Fatalf("replayed delivery not claimed: %v", again)
	}
	if _, err := f.finish(t, again[0], owner, convstore.DeliverySucceeded, 200); err != nil {
		t.Fatal(err)
	}
	if attempts, _ := f.drv.Reads().WebhookAttemptList(f.ctx, a.ID, d.ID, 10); len(attempts) != 4 || attempts[3].Attempt != 4 {
		t.Errorf("attempts after the replay: %d", len(attempts))
	}
	// A test delivery, stored as given.
	test := &convstore.WebhookDelivery{ID: convstore.NewID(), TenantID: a.ID, WebhookID: w.ID, EventID: convstore.NewID(),
		EventType: convstore.EventWebhookTest, OccurredAt: now(), Data: json.RawMessage(`{}`), State: convstore.DeliveryPending,
		NextAttemptAt: now(), CreatedAt: now()}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.WebhookDeliveryInsert(ctx, test) })
	if got := f.claim(t, owner, now().Add(time.Second), time.Minute, 10); len(got) != 1 || got[0].EventType != convstore.EventWebhookTest {
		t.Errorf("test delivery not claimed: %v", got)
	}
	var n int
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		n, err = tx.WebhookDeliveryPrune(ctx, now().Add(time.Hour), 10)
		return err
	})
	if n != 1 {
		t.Errorf("pruned %d, want the one succeeded delivery (not the one delivering)", n)
	}
}

// testWebhookFinishMany checks recording several webhooks' attempts at
// once: each recorded as alone, one no longer leased to its owner left
// out, and each webhook's failure record counted in the batch's order.
func testWebhookFinishMany(t *testing.T, f *fixture) {
	a := f.tenant(t)
	w1, w2, w3 := f.webhook(t, a.ID), f.webhook(t, a.ID), f.webhook(t, a.ID)
	f.events(t, a.ID, convstore.ID{}, "hold.placed", "hold.placed", "hold.placed", "hold.placed")
	for _, w := range []*driver.WebhookRow{w1, w2, w3} {
		f.fanOut(t, w, 10)
	}
	owner, other := convstore.NewID(), convstore.NewID()
	claimed := f.claim(t, owner, now().Add(time.Second), time.Minute, 100)
	if len(claimed) != 12 {
		t.Fatalf("claimed %d deliveries, want 12", len(claimed))
	}
	of := map[convstore.ID][]*convstore.WebhookDelivery{}
	for _, d := range claimed {
		of[d.WebhookID] = append(of[d.WebhookID], d)
	}
	// w2 has failed once already, at t0.
	h, err := f.finish(t, of[w2.ID][3], owner, convstore.DeliveryPending, 503)
	must(t, err)
	t0 := *h.FirstFailureAt
	base := now().Add(time.Minute)
	var ps []*driver.WebhookDeliveryFinishParams
	add := func(d *convstore.WebhookDelivery, by convstore.ID, status int) {
		state := convstore.DeliveryPending
		if status == 204 {
			state = convstore.DeliverySucceeded
		}
		ps = append(ps, &driver.WebhookDeliveryFinishParams{TenantID: d.TenantID, WebhookID: d.WebhookID, DeliveryID: d.ID, Owner: by,
			State: state, NextAttemptAt: base.Add(time.Hour), Failed: status != 204,
			Attempt: convstore.WebhookAttempt{StartedAt: base.Add(time.Duration(len(ps)) * time.Second), Latency: time.Duration(len(ps)+1) * time.Millisecond,
				Status: status, Error: "e" + itoa(len(ps)), ResponsePrefix: "p"}})
	}
	add(of[w1.ID][0], owner, 503) // 0: w1 fails,
	add(of[w2.ID][0], owner, 500) // 1: w2 fails (its second),
	add(of[w1.ID][1], owner, 204) // 2: w1 succeeds,
	add(of[w1.ID][2], owner, 0)   // 3: w1 fails again: one failure, since 3
	add(of[w3.ID][0], owner, 204) // 4: w3 succeeds, its record clear already
	add(of[w1.ID][3], other, 204) // 5: not other's lease: not recorded
	add(of[w2.ID][1], owner, 502) // 6: w2's third failure, since t0
	var hs []*driver.WebhookHealth
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		hs, err = tx.WebhookDeliveryFinishMany(ctx, ps)
		return err
	})
	if len(hs) != len(ps) {
		t.Fatalf("%d healths for %d attempts", len(hs), len(ps))
	}
	for _, i := range []int{0, 2, 3} {
		if h := hs[i]; h == nil || h.Failures != 1 || h.FirstFailureAt == nil || !h.FirstFailureAt.Equal(ps[3].Attempt.StartedAt) ||
			h.State != convstore.WebhookEnabled {
			t.Errorf("w1's health at %d: %+v, want one failure since %v", i, h, ps[3].Attempt.StartedAt)
		}
	}
	for _, i := range []int{1, 6} {
		if h := hs[i]; h == nil || h.Failures != 3 || h.FirstFailureAt == nil || !h.FirstFailureAt.Equal(t0) {
			t.Errorf("w2's health at %d: %+v, want three failures since %v", i, h, t0)
		}
	}
	if h := hs[4]; h == nil || h.Failures != 0 || h.FirstFailureAt != nil || h.State != convstore.WebhookEnabled {
		t.Errorf("w3's health: %+v", h)
	}
	if hs[5] != nil {
		t.Errorf("an attempt under another owner's lease was recorded: %+v", hs[5])
	}
	for i, p := range ps {
		got, err := f.drv.Reads().WebhookDeliveryGet(f.ctx, a.ID, p.WebhookID, p.DeliveryID)
		must(t, err)
		attempts, err := f.drv.Reads().WebhookAttemptList(f.ctx, a.ID, p.DeliveryID, 10)
		must(t, err)
		if i == 5 {
			if got.State != convstore.DeliveryDelivering || got.Attempts != 0 || len(attempts) != 0 {
				t.Errorf("the unrecorded attempt's delivery: %+v, %d attempts", got, len(attempts))
			}
			continue
		}
		if got.State != p.State || got.Attempts != 1 || got.LastStatus != p.Attempt.Status || got.LastError != p.Attempt.Error ||
			got.LastLatency != p.Attempt.Latency || got.LastAttemptAt == nil || !got.LastAttemptAt.Equal(p.Attempt.StartedAt) ||
			(p.State == convstore.DeliverySucceeded) != (got.DeliveredAt != nil) {
			t.Errorf("delivery %d after the batch: %+v", i, got)
		}
		if p.State == convstore.DeliveryPending && !got.NextAttemptAt.Equal(p.NextAttemptAt) {
			t.Errorf("delivery %d due at %v, want %v", i, got.NextAttemptAt, p.NextAttemptAt)
		}
		if len(attempts) != 1 || attempts[0].Attempt != 1 || attempts[0].Status != p.Attempt.Status || attempts[0].Error != p.Attempt.Error ||
			attempts[0].ResponsePrefix != "p" || !attempts[0].StartedAt.Equal(p.Attempt.StartedAt) || attempts[0].Latency != p.Attempt.Latency {
			t.Errorf("delivery %d's attempts: %+v", i, attempts)
		}
	}
	// The succeeded deliveries are claimed no more; the failed ones come
	// back when due.
	ids := map[convstore.ID]bool{}
	for _, d := range f.claim(t, owner, base.Add(2*time.Hour), time.Minute, 100) {
		ids[d.ID] = true
	}
	for _, i := range []int{0, 1, 3, 6} {
		if !ids[ps[i].DeliveryID] {
			t.Errorf("failed delivery %d not claimed again when due", i)
		}
	}
	if ids[ps[2].DeliveryID] || ids[ps[4].DeliveryID] {
		t.Errorf("a succeeded delivery was claimed again")
	}
	// Nothing to record.
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		hs, err = tx.WebhookDeliveryFinishMany(ctx, nil)
		return err
	})
	if len(hs) != 0 {
		t.Errorf("an empty batch returned %d healths", len(hs))
	}
}

// testWebhookConcurrentClaims checks two workers claiming at once never
// take one delivery.
func testWebhookConcurrentClaims(t *testing.T, f *fixture) {
	a := f.tenant(t)
	w := f.webhook(t, a.ID)
	types := make([]string, 40)
	for i := range types {
		types[i] = "hold.placed"
	}
	f.events(t, a.ID, convstore.ID{}, types...)
	f.fanOut(t, w, 100)
	at := now().Add(time.Second)
	var mu sync.Mutex
	seen := map[convstore.ID]int{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			owner := convstore.NewID()
			for {
				var got []*convstore.WebhookDelivery
				err := f.try(func(ctx context.Context, tx driver.Tx) (err error) {
					got, err = tx.WebhookDeliveryClaim(ctx, &driver.WebhookDeliveryClaimParams{Owner: owner, Now: at, Until: at.Add(time.Hour), Limit: 3})
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, d := range got {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 40 {
		t.Errorf("claimed %d distinct deliveries, want 40", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %v claimed %d times", id, n)
		}
	}
}

// testWebhookCascade checks deleting a webhook removes its deliveries
// and attempts, and nothing else.
func testWebhookCascade(t *testing.T, f *fixture) {
	a := f.tenant(t)
	w, kept := f.webhook(t, a.ID), f.webhook(t, a.ID)
	f.events(t, a.ID, convstore.ID{}, "hold.placed", "hold.released")
	f.fanOut(t, w, 10)
	f.fanOut(t, kept, 10)
	owner := convstore.NewID()
	for _, d := range f.claim(t, owner, now().Add(time.Second), time.Minute, 10) {
		if _, err := f.finish(t, d, owner, convstore.DeliverySucceeded, 200); err != nil {
			t.Fatal(err)
		}
	}
	before := f.counts(t)
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.WebhookDelete(ctx, a.ID, w.ID) })
	if before == nil {
		return
	}
	after := f.counts(t)
	for table, n := range map[string]int{"webhooks": 1, "webhook_deliveries": 2, "webhook_attempts": 2, "events": 0} {
		if before[table]-after[table] != n {
			t.Errorf("%s: %d rows before, %d after; want %d fewer", table, before[table], after[table], n)
		}
	}
}
