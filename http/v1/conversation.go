package v1

import (
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	convhttp "github.com/convstore/convstore/http"
)

// createConversation serves POST /v1/conversations: 201 with the
// conversation, created together with its optional initial messages.
func (d *Door) createConversation(w http.ResponseWriter, r *http.Request) error {
	var in api.ConversationCreate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c := &convstore.ConversationCreate{
		AgentID: in.AgentID, UserID: in.UserID, ExternalID: in.ExternalID, Title: in.Title,
		Metadata: convstore.Metadata(in.Metadata),
	}
	if len(in.Messages) > convstore.MaxMessageBatch {
		return convstore.Invalidf("messages", "messages must contain at most %d messages", convstore.MaxMessageBatch)
	}
	for i := range in.Messages {
		m, err := toMessageCreate(&in.Messages[i], "messages["+strconv.Itoa(i)+"]")
		if err != nil {
			return err
		}
		c.Messages = append(c.Messages, m)
	}
	if err := c.Validate(); err != nil {
		return wireOffsets(err)
	}
	conv, _, err := d.store.CreateConversation(r.Context(), convhttp.Tenant(r), c)
	if err != nil {
		return err
	}
	return created(w, api.FromConversation(conv))
}

// listConversations serves GET /v1/conversations, newest first by default.
func (d *Door) listConversations(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, withPage("agent_id", "user_id", "created_after", "created_before")...)
	if err != nil {
		return err
	}
	var f convstore.ConversationFilter
	if f.AgentID, err = q.Text("agent_id", convstore.MaxExternalLen); err != nil {
		return err
	}
	if f.UserID, err = q.Text("user_id", convstore.MaxExternalLen); err != nil {
		return err
	}
	if f.CreatedAfter, err = unix(q, "created_after"); err != nil {
		return err
	}
	if f.CreatedBefore, err = unix(q, "created_before"); err != nil {
		return err
	}
	if f.PageFilter, err = page(q, convstore.PrefixConversation, convstore.OrderDesc); err != nil {
		return err
	}
	convs, more, err := d.store.FindConversations(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	return ok(w, newList(convs, more, api.FromConversation, func(c *api.Conversation) string { return c.ID }))
}

// getConversation serves GET /v1/conversations/{conversation_id}.
func (d *Door) getConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	conv, err := d.store.FindConversationByID(r.Context(), convhttp.Tenant(r), id)
	if err != nil {
		return err
	}
	return ok(w, api.FromConversation(conv))
}

// updateConversation serves PATCH /v1/conversations/{conversation_id}:
// absent fields are unchanged and metadata replaces the whole map.
func (d *Door) updateConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in api.ConversationUpdate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	u := &convstore.ConversationUpdate{AgentID: in.AgentID, UserID: in.UserID, Title: in.Title}
	if in.Metadata != nil {
		m := convstore.Metadata(*in.Metadata)
		if m == nil {
			m = convstore.Metadata{}
		}
		u.Metadata = &m
	}
	if err := u.Validate(); err != nil {
		return err
	}
	conv, err := d.store.UpdateConversation(r.Context(), convhttp.Tenant(r), id, u)
	if err != nil {
		return err
	}
	return ok(w, api.FromConversation(conv))
}

// deleteConversation serves DELETE /v1/conversations/{conversation_id}: a
// permanent, cascading delete answered with its receipt.
func (d *Door) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	del, err := d.store.DeleteConversation(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return ok(w, api.ConversationDeleted{
		ID:      id.Format(convstore.PrefixConversation),
		Object:  api.ObjectConversationDeleted,
		Deleted: true,
		Receipt: api.FromDeletion(del),
	})
}
