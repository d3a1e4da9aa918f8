package openai

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// findConversation returns the tenant's conversation with the wire id s.
// A malformed id, a missing one and another tenant's are the same
// not-found.
func (d *Door) findConversation(ctx context.Context, tid convstore.ID, s string) (*convstore.Conversation, error) {
	id, err := convstore.ParseID(convstore.PrefixConversation, "conversation_id", s)
	if err != nil {
		return nil, errConversationNotFound
	}
	c, err := d.store.FindConversationByID(ctx, tid, id)
	return c, conversationGone(err)
}

// createConversation serves POST /v1/conversations: a conversation with
// its metadata and initial items (at most 20), written in one call.
func (d *Door) createConversation(w http.ResponseWriter, r *http.Request) error {
	var in conversationIn
	if err := d.decodeBody(w, r, &in, true); err != nil {
		return err
	}
	meta, _, err := parseMetadata(in.Metadata)
	if err != nil {
		return err
	}
	items, err := parseItems(in.Items, false)
	if err != nil {
		return err
	}
	c := &convstore.ConversationCreate{Metadata: meta, Messages: items, Door: DoorName}
	if err := c.Validate(); err != nil {
		return err
	}
	conv, _, err := d.store.CreateConversation(r.Context(), convhttp.Tenant(r), c)
	if err != nil {
		return err
	}
	return ok(w, toConversation(conv))
}

// getConversation serves GET /v1/conversations/{conversation_id}.
func (d *Door) getConversation(w http.ResponseWriter, r *http.Request) error {
	conv, err := d.findConversation(r.Context(), convhttp.Tenant(r), r.PathValue("conversation_id"))
	if err != nil {
		return err
	}
	return ok(w, toConversation(conv))
}

// updateConversation serves POST /v1/conversations/{conversation_id}: the
// given metadata replaces the conversation's (null clears it).
func (d *Door) updateConversation(w http.ResponseWriter, r *http.Request) error {
	var in conversationUpdateIn
	if err := d.decodeBody(w, r, &in, false); err != nil {
		return err
	}
	meta, present, err := parseMetadata(in.Metadata)
	if err != nil {
		return err
	}
	if !present {
		return invalid("metadata", "Missing required parameter: 'metadata'.")
	}
	if meta == nil {
		meta = convstore.Metadata{}
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, r.PathValue("conversation_id"))
	if err != nil {
		return err
	}
	conv, err = d.store.UpdateConversation(ctx, tid, conv.ID, &convstore.ConversationUpdate{Metadata: &meta})
	if err != nil {
		return conversationGone(err)
	}
	return ok(w, toConversation(conv))
}

// deleteConversation serves DELETE /v1/conversations/{conversation_id}: a
// permanent delete of the conversation with every item, its receipt
// naming this door.
func (d *Door) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, r.PathValue("conversation_id"))
	if err != nil {
		return err
	}
	if _, err := d.store.DeleteConversation(ctx, tid, conv.ID, convhttp.DeleteParams(r, DoorName)); err != nil {
		return conversationGone(err) // a concurrent delete is a not-found
	}
	return ok(w, conversationDeleted{ID: conv.ID.Format(convstore.PrefixConversation), Object: "conversation.deleted", Deleted: true})
}

// createItems serves POST /v1/conversations/{conversation_id}/items: at
// most 20 items appended in one write, answered as a list of them.
func (d *Door) createItems(w http.ResponseWriter, r *http.Request) error {
	q, err := queryRules.Parse(r)
	if err != nil {
		return err
	}
	if err := checkInclude(q.Values()); err != nil {
		return err
	}
	var in itemsIn
	if err := d.decodeBody(w, r, &in, false); err != nil {
		return err
	}
	batch, err := parseItems(in.Items, true)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, r.PathValue("conversation_id"))
	if err != nil {
		return err
	}
	msgs, err := d.store.CreateMessages(ctx, tid, conv.ID, batch)
	if err != nil {
		return conversationGone(err)
	}
	return ok(w, renderList(msgs, false))
}

// renderList renders messages as an item list.
func renderList(msgs []*convstore.Message, more bool) itemList {
	items := make([]json.RawMessage, len(msgs))
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		items[i], ids[i] = renderItem(m)
	}
	return newItemList(items, ids, more)
}

// includable are the values of the include parameter OpenAI defines. The
// door accepts them and returns every item whole whatever they say: it
// stores no fields apart to leave out.
var includable = map[string]bool{
	"file_search_call.results": true, "web_search_call.results": true, "web_search_call.action.sources": true,
	"message.input_image.image_url": true, "computer_call_output.output.image_url": true,
	"code_interpreter_call.outputs": true, "reasoning.encrypted_content": true, "message.output_text.logprobs": true,
}

// checkInclude checks the include parameter, as include=… or include[]=…
// (the SDKs' form), repeatable.
func checkInclude(v map[string][]string) error {
	for _, name := range []string{"include", "include[]"} {
		for _, s := range v[name] {
			for _, one := range strings.Split(s, ",") {
				if !includable[one] {
					return invalidQuery("include", "Invalid value for 'include': %q is not one of the supported values.", one)
				}
			}
		}
	}
	return nil
}

// listItems serves GET /v1/conversations/{conversation_id}/items: a page
// of items (limit 1 to 100, default 20), newest first unless order=asc,
// after the item named by after.
func (d *Door) listItems(w http.ResponseWriter, r *http.Request) error {
	q, err := queryRules.Parse(r)
	if err != nil {
		return err
	}
	if err := checkInclude(q.Values()); err != nil {
		return err
	}
	pf := convstore.PageFilter{Limit: convstore.DefaultPageLimit, Order: convstore.OrderDesc}
	if n, ok, err := q.Int("limit", 1, convstore.MaxPageLimit); err != nil {
		return err
	} else if ok {
		pf.Limit = int(n)
	}
	if s, ok, err := q.String("order"); err != nil {
		return err
	} else if ok {
		if s != "asc" && s != "desc" {
			return invalidQuery("order", "Invalid value for 'order': expected one of 'asc' or 'desc'.")
		}
		pf.Order = convstore.Order(s)
	}
	after, _, err := q.String("after")
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, r.PathValue("conversation_id"))
	if err != nil {
		return err
	}
	if after != "" {
		if pf.After, err = d.cursor(ctx, tid, conv, after); err != nil {
			return err
		}
	}
	msgs, more, err := d.store.FindMessages(ctx, tid, conv.ID, convstore.MessageFilter{PageFilter: pf})
	if err != nil {
		return conversationGone(err)
	}
	return ok(w, renderList(msgs, more))
}

// cursor returns the native id after which a list goes on: an id this
// door gave holds it (the item need not exist any more); a client's own id
// is looked up.
func (d *Door) cursor(ctx context.Context, tid convstore.ID, conv *convstore.Conversation, after string) (convstore.ID, error) {
	if prefix, rest, ok := strings.Cut(after, "_"); ok && prefix != "" {
		if id, ok := convstore.ParseBase32(rest); ok && !id.IsZero() {
			return id, nil
		}
	}
	m, err := d.findItem(ctx, tid, conv, after)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return convstore.ID{}, invalidQuery("after", "Invalid 'after': no item of this conversation has that id.")
	}
	if err != nil {
		return convstore.ID{}, err
	}
	return m.ID, nil
}

// getItem serves GET /v1/conversations/{conversation_id}/items/{item_id}.
func (d *Door) getItem(w http.ResponseWriter, r *http.Request) error {
	q, err := queryRules.Parse(r)
	if err != nil {
		return err
	}
	if err := checkInclude(q.Values()); err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, r.PathValue("conversation_id"))
	if err != nil {
		return err
	}
	m, err := d.findItem(ctx, tid, conv, r.PathValue("item_id"))
	if err != nil {
		return err
	}
	item, _ := renderItem(m)
	return ok(w, item)
}

// deleteItem serves DELETE /v1/conversations/{conversation_id}/items/{item_id}:
// the item is deleted for good and the answer is the conversation.
func (d *Door) deleteItem(w http.ResponseWriter, r *http.Request) error {
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, r.PathValue("conversation_id"))
	if err != nil {
		return err
	}
	m, err := d.findItem(ctx, tid, conv, r.PathValue("item_id"))
	if err != nil {
		return err
	}
	if err := d.store.DeleteMessage(ctx, tid, conv.ID, m.ID, convhttp.DeleteParams(r, DoorName)); err != nil {
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return errItemNotFound // deleted concurrently
		}
		return err
	}
	if conv, err = d.store.FindConversationByID(ctx, tid, conv.ID); err != nil {
		return conversationGone(err)
	}
	return ok(w, toConversation(conv))
}
