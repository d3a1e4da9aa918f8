package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/convstore/convstore"
)

// hookReceiver is a webhook endpoint in the test process: it verifies
// each request with the official Standard Webhooks library and, while
// held, keeps requests waiting (the server is killed meanwhile).
type hookReceiver struct {
	t      *testing.T
	secret string
	mu     sync.Mutex
	held   chan struct{} // closed: answer at once
	got    map[string]int
	bad    int
	waited int // requests that found the receiver holding
}

func (r *hookReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	wh, _ := standardwebhooks.NewWebhook(r.secret)
	err := wh.Verify(body, req.Header)
	r.mu.Lock()
	held := r.held
	wasHeld := false
	select {
	case <-held:
	default:
		r.waited++
		wasHeld = true
	}
	r.mu.Unlock()
	<-held
	r.mu.Lock()
	defer r.mu.Unlock()
	if wasHeld { // its server died waiting: the receiver never processed it
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if err != nil {
		r.bad++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.got[req.Header.Get("webhook-id")]++
}

func (r *hookReceiver) ids() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.got))
	for k, v := range r.got {
		out[k] = v
	}
	return out
}

// A server killed (SIGKILL) while its webhook deliveries are in flight,
// right after the deletes that made them committed, loses none: after a
// restart, every event reaches the receiver (which deduplicates by
// webhook-id), each signed.
func TestKillWebhookDeliverySQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testKillWebhookDelivery(t, dir, sqliteKillStore(t, dir))
}

func TestKillWebhookDeliveryPostgres(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testKillWebhookDelivery(t, dir, postgresKillStore(t, dir))
}

func testKillWebhookDelivery(t *testing.T, dir string, st *killStore) {
	ctx := context.Background()
	args := append(append([]string{}, st.args...), "--webhook-allow-private", "--webhook-poll-interval", "100ms",
		"--webhook-timeout", "2s", "--webhook-workers", "4", "--webhook-concurrency", "4")
	recv := &hookReceiver{t: t, held: make(chan struct{}), got: map[string]int{}}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { // let held handlers end before srv.Close waits for them
		recv.mu.Lock()
		select {
		case <-recv.held:
		default:
			close(recv.held)
		}
		recv.mu.Unlock()
	})

	p := startProc(t, filepath.Join(dir, "clock"), args...)
	c := p.client()
	_, secret, err := c.CreateWebhook(ctx, convstore.ID{}, &convstore.WebhookCreate{URL: srv.URL + "/hook"}, convstore.DeleteParams{})
	if err != nil {
		t.Fatal(err)
	}
	recv.secret = secret.Secret // before any delivery: the webhook receives only later events

	const n = 20
	convs := createKillConvs(t, c, "hooked", n)
	for _, conv := range convs {
		if _, err := c.DeleteConversation(ctx, convstore.ID{}, conv.id, convstore.DeleteParams{}); err != nil {
			t.Fatal(err)
		}
	}
	// Deliveries are in flight (held by the receiver), the rest queued or
	// not even fanned out: kill the server now.
	waitUntil(t, 30*time.Second, "a delivery in flight", func() bool {
		recv.mu.Lock()
		defer recv.mu.Unlock()
		return recv.waited > 0
	})
	p.kill(t)
	recv.mu.Lock()
	close(recv.held) // answer the requests of the dead server (nobody reads them)
	recv.mu.Unlock()
	if before := recv.ids(); len(before) >= n {
		t.Fatalf("%d events were delivered before the kill: the test proves nothing", len(before))
	}

	t.Logf("killed with %d requests in flight", recv.waited)
	p2 := startProc(t, filepath.Join(dir, "clock"), args...)
	c2 := p2.client()
	events, _, err := c2.FindEvents(ctx, convstore.ID{}, convstore.EventFilter{Type: convstore.EventConversationDeleted, Limit: 100})
	if err != nil || len(events) != n {
		t.Fatalf("FindEvents = %d events, %v; want %d", len(events), err, n)
	}
	waitUntil(t, time.Minute, "every event at the receiver after the restart", func() bool {
		got := recv.ids()
		for _, e := range events {
			if got[e.ID.Format(convstore.PrefixEvent)] == 0 {
				return false
			}
		}
		return true
	})
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if recv.bad != 0 {
		t.Fatalf("%d requests did not verify", recv.bad)
	}
	all, _, err := c2.FindEvents(ctx, convstore.ID{}, convstore.EventFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, e := range all {
		known[e.ID.Format(convstore.PrefixEvent)] = true
	}
	for id := range recv.got {
		if !known[id] {
			t.Errorf("the receiver got %s, no event of the outbox", id)
		}
	}
}
