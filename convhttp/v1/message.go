package v1

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// toMessageCreate converts one wire message input; field prefixes error
// fields ("messages[2]"). A JSON null for parts counts as absent.
func toMessageCreate(in *api.MessageCreate, field string) (*convstore.MessageCreate, error) {
	if err := offsetMS(field+".start_offset_ms", in.StartOffsetMS); err != nil {
		return nil, err
	}
	if err := offsetMS(field+".end_offset_ms", in.EndOffsetMS); err != nil {
		return nil, err
	}
	m := api.ToMessageCreate(in)
	if string(m.Parts) == "null" {
		m.Parts = nil
	}
	return m, nil
}

// decodeMessages decodes the body of POST …/messages: either
// {"messages":[…]} or a single message object. The field names of errors
// follow the shape sent: "messages[3].role" or "role".
func decodeMessages(body []byte) ([]*convstore.MessageCreate, error) {
	var probe map[string]json.RawMessage
	batch := false
	if json.Unmarshal(body, &probe) == nil {
		for k := range probe {
			if strings.EqualFold(k, "messages") {
				batch = true
			}
		}
	}
	if !batch {
		var in api.MessageCreate
		if err := convhttp.DecodeStrict(body, &in); err != nil {
			return nil, err
		}
		m, err := toMessageCreate(&in, "message")
		if err == nil {
			err = m.Validate("message")
		}
		if err != nil {
			return nil, unprefix(wireOffsets(err), "message.")
		}
		return []*convstore.MessageCreate{m}, nil
	}
	var in api.MessagesCreate
	if err := convhttp.DecodeStrict(body, &in); err != nil {
		return nil, err
	}
	if len(in.Messages) > convstore.MaxMessageBatch {
		return nil, convstore.Invalidf("messages", "messages must contain at most %d messages", convstore.MaxMessageBatch)
	}
	batchIn := make([]*convstore.MessageCreate, 0, len(in.Messages))
	for i := range in.Messages {
		m, err := toMessageCreate(&in.Messages[i], "messages["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		batchIn = append(batchIn, m)
	}
	if err := convstore.ValidateMessageBatch("messages", batchIn, true); err != nil {
		return nil, wireOffsets(err)
	}
	return batchIn, nil
}

// offsetNames matches the domain's names of the offset fields, which the
// wire calls start_offset_ms and end_offset_ms.
var offsetNames = regexp.MustCompile(`\b(start|end)_offset(_ms)?\b`)

// wireOffsets renames the offset fields of a validation error to their wire
// names, so the field names what the caller sent.
func wireOffsets(err error) error {
	e, ok := err.(*convstore.Error)
	if !ok {
		return err
	}
	c := *e
	c.Field = offsetNames.ReplaceAllString(c.Field, "${1}_offset_ms")
	c.Message = offsetNames.ReplaceAllString(c.Message, "${1}_offset_ms")
	return &c
}

// unprefix strips prefix from the field of a validation error about a single
// message sent as the whole body, whose fields are top-level.
func unprefix(err error, prefix string) error {
	e, ok := err.(*convstore.Error)
	if !ok {
		return err
	}
	c := *e
	c.Field = strings.TrimPrefix(c.Field, prefix)
	c.Message = strings.ReplaceAll(c.Message, prefix, "")
	c.Message = strings.ReplaceAll(c.Message, "message needs", "a message needs")
	return &c
}

// createMessages serves POST …/messages: 201 with a list of the created
// messages, appended atomically.
func (d *Door) createMessages(w http.ResponseWriter, r *http.Request) error {
	cid, err := conversationID(r)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	body, err := d.srv.ReadBody(w, r)
	if err != nil {
		return err
	}
	batch, err := decodeMessages(body)
	if err != nil {
		return err
	}
	msgs, err := d.store.CreateMessages(r.Context(), convhttp.Tenant(r), cid, batch)
	if err != nil {
		return err
	}
	return created(w, newList(msgs, false, api.FromMessage, func(m *api.Message) string { return m.ID }))
}

// listMessages serves GET …/messages, oldest first by default.
func (d *Door) listMessages(w http.ResponseWriter, r *http.Request) error {
	cid, err := conversationID(r)
	if err != nil {
		return err
	}
	q, err := parseQuery(r, pageParams...)
	if err != nil {
		return err
	}
	var f convstore.MessageFilter
	if f.PageFilter, err = page(q, convstore.PrefixMessage, convstore.OrderAsc); err != nil {
		return err
	}
	msgs, more, err := d.store.FindMessages(r.Context(), convhttp.Tenant(r), cid, f)
	if err != nil {
		return err
	}
	return ok(w, newList(msgs, more, api.FromMessage, func(m *api.Message) string { return m.ID }))
}

// messagePath parses {conversation_id} and {message_id} and rejects any
// query parameter.
func messagePath(r *http.Request) (cid, mid convstore.ID, err error) {
	if cid, err = conversationID(r); err != nil {
		return
	}
	if mid, err = pathID(r, "message_id", convstore.PrefixMessage); err != nil {
		return
	}
	_, err = parseQuery(r)
	return
}

// getMessage serves GET …/messages/{message_id}.
func (d *Door) getMessage(w http.ResponseWriter, r *http.Request) error {
	cid, mid, err := messagePath(r)
	if err != nil {
		return err
	}
	m, err := d.store.FindMessageByID(r.Context(), convhttp.Tenant(r), cid, mid)
	if err != nil {
		return err
	}
	return ok(w, api.FromMessage(m))
}

// getMessageByID serves GET /v1/messages/{message_id}: a message found
// by its id alone, in whichever conversation of the tenant holds it.
func (d *Door) getMessageByID(w http.ResponseWriter, r *http.Request) error {
	mid, err := pathID(r, "message_id", convstore.PrefixMessage)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	m, err := d.store.FindMessageByID(r.Context(), convhttp.Tenant(r), convstore.ID{}, mid)
	if err != nil {
		return err
	}
	return ok(w, api.FromMessage(m))
}

// deleteMessage serves DELETE …/messages/{message_id}.
func (d *Door) deleteMessage(w http.ResponseWriter, r *http.Request) error {
	cid, mid, err := messagePath(r)
	if err != nil {
		return err
	}
	if err := d.store.DeleteMessage(r.Context(), convhttp.Tenant(r), cid, mid, convhttp.DeleteParams(r, DoorName)); err != nil {
		return err
	}
	return ok(w, api.Deleted{ID: mid.Format(convstore.PrefixMessage), Object: api.ObjectMessageDeleted, Deleted: true})
}
