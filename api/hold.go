package api

import (
	"time"

	"github.com/convstore/convstore"
)

// Object names of legal holds.
const (
	ObjectHold         = "hold"
	ObjectHoldReleased = "hold.released"
)

// Hold is the wire form of a legal hold. A hold on an end user never
// shows the user id: only its keyed hash is stored.
type Hold struct {
	ID             string  `json:"id"`
	Object         string  `json:"object"`
	Kind           string  `json:"kind"`            // "conversation", "user" or "agent"
	ConversationID *string `json:"conversation_id"` // for kind "conversation", else null
	AgentID        *string `json:"agent_id"`        // for kind "agent", else null
	Reason         string  `json:"reason"`
	CreatedBy      *string `json:"created_by"` // key id, null for operators
	CreatedAt      int64   `json:"created_at"`
}

// HoldCreate is the body of POST /v1/holds: exactly one of
// conversation_id, user_id and agent_id, and a reason.
type HoldCreate struct {
	ConversationID string `json:"conversation_id,omitempty"`
	UserID         string `json:"user_id,omitempty"`
	AgentID        string `json:"agent_id,omitempty"`
	Reason         string `json:"reason"`
}

// FromHold converts a hold to its wire form.
func FromHold(h *convstore.Hold) Hold {
	return Hold{
		ID:             h.ID.Format(convstore.PrefixHold),
		Object:         ObjectHold,
		Kind:           h.Kind,
		ConversationID: optID(h.ConversationID, convstore.PrefixConversation),
		AgentID:        optString(h.AgentID),
		Reason:         h.Reason,
		CreatedBy:      optID(h.ActorKeyID, convstore.PrefixKey),
		CreatedAt:      Unix(h.CreatedAt),
	}
}

// ToHold converts a wire hold to the domain type.
func ToHold(w *Hold) *convstore.Hold {
	h := &convstore.Hold{Kind: w.Kind, Reason: w.Reason, CreatedAt: time.Unix(w.CreatedAt, 0).UTC()}
	h.ID, _ = convstore.ParseID(convstore.PrefixHold, "id", w.ID)
	if w.ConversationID != nil {
		h.ConversationID, _ = convstore.ParseID(convstore.PrefixConversation, "conversation_id", *w.ConversationID)
	}
	if w.AgentID != nil {
		h.AgentID = *w.AgentID
	}
	if w.CreatedBy != nil {
		h.ActorKeyID, _ = convstore.ParseID(convstore.PrefixKey, "created_by", *w.CreatedBy)
	}
	return h
}
