package inkeep

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// eventKey is the top-level member of an event artifact's Data.
const eventKey = "inkeep_event"

// Event entity types, as the SDK's InsertEvent union has them.
var entityTypes = []string{"conversation", "message", "search"}

// storedEvent is an event as kept in its artifact's Data.
type storedEvent struct {
	ClientID       string          `json:"clientId,omitempty"`
	EntityType     string          `json:"entityType"`
	Type           string          `json:"type"`
	MessageID      string          `json:"messageId,omitempty"`
	CreatedAt      string          `json:"createdAt"`
	ProjectID      *string         `json:"projectId,omitempty"`
	IntegrationID  *string         `json:"integrationId,omitempty"`
	Properties     json.RawMessage `json:"properties,omitempty"`
	UserProperties json.RawMessage `json:"userProperties,omitempty"`
}

// Event is the SDK's SelectEvent: conversationId for conversation events,
// messageId for message events.
type Event struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	EntityType     string          `json:"entityType"`
	ConversationID string          `json:"conversationId,omitempty"`
	MessageID      string          `json:"messageId,omitempty"`
	CreatedAt      string          `json:"createdAt"`
	ProjectID      *string         `json:"projectId"`
	IntegrationID  *string         `json:"integrationId"`
	Properties     json.RawMessage `json:"properties"`
	UserProperties json.RawMessage `json:"userProperties"`
}

// eventInput is a validated POST /events body.
type eventInput struct {
	ev             storedEvent
	conversationID string // conversation events
}

// logEvent serves POST /events: the event becomes an artifact of type
// "other" on its conversation (for a message event, the message's), so it
// is sealed like every artifact and deleted and erased with the
// conversation. Search events name no conversation, so they cannot be
// kept with one: they are a 422.
func (d *Door) logEvent(w http.ResponseWriter, r *http.Request) error {
	ctx, t := r.Context(), convhttp.Tenant(r)
	body, err := d.srv.ReadBody(w, r)
	if err != nil {
		return err
	}
	in, err := parseEvent(body)
	if err != nil {
		return err
	}
	var (
		convID  convstore.ID
		msgIDs  []convstore.ID
		outConv string
	)
	switch in.ev.EntityType {
	case "conversation":
		c, err := d.resolve(ctx, t, in.conversationID)
		if lookupMiss(err) {
			return invalid("conversationId", "conversationId does not name a logged conversation.")
		} else if err != nil {
			return err
		}
		convID, outConv = c.ID, conversationID(c)
	case "message":
		m, err := d.findMessage(ctx, t, in.ev.MessageID)
		if err != nil {
			return err
		}
		convID, msgIDs = m.ConversationID, []convstore.ID{m.ID}
		in.ev.MessageID = m.ID.Format(convstore.PrefixMessage)
	}
	data, _ := json.Marshal(map[string]*storedEvent{eventKey: &in.ev}) // plain data always marshals
	a, err := d.store.CreateArtifact(ctx, t, convID, &convstore.ArtifactCreate{
		Type: convstore.ArtifactOther, Text: in.ev.Type, Data: data, MessageIDs: msgIDs,
	})
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		if in.ev.EntityType == "message" {
			return invalid("messageId", "messageId does not name a logged message.")
		}
		return invalid("conversationId", "conversationId does not name a logged conversation.")
	} else if err != nil {
		return err
	}
	return ok(w, &Event{
		ID: a.ID.Format(convstore.PrefixArtifact), Type: in.ev.Type, EntityType: in.ev.EntityType,
		ConversationID: outConv, MessageID: in.ev.MessageID, CreatedAt: in.ev.CreatedAt,
		ProjectID: in.ev.ProjectID, IntegrationID: in.ev.IntegrationID,
		Properties: in.ev.Properties, UserProperties: in.ev.UserProperties,
	})
}

// parseEvent validates a whole POST /events body.
func parseEvent(body []byte) (*eventInput, error) {
	o, err := parseBody(body)
	if err != nil {
		return nil, err
	}
	in := &eventInput{}
	et, err := o.enum("entityType", entityTypes...)
	if err != nil {
		return nil, err
	}
	if !et.Set || et.Null {
		return nil, invalid("entityType", "entityType is required.")
	}
	in.ev.EntityType = et.V
	switch et.V {
	case "search":
		return nil, invalid("entityType", "Search events are not stored: convstore keeps events with the conversation they belong to.")
	case "conversation":
		if in.conversationID, err = o.requiredStr("conversationId", maxMetaLen); err != nil {
			return nil, err
		}
	case "message":
		if in.ev.MessageID, err = o.requiredStr("messageId", maxMetaLen); err != nil {
			return nil, err
		}
	}
	if in.ev.Type, err = o.requiredStr("type", maxMetaLen); err != nil {
		return nil, err
	}
	id, err := o.str("id", maxMetaLen)
	if err != nil {
		return nil, err
	}
	in.ev.ClientID = id.V
	created, err := o.timestamp("createdAt")
	if err != nil {
		return nil, err
	}
	in.ev.CreatedAt = isoTime(time.Now())
	if created.Set && !created.Null {
		in.ev.CreatedAt = created.V
	}
	for _, f := range []struct {
		member string
		dst    **string
	}{{"projectId", &in.ev.ProjectID}, {"integrationId", &in.ev.IntegrationID}} {
		v, err := o.str(f.member, maxMetaLen)
		if err != nil {
			return nil, err
		}
		if v.Set && !v.Null {
			s := v.V
			*f.dst = &s
		}
	}
	p, err := o.properties("properties")
	if err != nil {
		return nil, err
	}
	in.ev.Properties = p.V
	u, err := o.userProperties("userProperties")
	if err != nil {
		return nil, err
	}
	in.ev.UserProperties = u.V
	return in, nil
}
