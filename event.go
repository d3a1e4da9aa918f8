package convstore

import (
	"context"
	"encoding/json"
	"time"
)

// PrefixEvent is the native API's prefix of event ids.
const PrefixEvent = "evt"

// Event types: every deletion-related change writes one event to the
// outbox in the transaction that makes the change. Their payloads
// (api/events.schema.json) carry ids, counts, doors, policy and job ids
// and times, never content: no titles, user ids, external ids or text.
const (
	EventConversationDeleted  = "conversation.deleted"
	EventConversationPurged   = "conversation.purged"
	EventConversationShredded = "conversation.shredded" // the key epoch that wrapped its data key is destroyed
	EventConversationRestored = "conversation.restored"
	EventErasureCompleted     = "erasure.completed" // an erasure job ended: succeeded, canceled or failed
	EventRetentionApplied     = "retention.applied" // a retention run erased or kept something
	EventHoldPlaced           = "hold.placed"
	EventHoldReleased         = "hold.released"
	EventMessageDeleted       = "message.deleted"
	EventArtifactDeleted      = "artifact.deleted"
	EventAttachmentDeleted    = "attachment.deleted"
	EventWebhookDisabled      = "webhook.disabled"     // a webhook was disabled after persistent failure
	EventConfirmationOverdue  = "confirmation.overdue" // a processor has not confirmed a deletion by its due time
	EventDeletionCompleted    = "deletion.completed"   // every processor a deletion required has confirmed it
)

// EventTypes lists every event type, in the order the README documents
// them.
var EventTypes = []string{
	EventConversationDeleted, EventConversationPurged, EventConversationShredded, EventConversationRestored,
	EventErasureCompleted, EventRetentionApplied, EventHoldPlaced, EventHoldReleased,
	EventMessageDeleted, EventArtifactDeleted, EventAttachmentDeleted, EventWebhookDisabled,
	EventConfirmationOverdue, EventDeletionCompleted,
}

// IsEventType reports whether t is one of EventTypes.
func IsEventType(t string) bool {
	for _, e := range EventTypes {
		if e == t {
			return true
		}
	}
	return false
}

// DefaultEventRetention is how long an event stays in the outbox,
// delivered or not, before the sweeper prunes it.
const DefaultEventRetention = 7 * 24 * time.Hour

// Event is one row of the outbox. ID is stable (a receiver deduplicates
// by it); Seq numbers the tenant's events 1, 2, … without gaps once they
// have committed, in the order they are numbered, so a reader paging by
// Seq misses none, and the events of one conversation are numbered in the
// order its changes committed. ConversationID is zero for events of no
// one conversation (holds on users or agents, erasure and retention
// runs). Data is the type's JSON payload.
type Event struct {
	ID             ID
	TenantID       ID
	Seq            int64
	Type           string
	ConversationID ID
	OccurredAt     time.Time
	Data           json.RawMessage
	DeliveredAt    *time.Time
}

// EventFilter selects a tenant's events, in sequence order. After is the
// Seq of the last event of the previous page (0 for the first page).
type EventFilter struct {
	After int64
	Limit int    // 1..MaxPageLimit; 0 means DefaultPageLimit
	Type  string // "" for every type
}

// Normalize validates the filter and applies defaults.
func (f *EventFilter) Normalize() error {
	switch {
	case f.Limit == 0:
		f.Limit = DefaultPageLimit
	case f.Limit < 1 || f.Limit > MaxPageLimit:
		return Invalidf("limit", "limit must be between 1 and %d", MaxPageLimit)
	}
	if f.After < 0 {
		return Invalidf("after", "after must be an event sequence number (0 or more)")
	}
	if f.Type != "" && !IsEventType(f.Type) {
		return Invalidf("type", "type must be one of the event types (conversation.deleted, …)")
	}
	return nil
}

// EventService reads a tenant's outbox. Events are written by the
// changes themselves (every delete, purge, restore, hold, …), never
// through this interface.
type EventService interface {
	// FindEvents returns a page of the tenant's events in sequence order
	// (after f.After), and whether more follow. EINVALID for a bad
	// filter.
	FindEvents(ctx context.Context, tenantID ID, f EventFilter) ([]*Event, bool, error)
}
