package v1

import (
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// createConversation serves POST /v1/conversations: 201 with the
// conversation, created together with its optional initial messages.
func (d *Door) createConversation(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, "include")
	if err != nil {
		return err
	}
	_, withMessages, err := q.Enum("include", "messages")
	if err != nil {
		return err
	}
	var in api.ConversationCreate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c := &convstore.ConversationCreate{
		AgentID: in.AgentID, UserID: in.UserID, ExternalID: in.ExternalID, Title: in.Title, Door: DoorName,
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
	conv, msgs, err := d.store.CreateConversation(r.Context(), convhttp.Tenant(r), c)
	if err != nil {
		return err
	}
	if !withMessages {
		return created(w, api.FromConversation(conv))
	}
	out := api.ConversationWithMessages{Conversation: api.FromConversation(conv), Messages: make([]api.Message, 0, len(msgs))}
	for _, m := range msgs {
		out.Messages = append(out.Messages, api.FromMessage(m))
	}
	return created(w, out)
}

// filterParams are the query parameters that select conversations, on
// the list and the count.
var filterParams = []string{"agent_id", "user_id", "created_after", "created_before", convhttp.FamilyParam("metadata"), "seq"}

// conversationFilter parses the filterParams of q.
func conversationFilter(q *convhttp.Query) (convstore.ConversationFilter, error) {
	var f convstore.ConversationFilter
	var err error
	if f.AgentID, err = q.Text("agent_id", convstore.MaxExternalLen); err != nil {
		return f, err
	}
	if f.UserID, err = q.Text("user_id", convstore.MaxExternalLen); err != nil {
		return f, err
	}
	if f.CreatedAfter, err = unix(q, "created_after"); err != nil {
		return f, err
	}
	if f.CreatedAfter != nil {
		// Times are whole seconds on the wire, so "after T" means after
		// the second T: a conversation listed with created_at T was made
		// within T and is not after it. Engines keep microseconds and
		// round the bound down to one, so this bound keeps exactly the
		// conversations of later seconds.
		after := f.CreatedAfter.Add(time.Second - time.Nanosecond)
		f.CreatedAfter = &after
	}
	if f.CreatedBefore, err = unix(q, "created_before"); err != nil {
		return f, err
	}
	m, err := q.Family("metadata")
	if err != nil {
		return f, err
	}
	f.Metadata = convstore.Metadata(m)
	f.Seq, _, err = q.Int("seq", 1, math.MaxInt64)
	return f, err
}

// listConversations serves GET /v1/conversations, newest first by default.
func (d *Door) listConversations(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, withPage(append(slices.Clone(filterParams), "offset", "deleted")...)...)
	if err != nil {
		return err
	}
	f, err := conversationFilter(q)
	if err != nil {
		return err
	}
	offset, _, err := q.Int("offset", 0, convstore.MaxConversationOffset)
	if err != nil {
		return err
	}
	f.Offset = int(offset)
	// deleted=true lists the conversations deleted within their restore
	// window instead, in the same order (by id) and page shape.
	if f.Deleted, _, err = q.Bool("deleted"); err != nil {
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

// countConversations serves GET /v1/conversations/count: how many
// conversations the filter selects.
func (d *Door) countConversations(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, filterParams...)
	if err != nil {
		return err
	}
	f, err := conversationFilter(q)
	if err != nil {
		return err
	}
	n, err := d.store.CountConversations(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	return ok(w, api.ConversationCount{Object: api.ObjectConversationCount, Count: n})
}

// lookupConversation serves GET /v1/conversations/lookup: the conversation
// with the given external_id or seq (exactly one of the two), 404 if none.
func (d *Door) lookupConversation(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, "external_id", "seq")
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	var conv *convstore.Conversation
	switch byExt, bySeq := q.Has("external_id"), q.Has("seq"); {
	case byExt && bySeq:
		return invalidParam("seq", "Give external_id or seq, not both.")
	case byExt:
		ext, err := q.Text("external_id", convstore.MaxExternalLen)
		if err != nil {
			return err
		}
		conv, err = d.store.FindConversationByExternalID(ctx, tid, ext)
		if err != nil {
			return err
		}
	case bySeq:
		seq, _, err := q.Int("seq", 1, math.MaxInt64)
		if err != nil {
			return err
		}
		conv, err = d.store.FindConversationBySeq(ctx, tid, seq)
		if err != nil {
			return err
		}
	default:
		return invalidParam("external_id", "Give external_id or seq.")
	}
	return ok(w, api.FromConversation(conv))
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

// restoreConversation serves POST /v1/conversations/{id}/restore: a
// conversation deleted within its restore window comes back whole. 404
// past the window, as for a missing conversation.
func (d *Door) restoreConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	c, err := d.store.RestoreConversation(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return ok(w, api.FromConversation(c))
}
