package driver

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/convstore/convstore"
)

// WebhookReader reads webhooks and their delivery log.
type WebhookReader interface {
	// WebhookGet returns a webhook with its secrets. ENOTFOUND "webhook".
	WebhookGet(ctx context.Context, tenantID, id convstore.ID) (*WebhookRow, error)
	// WebhookList returns a page of the tenant's webhooks.
	WebhookList(ctx context.Context, tenantID convstore.ID, page Page) ([]*WebhookRow, error)
	// WebhookBehind returns up to limit enabled webhooks, of any tenant
	// (a system job), whose cursor is behind their tenant's last numbered
	// event: those WebhookFanOut has work for.
	WebhookBehind(ctx context.Context, limit int) ([]WebhookRef, error)

	// WebhookDeliveryGet returns a delivery of the webhook. ENOTFOUND
	// "webhook delivery".
	WebhookDeliveryGet(ctx context.Context, tenantID, webhookID, id convstore.ID) (*convstore.WebhookDelivery, error)
	// WebhookDeliveryList returns a page of the webhook's deliveries, of
	// p.State if set.
	WebhookDeliveryList(ctx context.Context, p *WebhookDeliveryListParams) ([]*convstore.WebhookDelivery, error)
	// WebhookAttemptList returns the delivery's attempts, oldest first,
	// at most limit.
	WebhookAttemptList(ctx context.Context, tenantID, deliveryID convstore.ID, limit int) ([]*convstore.WebhookAttempt, error)
}

// WebhookTx writes webhooks and their deliveries.
type WebhookTx interface {
	// WebhookInsert stores a webhook as given, except its cursor: it
	// starts at the tenant's last numbered event, so the webhook receives
	// only events numbered later. ENOTFOUND "tenant" if the tenant is
	// missing.
	WebhookInsert(ctx context.Context, w *WebhookRow) error
	// WebhookUpdate changes the fields p sets and returns the row.
	// ENOTFOUND "webhook".
	WebhookUpdate(ctx context.Context, p *WebhookUpdateParams) (*WebhookRow, error)
	// WebhookDelete deletes a webhook and, by the schema's cascade, its
	// deliveries and attempts. ENOTFOUND "webhook".
	WebhookDelete(ctx context.Context, tenantID, id convstore.ID) error
	// WebhookRotateSecret keeps the current secret as the previous one,
	// valid until previousUntil, stores secret as the current one, sets
	// updated_at to at, and returns the row. ENOTFOUND "webhook".
	WebhookRotateSecret(ctx context.Context, tenantID, id convstore.ID, secret []byte, previousUntil, at time.Time) (*WebhookRow, error)
	// WebhookDisable disables a webhook (state, reason, disabled_at =
	// at) unless it is disabled already; its deliveries stay as they
	// are (pending ones wait, unclaimable, until it is enabled). It
	// reports whether this call disabled it: false if it was disabled
	// already, or another transaction disabled it first (so two nodes
	// that both saw it failing do not both announce it). ENOTFOUND
	// "webhook".
	WebhookDisable(ctx context.Context, tenantID, id convstore.ID, reason string, at time.Time) (bool, error)

	// WebhookFanOut makes, for one webhook, a pending delivery due at
	// p.At for each of the tenant's numbered events after its cursor that
	// its filter takes, reading at most len(p.IDs) events (in Seq order)
	// and giving the i-th delivery made p.IDs[i]; it then moves the
	// cursor to the last event read, taken or not. A driver with several
	// writers holds the webhook's row until the transaction ends, so two
	// fan-outs of one webhook take turns. It returns how many deliveries
	// it made and how many events it read (fewer than len(p.IDs): the
	// webhook has caught up). A disabled webhook is left alone (0, 0).
	// ENOTFOUND "webhook".
	WebhookFanOut(ctx context.Context, p *WebhookFanOutParams) (made, read int, err error)
	// WebhookDeliveryInsert stores a delivery as given (a test event's).
	WebhookDeliveryInsert(ctx context.Context, d *convstore.WebhookDelivery) error
	// WebhookDeliveryReplay makes a delivery pending, due at now, without
	// a lease or delivered_at, keeping its attempts and their log, and
	// returns it. ENOTFOUND "webhook delivery".
	WebhookDeliveryReplay(ctx context.Context, tenantID, webhookID, id convstore.ID, now time.Time) (*convstore.WebhookDelivery, error)
	// WebhookDeliveryClaim leases to p.Owner until p.Until up to p.Limit
	// deliveries of any tenant (a system job; of p.WebhookID only if set)
	// of enabled webhooks that are pending and due at p.Now, or
	// delivering under a lease that ended at p.Now (its worker died), by
	// due time, and returns them (state delivering). A delivery is not
	// claimable while a delivery of the same webhook and the same
	// (non-zero) conversation with a smaller Seq is pending or
	// delivering: one conversation's events reach a webhook in order. A
	// driver with several nodes skips deliveries another transaction
	// holds (FOR UPDATE SKIP LOCKED), so two workers never claim one.
	WebhookDeliveryClaim(ctx context.Context, p *WebhookDeliveryClaimParams) ([]*convstore.WebhookDelivery, error)
	// WebhookDeliveryFinish records an attempt of a delivery leased to
	// p.Owner: it appends the attempt to the log (numbered attempts + 1),
	// sets the delivery's last_* fields from it, and its state to
	// p.State: succeeded (delivered_at = p.Attempt end), pending again
	// (due at p.NextAttemptAt) or failed; the lease ends. It also keeps
	// the webhook's failure record: a success clears it, a failure counts
	// it (first_failure_at is the first of the run), and returns the
	// record as it stands. ENOTFOUND "webhook delivery" if the delivery
	// is gone or no longer leased to p.Owner (its lease ended and
	// another worker claimed it, or it was replayed): the attempt is not
	// recorded.
	WebhookDeliveryFinish(ctx context.Context, p *WebhookDeliveryFinishParams) (*WebhookHealth, error)
	// WebhookDeliveryFinishMany records the attempts of several distinct
	// deliveries at once, each as WebhookDeliveryFinish does, in the order
	// given, in a few statements whatever their number (a worker records
	// the attempts that ended together in one transaction). An attempt
	// whose delivery is gone or no longer leased to its p.Owner is not
	// recorded: its health is nil. Every recorded attempt's health is its
	// webhook's failure record once all of the call's attempts are
	// counted, in order (WebhookFailureRuns). A driver with several
	// writers updates the webhooks' rows in id order.
	WebhookDeliveryFinishMany(ctx context.Context, ps []*WebhookDeliveryFinishParams) ([]*WebhookHealth, error)
	// WebhookDeliveryPrune deletes up to limit succeeded or failed
	// deliveries of any tenant (a system job) created before before,
	// with their attempts, returning how many.
	WebhookDeliveryPrune(ctx context.Context, before time.Time, limit int) (int, error)
}

// WebhookRow is a webhook as stored. Secret and PreviousSecret are as the
// service gave them (sealed when the store is).
type WebhookRow struct {
	convstore.Webhook
	Secret         []byte
	PreviousSecret []byte // nil when none (PreviousSecretExpiresAt is nil then too)
	CursorSeq      int64
	Failures       int
	FirstFailureAt *time.Time
}

// WebhookRef names a webhook.
type WebhookRef struct {
	TenantID, ID convstore.ID
}

// WebhookHealth is a webhook's failure record: consecutive failed
// attempts since FirstFailureAt (0 and nil after a success).
type WebhookHealth struct {
	State          string
	Failures       int
	FirstFailureAt *time.Time
}

// WebhookUpdateParams change a webhook's fields that are set. Enable
// sets the state to enabled and clears the failure record and the
// disabled reason and time; Disable sets it to disabled with
// DisabledReason at UpdatedAt (one of the two, or neither).
type WebhookUpdateParams struct {
	TenantID, ID   convstore.ID
	URL            *string
	Events         *[]string // an empty list: every type
	Description    *string
	Enable         bool
	Disable        bool
	DisabledReason string
	UpdatedAt      time.Time
}

// WebhookFanOutParams name the webhook to fan out to, the ids of the
// deliveries to make and their time.
type WebhookFanOutParams struct {
	TenantID, WebhookID convstore.ID
	IDs                 []convstore.ID
	At                  time.Time
}

// WebhookDeliveryListParams select a page of a webhook's deliveries.
type WebhookDeliveryListParams struct {
	TenantID, WebhookID convstore.ID
	State               string // "" for every state
	Page                Page
}

// WebhookDeliveryClaimParams say who claims deliveries, when, for how
// long, how many, and (optionally) of which webhook.
type WebhookDeliveryClaimParams struct {
	Owner     convstore.ID
	WebhookID convstore.ID // zero for every webhook
	Now       time.Time
	Until     time.Time
	Limit     int
}

// WebhookDeliveryFinishParams record one attempt of a delivery and the
// state it leaves the delivery in.
type WebhookDeliveryFinishParams struct {
	TenantID, WebhookID, DeliveryID convstore.ID
	Owner                           convstore.ID
	// Attempt is the attempt (its DeliveryID and Attempt number are
	// set by the driver). Error and ResponsePrefix must be valid UTF-8
	// without NUL (convstore.ClipWebhookText).
	Attempt       convstore.WebhookAttempt
	State         string    // DeliverySucceeded, DeliveryPending or DeliveryFailed
	NextAttemptAt time.Time // for DeliveryPending
	// Failed says the attempt counts as a failure of the webhook (any
	// attempt that did not succeed).
	Failed bool
}

// WebhookFailureRun is what a batch of recorded attempts does to one
// webhook's failure record. Reset (some attempt succeeded): the record
// becomes Failures and FirstFailureAt (the failures after the last
// success, nil when none); otherwise Failures are added to it and
// FirstFailureAt is kept if set, else set to this one.
type WebhookFailureRun struct {
	WebhookRef
	Attempts       []int // the indexes in ps of the attempts summed up, each to get the record written
	Reset          bool
	Failures       int
	FirstFailureAt *time.Time
}

// WebhookFailureRuns sums up, per webhook in id order, the attempts of
// ps that were recorded (recorded[i]), counted in order: a success clears
// the record, a failure (Failed) counts, the first failure of a run
// starting it at its Attempt.StartedAt.
func WebhookFailureRuns(ps []*WebhookDeliveryFinishParams, recorded []bool) []WebhookFailureRun {
	var runs []WebhookFailureRun
	at := map[WebhookRef]int{}
	for i, p := range ps {
		if !recorded[i] {
			continue
		}
		ref := WebhookRef{TenantID: p.TenantID, ID: p.WebhookID}
		j, ok := at[ref]
		if !ok {
			j = len(runs)
			at[ref] = j
			runs = append(runs, WebhookFailureRun{WebhookRef: ref})
		}
		r := &runs[j]
		r.Attempts = append(r.Attempts, i)
		if !p.Failed {
			r.Reset, r.Failures, r.FirstFailureAt = true, 0, nil
			continue
		}
		r.Failures++
		if r.FirstFailureAt == nil {
			t := p.Attempt.StartedAt
			r.FirstFailureAt = &t
		}
	}
	slices.SortFunc(runs, func(a, b WebhookFailureRun) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return runs
}
