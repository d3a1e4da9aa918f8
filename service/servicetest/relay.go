package servicetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// memPublisher is an EventPublisher that stores what it is given,
// dropping an id it stored before (as JetStream does by Nats-Msg-Id), and
// fails a publication when fail says so.
type memPublisher struct {
	mu      sync.Mutex
	stored  []*convstore.Event
	seen    map[convstore.ID]bool
	calls   int
	fail    func(call int, e *convstore.Event) bool
	stored1 chan struct{} // receives after each stored event, if set
}

var errPublish = errors.New("message system unavailable")

func (p *memPublisher) Publish(ctx context.Context, e *convstore.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.fail != nil && p.fail(p.calls, e) {
		return errPublish
	}
	if p.seen == nil {
		p.seen = map[convstore.ID]bool{}
	}
	if !p.seen[e.ID] {
		p.seen[e.ID] = true
		p.stored = append(p.stored, e)
		if p.stored1 != nil {
			select {
			case p.stored1 <- struct{}{}:
			default:
			}
		}
	}
	return nil
}

// byTenant returns the sequence numbers stored of each tenant, in the
// order they were stored.
func (p *memPublisher) byTenant() map[convstore.ID][]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[convstore.ID][]int64{}
	for _, e := range p.stored {
		out[e.TenantID] = append(out[e.TenantID], e.Seq)
	}
	return out
}

// deleteSome creates and deletes n conversations of the tenant.
func deleteSome(t *testing.T, ctx context.Context, svc *service.Service, tenantID convstore.ID, n int) {
	t.Helper()
	for range n {
		c, _ := MustCreateConversation(t, ctx, svc, tenantID, &convstore.ConversationCreate{
			Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hello"}}})
		MustDeleteConversation(t, ctx, svc, tenantID, c.ID, operator)
	}
}

// A publication that fails stops its tenant's run there, and only its
// tenant's: the other tenant's events are all published, the failed one
// and those after it are published by the next pass, and each tenant's
// events reach the publisher in sequence order, each once, all marked
// delivered.
func testRelayFailureKeepsOrder(t *testing.T, db *Database) {
	ctx, svc, _, a := eventSvc(t, db)
	b, _ := MustCreateTenant(t, ctx, svc, uniqueName("other"))
	deleteSome(t, ctx, svc, a.ID, 5)
	deleteSome(t, ctx, svc, b.ID, 5)
	failed := false
	pub := &memPublisher{fail: func(_ int, e *convstore.Event) bool {
		if e.TenantID == a.ID && e.Seq == 3 && !failed {
			failed = true
			return true
		}
		return false
	}}
	relay := svc.NewRelay(pub, service.RelayOptions{Batch: 2})
	if n, err := relay.Deliver(ctx); !errors.Is(err, errPublish) || n < 2 {
		t.Fatalf("Deliver = %d, %v; want at least tenant A's first two, and the failure", n, err)
	}
	if n, err := relay.Deliver(ctx); err != nil || n == 0 {
		t.Fatalf("second Deliver = %d, %v; want the rest", n, err)
	}
	for _, tenant := range []convstore.ID{a.ID, b.ID} {
		got := pub.byTenant()[tenant]
		if len(got) != 5 {
			t.Fatalf("tenant published %v, want sequences 1 to 5", got)
		}
		for i, seq := range got {
			if seq != int64(i+1) {
				t.Errorf("tenant's events published in the order %v, want 1 to 5", got)
				break
			}
		}
		for _, e := range allEvents(t, ctx, svc, tenant) {
			if e.DeliveredAt == nil {
				t.Errorf("event %d published but not marked delivered", e.Seq)
			}
		}
	}
	if pub.calls != 11 {
		t.Errorf("%d publications, want 11 (10 events and the failed one again)", pub.calls)
	}
}

// A running relay publishes an event as soon as the write that made it
// commits on its node, not at its next poll; while publishing fails it
// backs off and then publishes.
func testRelayWakesAndRetries(t *testing.T, db *Database) {
	ctx, svc, _, tenant := eventSvc(t, db)
	failures := 2
	pub := &memPublisher{stored1: make(chan struct{}, 1), fail: func(int, *convstore.Event) bool {
		failures--
		return failures >= 0
	}}
	relay := svc.NewRelay(pub, service.RelayOptions{Interval: time.Hour, MaxBackoff: 200 * time.Millisecond})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		relay.Run(runCtx)
	}()
	defer func() { stop(); <-done }()
	time.Sleep(50 * time.Millisecond) // the first pass has found nothing: only a wake-up or a retry runs the next
	deleteSome(t, ctx, svc, tenant.ID, 1)
	select {
	case <-pub.stored1:
	case <-time.After(10 * time.Second):
		t.Fatal("the event was not published within 10s of its commit (poll interval 1h)")
	}
	if got := pub.byTenant()[tenant.ID]; len(got) != 1 || got[0] != 1 {
		t.Errorf("published %v, want the event numbered 1", got)
	}
}

// With a relay on the node, pruning events past their retention that
// were never delivered is reported (ObserveRelay); the delivered are
// pruned silently.
func testRelayPruneUndelivered(t *testing.T, db *Database) {
	ctx := testContext(t)
	clock := &Clock{}
	svc := OpenService(t, db, service.Options{Logger: Logger(t), Now: clock.Now, PurgeInterval: -1, EventRetention: time.Hour})
	tenant, _ := MustCreateTenant(t, ctx, svc, uniqueName("tenant"))
	var mu sync.Mutex
	var pruned int
	svc.ObserveRelay(func(r service.RelayReport) {
		mu.Lock()
		pruned += r.PrunedUndelivered
		mu.Unlock()
	})
	deleteSome(t, ctx, svc, tenant.ID, 2)
	relay := svc.NewRelay(&memPublisher{}, service.RelayOptions{})
	if n, err := relay.Deliver(ctx); err != nil || n != 2 {
		t.Fatalf("Deliver = %d, %v; want 2", n, err)
	}
	deleteSome(t, ctx, svc, tenant.ID, 3)
	if n, _, err := svc.EventBacklog(ctx); err != nil || n != 3 {
		t.Fatalf("backlog %d, %v; want the 3 undelivered", n, err)
	}
	clock.Advance(2 * time.Hour)
	if n, err := svc.SweepEvents(ctx); err != nil || n != 5 {
		t.Fatalf("SweepEvents = %d, %v; want 5", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if pruned != 3 {
		t.Errorf("reported %d undelivered events pruned, want 3", pruned)
	}
}
