package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/stdwebhook"
)

// Defaults of WebhookDeliveryOptions.
const (
	DefaultWebhookPerEndpoint   = 4
	DefaultWebhookConcurrency   = 32
	DefaultWebhookPollInterval  = time.Second
	webhookFanOutBatch          = 500
	webhookBehindBatch          = 100
	webhookLeaseMargin          = 2 * time.Second        // a lease must outlast an attempt by this much to start it
	webhookWakeCoalesce         = 100 * time.Millisecond // commits that come together are fanned out together
	webhookDisableReasonMaxSize = 256
	webhookRecordTimeout        = 5 * time.Second      // bounds recording attempts after the worker stopped
	webhookRecordCoalesce       = 5 * time.Millisecond // attempts that end together are recorded together
)

// WebhookDeliveryOptions configure how webhook deliveries are sent
// (RunWebhooks). The zero value is the documented policy.
type WebhookDeliveryOptions struct {
	// Timeout bounds one attempt; 0 means stdwebhook.DefaultTimeout.
	Timeout time.Duration
	// PerEndpoint bounds the concurrent attempts to one webhook on this
	// node; 0 means DefaultWebhookPerEndpoint. Concurrency bounds them
	// across every webhook; 0 means DefaultWebhookConcurrency.
	PerEndpoint, Concurrency int
	// PollInterval is how often the worker looks for work it was not
	// woken for: events committed on other nodes, retries that came due,
	// leases of dead nodes that ended; 0 means DefaultWebhookPollInterval.
	PollInterval time.Duration
	// RetrySchedule is the wait before each retry, before jitter; nil
	// means DefaultWebhookRetrySchedule.
	RetrySchedule []time.Duration
	// Lease is how long a claimed delivery stays with this node: how long
	// a dead node's deliveries wait before another node takes them over.
	// 0 means enough for the attempts queued behind the endpoint's bound
	// (Timeout × (Concurrency/PerEndpoint + 1)); never less than Timeout
	// plus a margin.
	Lease time.Duration
	// DisableAfter and DisableMinFailures: a webhook whose attempts have
	// failed without a success in between for DisableAfter (0: the retry
	// schedule's sum, about 24 hours by default), at least
	// DisableMinFailures times (0: one delivery's every attempt,
	// len(RetrySchedule)+1), is disabled.
	DisableAfter       time.Duration
	DisableMinFailures int
}

// webhookEngine holds the delivery worker's settings and state.
type webhookEngine struct {
	owner                    convstore.ID // this node's leases
	timeout, lease, poll     time.Duration
	perEndpoint, concurrency int
	schedule                 []time.Duration
	disableAfter             time.Duration
	disableMinFailures       int
	forbidden                func(netip.AddrPort) bool
	client                   *http.Client
	inflight                 atomic.Int64
	freed                    chan struct{} // an attempt ended: room to claim more
	mu                       sync.Mutex
	endpoints                map[convstore.ID]chan struct{} // per webhook: its attempts in flight
	observe                  atomic.Pointer[func(WebhookAttemptOutcome)]
}

func newWebhookEngine(o WebhookDeliveryOptions, forbidden func(netip.AddrPort) bool) *webhookEngine {
	e := &webhookEngine{
		owner:              convstore.NewID(),
		timeout:            positiveDuration(o.Timeout, stdwebhook.DefaultTimeout),
		poll:               positiveDuration(o.PollInterval, DefaultWebhookPollInterval),
		perEndpoint:        positive(o.PerEndpoint, DefaultWebhookPerEndpoint),
		concurrency:        positive(o.Concurrency, DefaultWebhookConcurrency),
		schedule:           o.RetrySchedule,
		disableMinFailures: o.DisableMinFailures,
		forbidden:          forbidden,
		freed:              make(chan struct{}, 1),
		endpoints:          map[convstore.ID]chan struct{}{},
	}
	if e.schedule == nil {
		e.schedule = DefaultWebhookRetrySchedule
	}
	e.disableAfter = positiveDuration(o.DisableAfter, retryPeriod(e.schedule))
	if e.disableMinFailures <= 0 {
		e.disableMinFailures = len(e.schedule) + 1
	}
	e.lease = o.Lease
	if e.lease <= 0 {
		e.lease = e.timeout * time.Duration(e.concurrency/e.perEndpoint+1)
	}
	e.lease = max(e.lease, e.timeout+2*webhookLeaseMargin)
	e.client = stdwebhook.NewClient(stdwebhook.ClientOptions{Timeout: e.timeout, Forbidden: forbidden})
	return e
}

// endpoint returns the semaphore of a webhook's attempts on this node.
func (e *webhookEngine) endpoint(id convstore.ID) chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.endpoints[id]
	if !ok {
		c = make(chan struct{}, e.perEndpoint)
		e.endpoints[id] = c
	}
	return c
}

// WebhookAttemptOutcome is what one attempt came to, for metrics
// (ObserveWebhooks): Outcome is "succeeded", "retrying" (failed, to be
// retried) or "failed" (failed, retries spent); Disabled says the attempt
// disabled its webhook.
type WebhookAttemptOutcome struct {
	Outcome  string
	Status   int
	Latency  time.Duration
	Disabled bool
}

// ObserveWebhooks makes fn receive the outcome of every webhook attempt
// this node makes. fn must be fast; nil stops the reports.
func (s *Service) ObserveWebhooks(fn func(WebhookAttemptOutcome)) {
	if fn == nil {
		s.delivery.observe.Store(nil)
		return
	}
	s.delivery.observe.Store(&fn)
}

// RunWebhooks delivers webhook events until ctx ends, on every node: it
// numbers committed events, makes each enabled webhook's deliveries of
// the events its filter takes (WebhookFanOut) and claims due deliveries
// under a lease (so two nodes never send one attempt, and a dead node's
// deliveries are taken over once its lease ends), both in one
// transaction, and sends them, at most PerEndpoint at a time to one
// webhook and Concurrency in all. Attempts that end together are
// recorded together, in one transaction. It works whenever a write here
// commits events, when attempts have been recorded, and every
// PollInterval. It returns once the attempts in flight have ended and
// been recorded.
func (s *Service) RunWebhooks(ctx context.Context) {
	e := s.delivery
	wake := s.outbox.subscribe()
	t := time.NewTicker(e.poll)
	defer t.Stop()
	results := make(chan *webhookResult, e.concurrency)
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		s.recordWebhookAttempts(ctx, results)
	}()
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		close(results)
		<-recorded
	}()
	for number := true; ; {
		if s.webhookPass(ctx, &wg, results, number) {
			if ctx.Err() != nil {
				return
			}
			number = false
			continue // more to fan out
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			number = true
		case <-e.freed:
			// Recorded attempts make room, and may let later
			// deliveries of their conversations go: claim. Events
			// committed meanwhile wake the worker on their own.
			number = false
		case <-wake:
			number = true
			select { // let the commits that come with it in
			case <-ctx.Done():
				return
			case <-time.After(webhookWakeCoalesce):
			}
		}
	}
}

// webhookPass numbers events (if number: when woken by a commit or the
// poll), fans them out, claims the due deliveries there is room for and
// starts them. It reports whether the fan-out left events behind (a
// backlog larger than one pass takes).
func (s *Service) webhookPass(ctx context.Context, wg *sync.WaitGroup, results chan<- *webhookResult, number bool) bool {
	if number {
		if _, err := s.NumberEvents(ctx); err != nil && ctx.Err() == nil {
			s.logger.Error("webhooks: numbering events failed", "error", err)
		}
	}
	more, err := s.startWebhookDeliveries(ctx, wg, results)
	if err != nil && ctx.Err() == nil {
		s.logger.Error("webhooks: fanning out or claiming deliveries failed", "error", err)
		return false
	}
	return more
}

// fanOutWebhooks makes, in tx, up to webhookFanOutBatch deliveries of
// each of up to webhookBehindBatch webhooks behind their tenant's events,
// and reports whether some are left.
func (s *Service) fanOutWebhooks(ctx context.Context, tx driver.Tx) (bool, error) {
	refs, err := tx.WebhookBehind(ctx, webhookBehindBatch)
	if err != nil {
		return false, err
	}
	// More are behind if a webhook had a full batch, or if the batch of
	// webhooks was full and moved (a webhook whose events were all
	// pruned reads none: no reason to go round again at once).
	full, moved := false, false
	at := s.now()
	for _, r := range refs {
		ids := make([]convstore.ID, webhookFanOutBatch)
		for i := range ids {
			ids[i] = s.newID()
		}
		_, read, err := tx.WebhookFanOut(ctx, &driver.WebhookFanOutParams{TenantID: r.TenantID, WebhookID: r.ID, IDs: ids, At: at})
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			continue // deleted meanwhile
		}
		if err != nil {
			return false, err
		}
		full, moved = full || read == len(ids), moved || read > 0
	}
	return full || (moved && len(refs) == webhookBehindBatch), nil
}

// startWebhookDeliveries fans out, and claims as many due deliveries as
// there is room for, in one transaction, then sends each on its own
// goroutine. It reports whether the fan-out left events behind.
func (s *Service) startWebhookDeliveries(ctx context.Context, wg *sync.WaitGroup, results chan<- *webhookResult) (bool, error) {
	e := s.delivery
	free := e.concurrency - int(e.inflight.Load())
	now := s.now()
	until := now.Add(e.lease)
	var claimed []*convstore.WebhookDelivery
	var more bool
	err := s.drv.Write(ctx, driver.WriteParams{Background: true}, func(ctx context.Context, tx driver.Tx) (err error) {
		if more, err = s.fanOutWebhooks(ctx, tx); err != nil || free <= 0 {
			return err
		}
		claimed, err = tx.WebhookDeliveryClaim(ctx, &driver.WebhookDeliveryClaimParams{Owner: e.owner, Now: now, Until: until, Limit: free})
		return err
	})
	if err != nil {
		return false, err
	}
	hooks := map[convstore.ID]*driver.WebhookRow{}
	for _, d := range claimed {
		w, ok := hooks[d.WebhookID]
		if !ok {
			if w, err = s.drv.Reads().WebhookGet(ctx, d.TenantID, d.WebhookID); err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND {
				return more, err
			}
			hooks[d.WebhookID] = w // nil: deleted meanwhile, and its deliveries with it
		}
		if w == nil {
			continue
		}
		e.inflight.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := s.deliverWebhook(ctx, w, d, until); r != nil {
				results <- r // room for every delivery in flight: never waits
				return
			}
			e.release(1)
		}()
	}
	return more, nil
}

// release ends n deliveries in flight and wakes the worker to claim
// more.
func (e *webhookEngine) release(n int) {
	e.inflight.Add(-int64(n))
	select {
	case e.freed <- struct{}{}:
	default:
	}
}

// webhookResult is an attempt made, to be recorded.
type webhookResult struct {
	d       *convstore.WebhookDelivery
	p       *driver.WebhookDeliveryFinishParams
	res     stdwebhook.Result
	outcome string
}

// deliverWebhook makes one attempt of a claimed delivery, once the
// endpoint has room, and returns it to be recorded (nil if none was
// made).
func (s *Service) deliverWebhook(ctx context.Context, w *driver.WebhookRow, d *convstore.WebhookDelivery, leaseUntil time.Time) *webhookResult {
	e := s.delivery
	sem := e.endpoint(d.WebhookID)
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	defer func() { <-sem }()
	if s.now().Add(e.timeout + webhookLeaseMargin).After(leaseUntil) {
		// It waited for the endpoint too long to finish within its
		// lease: sending now could race the node that claims it next.
		// Leave it; the lease ends and it is claimed again.
		return nil
	}
	keys, err := s.webhookKeys(w)
	if err != nil {
		s.logger.Error("webhooks: reading a webhook's secret failed", "webhook", w.ID.Format(convstore.PrefixWebhook), "error", err)
		return nil
	}
	body, err := webhookBody(d)
	if err != nil {
		s.logger.Error("webhooks: encoding a delivery failed", "error", err)
		return nil
	}
	started := s.now()
	res := stdwebhook.Send(ctx, e.client, stdwebhook.Request{URL: w.URL, MsgID: webhookMsgID(d), At: started, Body: body, Keys: keys})
	if ctx.Err() != nil && !res.OK() {
		return nil // stopped, not failed: the lease ends and the delivery is sent again
	}
	// What the receiver answered is recorded even if the worker is
	// stopping meanwhile, so an accepted delivery is not sent again.
	return s.webhookResult(d, started, res)
}

// webhookResult is what an attempt leaves its delivery in.
func (s *Service) webhookResult(d *convstore.WebhookDelivery, started time.Time, res stdwebhook.Result) *webhookResult {
	e := s.delivery
	p := &driver.WebhookDeliveryFinishParams{TenantID: d.TenantID, WebhookID: d.WebhookID, DeliveryID: d.ID, Owner: e.owner,
		Attempt: convstore.WebhookAttempt{StartedAt: started, Latency: res.Latency, Status: res.Status,
			Error:          convstore.ClipWebhookText(attemptError(res), convstore.MaxWebhookErrorLen),
			ResponsePrefix: convstore.ClipWebhookText(res.Prefix, convstore.MaxWebhookResponsePrefix)}}
	outcome := "succeeded"
	switch delay, retry := webhookRetryDelay(e.schedule, d.Attempts+1); {
	case res.OK():
		p.State = convstore.DeliverySucceeded
	case retry:
		p.State, p.NextAttemptAt, p.Failed, outcome = convstore.DeliveryPending, started.Add(res.Latency+delay), true, "retrying"
	default:
		p.State, p.Failed, outcome = convstore.DeliveryFailed, true, "failed"
	}
	return &webhookResult{d: d, p: p, res: res, outcome: outcome}
}

// recordWebhookAttempts records the attempts made until results is
// closed: those that ended while the previous batch was being recorded
// (or within webhookRecordCoalesce of the first) in one transaction.
func (s *Service) recordWebhookAttempts(ctx context.Context, results <-chan *webhookResult) {
	e := s.delivery
	for r := range results {
		batch := []*webhookResult{r}
		coalesce := time.NewTimer(webhookRecordCoalesce)
	collect:
		for len(batch) < int(e.inflight.Load()) {
			select {
			case r, ok := <-results:
				if !ok {
					break collect
				}
				batch = append(batch, r)
			case <-coalesce.C:
				break collect
			}
		}
		coalesce.Stop()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookRecordTimeout)
		s.finishWebhookAttempts(rctx, batch)
		cancel()
		e.release(len(batch))
	}
}

// finishWebhookAttempts records attempts and what follows from them:
// each delivery's next state, and the disabling of a webhook after
// persistent failure.
func (s *Service) finishWebhookAttempts(ctx context.Context, batch []*webhookResult) {
	e := s.delivery
	ps := make([]*driver.WebhookDeliveryFinishParams, len(batch))
	for i, r := range batch {
		ps[i] = r.p
	}
	var health []*driver.WebhookHealth
	err := s.drv.Write(ctx, driver.WriteParams{Background: true}, func(ctx context.Context, tx driver.Tx) (err error) {
		health, err = tx.WebhookDeliveryFinishMany(ctx, ps)
		return err
	})
	if err != nil {
		s.logger.Error("webhooks: recording attempts failed; their deliveries are sent again once their leases end", "error", err,
			"attempts", len(batch))
		return
	}
	// A webhook's record is as its last recorded attempt of the batch
	// left it: that attempt, if failed, may disable it.
	last := map[convstore.ID]int{}
	for i, r := range batch {
		if health[i] == nil {
			s.logger.Warn("webhooks: an attempt ended after its delivery's lease (it was claimed again, replayed or deleted)",
				"delivery", r.d.ID.Format(convstore.PrefixWebhookDelivery))
			continue
		}
		last[r.p.WebhookID] = i
	}
	now := s.now()
	for i, r := range batch {
		if health[i] == nil {
			continue
		}
		o := WebhookAttemptOutcome{Outcome: r.outcome, Status: r.res.Status, Latency: r.res.Latency}
		if h := health[i]; last[r.p.WebhookID] == i && r.p.Failed && h.State == convstore.WebhookEnabled && h.FirstFailureAt != nil &&
			h.Failures >= e.disableMinFailures && now.Sub(*h.FirstFailureAt) >= e.disableAfter {
			reason := fmt.Sprintf("%d attempts failed in a row since %s (last: %s)", h.Failures,
				h.FirstFailureAt.Format(time.RFC3339), shortOutcome(r.res))
			disabled, err := s.disableWebhook(ctx, r.d.TenantID, r.d.WebhookID, reason)
			if err != nil {
				s.logger.Error("webhooks: disabling a failing webhook failed", "error", err)
			}
			o.Disabled = disabled
		}
		if fn := e.observe.Load(); fn != nil {
			(*fn)(o)
		}
	}
}

// disableWebhook disables a webhook after persistent failure and emits
// webhook.disabled, in one transaction; false if it was disabled
// already (by its owner, or another node).
func (s *Service) disableWebhook(ctx context.Context, tenantID, id convstore.ID, reason string) (bool, error) {
	reason = convstore.ClipWebhookText(reason, webhookDisableReasonMaxSize)
	disabled := false
	err := s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		w, err := tx.WebhookGet(ctx, tenantID, id)
		if err != nil || w.State != convstore.WebhookEnabled {
			return err
		}
		now := s.now()
		changed, err := tx.WebhookDisable(ctx, tenantID, id, reason, now)
		if err != nil || !changed {
			return err // another node disabled it first: it announced it
		}
		disabled = true
		return s.emit(ctx, tx, now, webhookDisabled(tenantID, id, reason, now))
	})
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return false, nil
	}
	if disabled && err == nil {
		s.logger.Warn("webhooks: disabled a webhook after persistent failure", "webhook", id.Format(convstore.PrefixWebhook), "reason", reason)
	}
	return disabled && err == nil, err
}

// attemptError is the short error an attempt records: why no response
// came, or what was wrong with the one that came (2xx: none).
func attemptError(res stdwebhook.Result) string {
	switch {
	case res.Err != nil:
		err := res.Err
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which the webhook shows already
		}
		if ue != nil && ue.Timeout() {
			return "timeout: " + err.Error()
		}
		return err.Error()
	case res.Status >= 300 && res.Status < 400:
		return fmt.Sprintf("HTTP %d: redirects are not followed", res.Status)
	case !res.OK():
		return fmt.Sprintf("HTTP %d", res.Status)
	}
	return ""
}

// shortOutcome names an attempt's result in a disabling reason.
func shortOutcome(res stdwebhook.Result) string {
	if s := attemptError(res); s != "" {
		return s
	}
	return fmt.Sprintf("HTTP %d", res.Status)
}

// webhookMsgID is a delivery's webhook-id: its event's id, the same on
// every attempt and on every webhook, so a receiver deduplicates by it.
func webhookMsgID(d *convstore.WebhookDelivery) string {
	return d.EventID.Format(convstore.PrefixEvent)
}

// WebhookEvent is the data of a webhook request's body: the event as
// GET /v1/events lists it (api/events.schema.json), so a receiver reads
// the same object whether it is pushed or polled.
type WebhookEvent struct {
	ID             string          `json:"id"`
	Object         string          `json:"object"`
	Type           string          `json:"type"`
	Sequence       int64           `json:"sequence"`
	TenantID       string          `json:"tenant_id"`
	ConversationID *string         `json:"conversation_id"`
	OccurredAt     int64           `json:"occurred_at"`
	DeliveredAt    *int64          `json:"delivered_at"`
	Data           json.RawMessage `json:"data"`
}

// webhookBody is a delivery's request body: the specification's
// {"type", "timestamp", "data"}, data being the event (WebhookEvent).
func webhookBody(d *convstore.WebhookDelivery) ([]byte, error) {
	data := d.Data
	if len(data) == 0 {
		data = json.RawMessage(`{}`)
	}
	return json.Marshal(stdwebhook.Payload{Type: d.EventType, Timestamp: d.OccurredAt.UTC(), Data: &WebhookEvent{
		ID: webhookMsgID(d), Object: "event", Type: d.EventType, Sequence: d.Seq, TenantID: d.TenantID.Format(convstore.PrefixTenant),
		ConversationID: idOrNull(d.ConversationID, convstore.PrefixConversation), OccurredAt: unix(d.OccurredAt), Data: data}})
}

// WebhookDisabledEvent is the payload of webhook.disabled: a webhook was
// disabled after persistent failure (never its URL, which may carry a
// token of the receiver's).
type WebhookDisabledEvent struct {
	WebhookID  string `json:"webhook_id"`
	Reason     string `json:"reason"`
	DisabledAt int64  `json:"disabled_at"`
}

func webhookDisabled(tenantID, id convstore.ID, reason string, at time.Time) event {
	return event{typ: convstore.EventWebhookDisabled, tenantID: tenantID,
		data: &WebhookDisabledEvent{WebhookID: id.Format(convstore.PrefixWebhook), Reason: reason, DisabledAt: unix(at)}}
}

// WebhookBacklog counts the webhook deliveries of every tenant not
// finished yet (for metrics).
func (s *Service) WebhookBacklog(ctx context.Context) (int64, error) {
	return s.drv.Reads().WebhookDeliveryBacklog(ctx)
}

// webhookKeys returns the keys a delivery to w is signed with now: its
// secret's, and its previous secret's while the rotation overlap lasts.
func (s *Service) webhookKeys(w *driver.WebhookRow) ([][]byte, error) {
	secrets := webhookSecrets(w, s.now())
	keys := make([][]byte, len(secrets))
	for i, secret := range secrets {
		key, err := convstore.WebhookSecretKey(secret)
		if err != nil {
			return nil, err
		}
		keys[i] = key
	}
	return keys, nil
}
