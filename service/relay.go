package service

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// EventPublisher hands one event to a message system (package natsrelay:
// NATS JetStream). Publish returns nil once the system has stored the
// event (acknowledged it), and may be called again with the same event
// after a crash or a failure: the system, or its receivers, deduplicate by
// Event.ID.
type EventPublisher interface {
	Publish(ctx context.Context, e *convstore.Event) error
}

// Defaults of RelayOptions.
const (
	// DefaultRelayInterval is how often a relay looks for events it was
	// not woken for: those committed on other nodes, and those a dead
	// node's lease held.
	DefaultRelayInterval = time.Second
	// DefaultRelayLease is how long a relay holds the events it claimed:
	// how long a dead node's claimed events wait before another node
	// publishes them. A claim's publishing is cut off at half of it, so a
	// slow relay never publishes under a lease that ended.
	DefaultRelayLease = 30 * time.Second
	// DefaultRelayBatch is how many events of one tenant one claim takes.
	DefaultRelayBatch = 100
	// DefaultRelayMaxBackoff caps the wait after failures.
	DefaultRelayMaxBackoff = 30 * time.Second
	// DefaultRelayCoalesce is how long a relay woken by a commit waits
	// before its pass, so that the events of the commits that follow
	// within it are claimed, published and marked together: under a
	// stream of deletes a pass (numbering, claim, mark: three short
	// write transactions) serves many of them rather than one each.
	DefaultRelayCoalesce = 100 * time.Millisecond
	// relayTenants is how many tenants one claim takes; their events are
	// published side by side, each tenant's in order.
	relayTenants = 16
	// relayMinBackoff is the wait after the first failure; it doubles
	// with each failure in a row, up to the maximum, with jitter.
	relayMinBackoff = 100 * time.Millisecond
	// relaySettleTimeout bounds marking what was published, which runs
	// even when the relay is stopping: an event left unmarked is
	// published again (a duplicate the receiver drops).
	relaySettleTimeout = 10 * time.Second
)

// RelayOptions configure a Relay. The zero value is usable.
type RelayOptions struct {
	// Interval is how often Run looks for events besides being woken by
	// this node's writes; 0 means DefaultRelayInterval.
	Interval time.Duration
	// Lease is how long claimed events stay this relay's; 0 means
	// DefaultRelayLease.
	Lease time.Duration
	// Batch is how many events of one tenant a claim takes; 0 means
	// DefaultRelayBatch.
	Batch int
	// MaxBackoff caps the wait after failures; 0 means
	// DefaultRelayMaxBackoff.
	MaxBackoff time.Duration
	// Coalesce is how long a wake-up waits before its pass; 0 means
	// DefaultRelayCoalesce, negative none.
	Coalesce time.Duration
	// AfterPublish, if set, runs after a claim's events were published
	// and before they are marked delivered; an error stops there, the
	// events still leased, as a crash would (tests of redelivery).
	AfterPublish func(published []*convstore.Event) error
}

// RelayReport is what one pass of a relay, or one prune of the outbox,
// did: for metrics (ObserveRelay).
type RelayReport struct {
	Published int // events published and marked delivered
	Failures  int // publications that failed (each stops its tenant's run)
	// PrunedUndelivered counts events the sweeper pruned past
	// --event-retention before any relay delivered them.
	PrunedUndelivered int
}

// Relay publishes the outbox to an EventPublisher on every node: it
// numbers committed events, claims the undelivered ones with a lease
// (driver.EventTx.EventClaim), publishes each tenant's in sequence order,
// one acknowledged before the next, and marks them delivered. Ordering:
// a claim takes a tenant's first undelivered events and no other relay
// claims that tenant while the lease on its first undelivered event
// lives, so one relay at a time publishes a tenant's events, in order;
// the events of one conversation, numbered in the order their changes
// committed, are published in that order. A relay whose node dies
// leaves leases that end; another relay then publishes those events
// again from the first undelivered one, and the message system drops
// those it already stored (the event id is the message id).
type Relay struct {
	s          *Service
	pub        EventPublisher
	owner      convstore.ID // this relay's leases
	interval   time.Duration
	lease      time.Duration
	batch      int
	maxBackoff time.Duration
	coalesce   time.Duration
	after      func([]*convstore.Event) error
	wake       <-chan struct{}
	cursor     convstore.ID // the last tenant claimed: the next claim starts past it
}

// NewRelay returns a relay of s's outbox to pub; Run runs it. From now
// on, the sweeper logs (and reports to ObserveRelay) the undelivered
// events it prunes.
func (s *Service) NewRelay(pub EventPublisher, opts RelayOptions) *Relay {
	s.relays.Add(1)
	return &Relay{
		s:          s,
		pub:        pub,
		owner:      convstore.NewID(),
		interval:   positiveDuration(opts.Interval, DefaultRelayInterval),
		lease:      positiveDuration(opts.Lease, DefaultRelayLease),
		batch:      positive(opts.Batch, DefaultRelayBatch),
		maxBackoff: positiveDuration(opts.MaxBackoff, DefaultRelayMaxBackoff),
		coalesce:   max(0, cmpOr(opts.Coalesce, DefaultRelayCoalesce)),
		after:      opts.AfterPublish,
		wake:       s.outbox.subscribe(),
	}
}

// Run delivers until ctx ends: at once when a write on this node commits
// events, and every interval. After a failure it waits before trying
// again, longer with each failure in a row (exponential, with jitter,
// capped), and logs it.
func (r *Relay) Run(ctx context.Context) {
	failures := 0
	for {
		_, err := r.Deliver(ctx)
		if ctx.Err() != nil {
			return
		}
		wait, wake := r.interval, r.wake
		if err != nil {
			failures++
			wait, wake = relayBackoff(failures, r.maxBackoff), nil // a failing system is not hurried by new events
			r.s.logger.Warn("publishing events failed; retrying", "error", err, "failures", failures, "retry_in", wait.Round(time.Millisecond))
		} else {
			failures = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-wake:
			t.Stop()
			if r.coalesce > 0 {
				c := time.NewTimer(r.coalesce)
				select {
				case <-ctx.Done():
					c.Stop()
					return
				case <-c.C:
				}
			}
		}
	}
}

// cmpOr is v, or def if v is 0.
func cmpOr(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

// relayBackoff is the wait after the nth failure in a row: the minimum
// doubled n-1 times, capped, then drawn between half of it and all of it,
// so nodes that failed together do not retry together.
func relayBackoff(n int, ceiling time.Duration) time.Duration {
	d := relayMinBackoff
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d/2 + rand.N(d/2+1)
}

// Deliver numbers the committed events, claims, publishes and marks
// delivered every undelivered event it can claim, until none is left
// that no other relay holds. It returns how many it published and the
// first failure; what failed stays undelivered for the next pass (or
// another node).
func (r *Relay) Deliver(ctx context.Context) (int, error) {
	total := 0
	for {
		var evs []*convstore.Event
		now := r.s.now()
		// Numbering and claiming share a transaction: one commit per
		// pass. It is a foreground write: sequence numbers, once
		// published, must never be handed out again differently, which a
		// background write lost to a crash could lead to on PostgreSQL
		// (its pos order is not commit order).
		err := r.s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) (err error) {
			tenants, err := tx.EventUnnumbered(ctx, convstore.ID{}, eventNumberBatch)
			if err != nil {
				return err
			}
			// In id order: two relays numbering the same tenants wait
			// for each other's counter rows in one order, never in a
			// cycle.
			slices.SortFunc(tenants, func(a, b convstore.ID) int { return bytes.Compare(a[:], b[:]) })
			for _, t := range tenants {
				if _, err := tx.EventNumber(ctx, t, eventNumberBatch); err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND {
					return err
				}
			}
			evs, err = tx.EventClaim(ctx, &driver.EventClaimParams{Now: now, Owner: r.owner, Until: now.Add(r.lease),
				After: r.cursor, Tenants: relayTenants, Limit: r.batch})
			return err
		})
		if err != nil {
			return total, err
		}
		from := r.cursor
		if len(evs) == 0 {
			if from.IsZero() {
				return total, nil
			}
			r.cursor = convstore.ID{} // round again from the first tenant
			continue
		}
		r.cursor = evs[len(evs)-1].TenantID
		n, err := r.publish(ctx, evs)
		total += n
		if err != nil {
			return total, err
		}
		if from.IsZero() && !r.full(evs) {
			// The claim took every tenant's claimable events: what
			// commits from now on wakes the relay again.
			r.cursor = convstore.ID{}
			return total, nil
		}
	}
}

// full reports whether a claim may have left claimable events behind: it
// took as many tenants as a claim takes, or a tenant's full batch.
func (r *Relay) full(evs []*convstore.Event) bool {
	tenants, run := 1, 1
	for i := 1; i < len(evs); i++ {
		if evs[i].TenantID != evs[i-1].TenantID {
			tenants, run = tenants+1, 0
		}
		run++
		if run >= r.batch {
			return true
		}
	}
	return tenants >= relayTenants || r.batch == 1
}

// publish publishes claimed events, each tenant's in order on a goroutine
// of its own, then marks those acknowledged delivered and releases the
// rest of the claim, so that the next pass, here or on another node,
// starts again from each tenant's first undelivered event.
func (r *Relay) publish(ctx context.Context, evs []*convstore.Event) (int, error) {
	pctx, cancel := context.WithTimeout(ctx, r.lease/2)
	defer cancel()
	published := make([]bool, len(evs))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		errs     []error
		failures int
	)
	for start := 0; start < len(evs); {
		end := start + 1
		for end < len(evs) && evs[end].TenantID == evs[start].TenantID {
			end++
		}
		wg.Add(1)
		go func(from, to int) {
			defer wg.Done()
			for i := from; i < to; i++ {
				if err := r.pub.Publish(pctx, evs[i]); err != nil {
					mu.Lock()
					errs, failures = append(errs, err), failures+1
					mu.Unlock()
					return
				}
				published[i] = true
			}
		}(start, end)
		start = end
	}
	wg.Wait()
	var done, rest []convstore.ID
	var doneEvents []*convstore.Event
	for i, e := range evs {
		if published[i] {
			done, doneEvents = append(done, e.ID), append(doneEvents, e)
		} else {
			rest = append(rest, e.ID)
		}
	}
	if r.after != nil {
		if err := r.after(doneEvents); err != nil {
			return 0, err
		}
	}
	sctx, cancelSettle := context.WithTimeout(context.WithoutCancel(ctx), relaySettleTimeout)
	defer cancelSettle()
	err := r.s.drv.Write(sctx, driver.WriteParams{Background: true}, func(ctx context.Context, tx driver.Tx) error {
		if len(done) > 0 {
			if err := tx.EventDeliver(ctx, done, r.s.now()); err != nil {
				return err
			}
		}
		if len(rest) > 0 {
			return tx.EventRelease(ctx, r.owner, rest)
		}
		return nil
	})
	r.s.relayHook.report(RelayReport{Published: len(done), Failures: failures})
	if err != nil {
		return 0, err
	}
	return len(done), errors.Join(errs...)
}

// EventBacklog counts the events of every tenant not delivered yet and
// says when the oldest occurred (zero if none), for metrics.
func (s *Service) EventBacklog(ctx context.Context) (int64, time.Time, error) {
	return s.drv.Reads().EventBacklog(ctx)
}

// ObserveRelay makes fn receive what every relay pass and every event
// prune did, for metrics. fn must be fast; nil stops the reports.
func (s *Service) ObserveRelay(fn func(RelayReport)) {
	if fn == nil {
		s.relayHook.fn.Store(nil)
		return
	}
	s.relayHook.fn.Store(&fn)
}

// relayHook holds the ObserveRelay function.
type relayHook struct {
	fn atomic.Pointer[func(RelayReport)]
}

func (h *relayHook) report(r RelayReport) {
	if fn := h.fn.Load(); fn != nil && r != (RelayReport{}) {
		(*fn)(r)
	}
}
