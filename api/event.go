package api

import (
	_ "embed"
	"encoding/json"
	"time"

	"github.com/convstore/convstore"
)

// EventsSchema is the JSON Schema (draft 2020-12) of every event type's
// payload (events.schema.json): the servicetest suite checks each event
// it reads against it.
//
//go:embed events.schema.json
var EventsSchema []byte

// ObjectEvent is the object name of an outbox event.
const ObjectEvent = "event"

// Event is the wire form of an outbox event. Sequence numbers the
// tenant's events in commit order (the cursor of GET /v1/events); ID is
// stable, for a receiver to drop a delivery it has seen.
type Event struct {
	ID             string          `json:"id"`
	Object         string          `json:"object"`
	Type           string          `json:"type"`
	Sequence       int64           `json:"sequence"`
	TenantID       string          `json:"tenant_id"`
	ConversationID *string         `json:"conversation_id"` // null for events of no one conversation
	OccurredAt     int64           `json:"occurred_at"`
	DeliveredAt    *int64          `json:"delivered_at"` // null until delivered
	Data           json.RawMessage `json:"data"`
}

// FromEvent converts an event to its wire form.
func FromEvent(e *convstore.Event) Event {
	return Event{
		ID:             e.ID.Format(convstore.PrefixEvent),
		Object:         ObjectEvent,
		Type:           e.Type,
		Sequence:       e.Seq,
		TenantID:       e.TenantID.Format(convstore.PrefixTenant),
		ConversationID: optID(e.ConversationID, convstore.PrefixConversation),
		OccurredAt:     Unix(e.OccurredAt),
		DeliveredAt:    optUnix(e.DeliveredAt),
		Data:           e.Data,
	}
}

// ToEvent converts a wire event to the domain type.
func ToEvent(w *Event) *convstore.Event {
	e := &convstore.Event{Type: w.Type, Seq: w.Sequence, OccurredAt: time.Unix(w.OccurredAt, 0).UTC(), Data: w.Data}
	e.ID, _ = convstore.ParseID(convstore.PrefixEvent, "id", w.ID)
	e.TenantID, _ = convstore.ParseID(convstore.PrefixTenant, "tenant_id", w.TenantID)
	if w.ConversationID != nil {
		e.ConversationID, _ = convstore.ParseID(convstore.PrefixConversation, "conversation_id", *w.ConversationID)
	}
	if w.DeliveredAt != nil {
		t := time.Unix(*w.DeliveredAt, 0).UTC()
		e.DeliveredAt = &t
	}
	return e
}
