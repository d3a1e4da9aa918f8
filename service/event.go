package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// event is an event to write: its type, tenant, conversation (zero for
// none) and payload, one of the *Event structs below. The payloads are
// documented in api/events.schema.json (a test checks every event the
// service suite emits against it): ids, counts, doors, policy and job ids
// and times, never content; no field may ever carry a title, a user id,
// an external id or text.
type event struct {
	typ            string
	tenantID       convstore.ID
	conversationID convstore.ID
	data           any
}

// emit writes events to the outbox in tx, unnumbered: numberEvents
// numbers them once committed, in commit order (see
// driver.EventTx.EventNumber), so no change waits for another on a
// tenant-wide lock. Callers emit after the change's locks are taken (its
// conversation's row), so the events of one conversation are inserted, and
// numbered, in the order its changes commit.
func (s *Service) emit(ctx context.Context, tx driver.Tx, now time.Time, evs ...event) error {
	if len(evs) == 0 {
		return nil
	}
	rows := make([]*convstore.Event, len(evs))
	for i, e := range evs {
		data, err := json.Marshal(e.data)
		if err != nil {
			return err
		}
		rows[i] = &convstore.Event{ID: s.newID(), TenantID: e.tenantID, Type: e.typ, ConversationID: e.conversationID,
			OccurredAt: now, Data: data}
	}
	return tx.EventInsert(ctx, rows)
}

// eventNumberBatch is how many events one numbering transaction numbers.
const eventNumberBatch = 1000

// numberEvents numbers the tenant's committed events not numbered yet.
func (s *Service) numberEvents(ctx context.Context, tenantID convstore.ID) error {
	for {
		var n int
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			var err error
			n, err = tx.EventNumber(ctx, tenantID, eventNumberBatch)
			return err
		})
		if err != nil || n < eventNumberBatch {
			return err
		}
	}
}

// NumberEvents numbers every tenant's committed events not numbered yet,
// returning how many tenants had some. RunSweeper calls it every
// interval; FindEvents numbers the tenant's own before it reads.
func (s *Service) NumberEvents(ctx context.Context) (int, error) {
	tenants, err := s.drv.Reads().EventUnnumbered(ctx, convstore.ID{}, eventNumberBatch)
	if err != nil {
		return 0, err
	}
	for _, t := range tenants {
		if err := s.numberEvents(ctx, t); err != nil {
			return 0, err
		}
	}
	return len(tenants), nil
}

// FindEvents returns a page of the tenant's events in sequence order,
// and whether more follow. It first numbers the tenant's committed
// events, so a change is listed as soon as it has committed.
func (s *Service) FindEvents(ctx context.Context, tenantID convstore.ID, f convstore.EventFilter) ([]*convstore.Event, bool, error) {
	if err := f.Normalize(); err != nil {
		return nil, false, err
	}
	pending, err := s.drv.Reads().EventUnnumbered(ctx, tenantID, 1)
	if err != nil {
		return nil, false, err
	}
	if len(pending) > 0 {
		if err := s.numberEvents(ctx, tenantID); err != nil {
			return nil, false, err
		}
	}
	list, err := s.drv.Reads().EventList(ctx, &driver.EventListParams{TenantID: tenantID, After: f.After, Type: f.Type, Limit: f.Limit + 1})
	if err != nil {
		return nil, false, err
	}
	list, more := trim(list, f.Limit)
	return list, more, nil
}

// eventPruneBatch is how many events one prune transaction deletes.
const eventPruneBatch = 1000

// SweepEvents deletes the events of every tenant older than the event
// retention (Options.EventRetention), delivered or not, returning how
// many. RunSweeper calls it every interval. With a relay on this node
// (NewRelay), the undelivered among them (the message system was out of
// reach for the whole retention) are logged and reported to ObserveRelay:
// the retention bounds the outbox whatever happens downstream.
func (s *Service) SweepEvents(ctx context.Context) (int, error) {
	total, lost := 0, 0
	defer func() {
		if lost > 0 && s.relays.Load() > 0 {
			s.logger.Warn("pruned events past their retention that were never delivered", "undelivered", lost,
				"retention", s.eventRetention)
			s.relayHook.report(RelayReport{PrunedUndelivered: lost})
		}
	}()
	for {
		var n, undelivered int
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			var err error
			n, undelivered, err = tx.EventPrune(ctx, s.now().Add(-s.eventRetention), eventPruneBatch)
			return err
		})
		total, lost = total+n, lost+undelivered
		if err != nil || n < eventPruneBatch {
			return total, err
		}
	}
}

// unix returns t in Unix seconds, as every time of the native API.
func unix(t time.Time) int64 { return t.Unix() }

// unixPtr is unix for an optional time.
func unixPtr(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	v := t.Unix()
	return &v
}

// idOrNull formats an optional id natively, nil for none.
func idOrNull(id convstore.ID, prefix string) *string {
	if id.IsZero() {
		return nil
	}
	s := id.Format(prefix)
	return &s
}

// textOrNull is nil for "".
func textOrNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ConversationDeletedEvent is the payload of conversation.deleted: what
// the receipt says, without the request ids.
type ConversationDeletedEvent struct {
	ConversationID  string  `json:"conversation_id"`
	DeletionID      string  `json:"deletion_id"`
	Door            string  `json:"door"`
	ActorKeyID      *string `json:"actor_key_id"`
	Policy          *string `json:"policy"`
	ErasureID       *string `json:"erasure_id"`
	Messages        int     `json:"messages"`
	Artifacts       int     `json:"artifacts"`
	Attachments     int     `json:"attachments"`
	AttachmentBytes int64   `json:"attachment_bytes"`
	KeyEpoch        *uint32 `json:"key_epoch"`
	RestorableUntil *int64  `json:"restorable_until"`
	DeletedAt       int64   `json:"deleted_at"`
}

func conversationDeleted(d *convstore.Deletion) event {
	var epoch *uint32
	if d.KeyEpoch != 0 {
		epoch = &d.KeyEpoch
	}
	return event{typ: convstore.EventConversationDeleted, tenantID: d.TenantID, conversationID: d.ConversationID,
		data: &ConversationDeletedEvent{ConversationID: d.ConversationID.Format(convstore.PrefixConversation),
			DeletionID: d.ID.Format(convstore.PrefixDeletion), Door: d.Door, ActorKeyID: idOrNull(d.ActorKeyID, convstore.PrefixKey),
			Policy: textOrNull(d.Policy), ErasureID: idOrNull(d.ErasureID, convstore.PrefixErasure), Messages: d.Messages,
			Artifacts: d.Artifacts, Attachments: d.Attachments, AttachmentBytes: d.AttachmentBytes, KeyEpoch: epoch,
			RestorableUntil: unixPtr(d.RestorableUntil), DeletedAt: unix(d.CreatedAt)}}
}

// ConversationPurgedEvent is the payload of conversation.purged: the last
// row of the conversation is gone.
type ConversationPurgedEvent struct {
	ConversationID string `json:"conversation_id"`
	DeletionID     string `json:"deletion_id"`
	PurgedAt       int64  `json:"purged_at"`
}

func conversationPurged(j *driver.PurgeJob, at time.Time) event {
	return event{typ: convstore.EventConversationPurged, tenantID: j.TenantID, conversationID: j.ConversationID,
		data: &ConversationPurgedEvent{ConversationID: j.ConversationID.Format(convstore.PrefixConversation),
			DeletionID: j.DeletionID.Format(convstore.PrefixDeletion), PurgedAt: unix(at)}}
}

// ConversationShreddedEvent is the payload of conversation.shredded: the
// key epoch that wrapped the conversation's data key is destroyed, so no
// copy of its content (a backup, a replica) can be opened any more.
type ConversationShreddedEvent struct {
	ConversationID string `json:"conversation_id"`
	DeletionID     string `json:"deletion_id"`
	KeyEpoch       uint32 `json:"key_epoch"`
	ShreddedAt     int64  `json:"shredded_at"`
}

func conversationShredded(r driver.ShreddedReceipt, at time.Time) event {
	return event{typ: convstore.EventConversationShredded, tenantID: r.TenantID, conversationID: r.ConversationID,
		data: &ConversationShreddedEvent{ConversationID: r.ConversationID.Format(convstore.PrefixConversation),
			DeletionID: r.ID.Format(convstore.PrefixDeletion), KeyEpoch: r.KeyEpoch, ShreddedAt: unix(at)}}
}

// ConversationRestoredEvent is the payload of conversation.restored.
type ConversationRestoredEvent struct {
	ConversationID string  `json:"conversation_id"`
	DeletionID     string  `json:"deletion_id"`
	Door           string  `json:"door"`
	ActorKeyID     *string `json:"actor_key_id"`
	RestoredAt     int64   `json:"restored_at"`
}

func conversationRestored(tenantID, id, deletionID convstore.ID, p convstore.DeleteParams, at time.Time) event {
	return event{typ: convstore.EventConversationRestored, tenantID: tenantID, conversationID: id,
		data: &ConversationRestoredEvent{ConversationID: id.Format(convstore.PrefixConversation),
			DeletionID: deletionID.Format(convstore.PrefixDeletion), Door: p.Door,
			ActorKeyID: idOrNull(p.ActorKeyID, convstore.PrefixKey), RestoredAt: unix(at)}}
}

// ErasureCompletedEvent is the payload of erasure.completed: a job ended
// (succeeded, canceled or failed) with what it erased and kept.
type ErasureCompletedEvent struct {
	ErasureID       string  `json:"erasure_id"`
	State           string  `json:"state"`
	Door            string  `json:"door"`
	ActorKeyID      *string `json:"actor_key_id"`
	Conversations   int     `json:"conversations"`
	Messages        int     `json:"messages"`
	Artifacts       int     `json:"artifacts"`
	Attachments     int     `json:"attachments"`
	AttachmentBytes int64   `json:"attachment_bytes"`
	Held            int     `json:"held"`
	CompletedAt     int64   `json:"completed_at"`
}

func erasureCompleted(r *driver.ErasureRow, state convstore.ErasureState, done convstore.ErasureCounts, held int, at time.Time) event {
	return event{typ: convstore.EventErasureCompleted, tenantID: r.TenantID,
		data: &ErasureCompletedEvent{ErasureID: r.ID.Format(convstore.PrefixErasure), State: string(state), Door: r.Door,
			ActorKeyID: idOrNull(r.ActorKeyID, convstore.PrefixKey), Conversations: done.Conversations, Messages: done.Messages,
			Artifacts: done.Artifacts, Attachments: done.Attachments, AttachmentBytes: done.Bytes, Held: held, CompletedAt: unix(at)}}
}

// RetentionAppliedEvent is the payload of retention.applied: what one
// run of the tenant's retention policies erased (each erasure has its own
// event too) and kept under a hold.
type RetentionAppliedEvent struct {
	Conversations   int   `json:"conversations"`
	Messages        int   `json:"messages"`
	Attachments     int   `json:"attachments"`
	AttachmentBytes int64 `json:"attachment_bytes"`
	Artifacts       int   `json:"artifacts"`
	Held            int   `json:"held"`
	AppliedAt       int64 `json:"applied_at"`
}

// HoldEvent is the payload of hold.placed and hold.released. A hold on a
// user or an agent names neither: only its kind.
type HoldEvent struct {
	HoldID         string  `json:"hold_id"`
	Kind           string  `json:"kind"`
	ConversationID *string `json:"conversation_id"`
	Door           string  `json:"door"`
	ActorKeyID     *string `json:"actor_key_id"`
	At             int64   `json:"at"`
}

func holdEvent(typ string, r *driver.HoldRow, p convstore.DeleteParams, at time.Time) event {
	return event{typ: typ, tenantID: r.TenantID, conversationID: r.ConversationID,
		data: &HoldEvent{HoldID: r.ID.Format(convstore.PrefixHold), Kind: holdOf(r).Kind,
			ConversationID: idOrNull(r.ConversationID, convstore.PrefixConversation), Door: p.Door,
			ActorKeyID: idOrNull(p.ActorKeyID, convstore.PrefixKey), At: unix(at)}}
}

// ItemDeletedEvent is the payload of message.deleted, artifact.deleted
// and attachment.deleted: the item's id (under "id", prefixed by its
// kind), its conversation, and who or which policy deleted it. Size is
// the attachment's bytes (0 for the others).
type ItemDeletedEvent struct {
	ConversationID string  `json:"conversation_id"`
	ID             string  `json:"id"`
	Size           int64   `json:"size"`
	Door           string  `json:"door"`
	ActorKeyID     *string `json:"actor_key_id"`
	Policy         *string `json:"policy"`
	DeletedAt      int64   `json:"deleted_at"`
}

func itemDeleted(typ string, tenantID, conversationID convstore.ID, id string, size int64, p convstore.DeleteParams, at time.Time) event {
	return event{typ: typ, tenantID: tenantID, conversationID: conversationID,
		data: &ItemDeletedEvent{ConversationID: conversationID.Format(convstore.PrefixConversation), ID: id, Size: size,
			Door: p.Door, ActorKeyID: idOrNull(p.ActorKeyID, convstore.PrefixKey), Policy: textOrNull(p.Policy), DeletedAt: unix(at)}}
}

// retentionApplied writes the retention.applied event of a run that
// erased or kept something, in a transaction of its own after the run:
// each erasure's own event was written with it.
func (s *Service) retentionApplied(ctx context.Context, tenantID convstore.ID, c convstore.RetentionCounts) error {
	return s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		return s.emit(ctx, tx, now, event{typ: convstore.EventRetentionApplied, tenantID: tenantID,
			data: &RetentionAppliedEvent{Conversations: c.Conversations, Messages: c.Messages, Attachments: c.Attachments,
				AttachmentBytes: c.AttachmentBytes, Artifacts: c.Artifacts, Held: c.Held, AppliedAt: unix(now)}})
	})
}

// SweepWebhookDeliveries deletes the finished (succeeded or failed)
// webhook deliveries of every tenant, with their attempt logs, created
// longer than the event retention ago: the delivery log is kept as long
// as the outbox keeps events. Pending deliveries are kept whatever their
// age. RunSweeper calls it every interval.
func (s *Service) SweepWebhookDeliveries(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			var err error
			n, err = tx.WebhookDeliveryPrune(ctx, s.now().Add(-s.eventRetention), eventPruneBatch)
			return err
		})
		total += n
		if err != nil || n < eventPruneBatch {
			return total, err
		}
	}
}
