package botpress

import (
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// maxImport bounds the messages of one import: each is a get-or-create,
// which reads its conversation.
const maxImport = 100

// importIn is the body of POST /v1/chat/messages/import-messages.
type importIn struct {
	Messages *[]importMessageIn `json:"messages"`
}

type importMessageIn struct {
	messageIn
	CreatedAt *string `json:"createdAt"`
}

type importResponse struct {
	Messages []message `json:"messages"`
}

// importMessages serves POST /v1/chat/messages/import-messages: each
// message is a get-or-create (as POST /v1/chat/messages/get-or-create)
// that keeps its given createdAt, shown as its createdAt and updatedAt and
// used by the date filters of listMessages; it is listed in the order
// imported, not by that time. Every message is validated before any is
// written; a failure later (a conversation deleted meanwhile) leaves the
// messages before it imported, and a retry finds them.
func (d *Door) importMessages(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in importIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Messages == nil {
		return invalid("messages", "messages is required: an array of messages.")
	}
	if len(*in.Messages) > maxImport {
		return invalid("messages", "messages must hold at most %d messages.", maxImport)
	}
	type item struct {
		mc   *convstore.MessageCreate
		disc [][2]string
		conv string
	}
	items := make([]item, len(*in.Messages))
	for i := range *in.Messages {
		m := &(*in.Messages)[i]
		field := "messages[" + strconv.Itoa(i) + "]"
		if m.CreatedAt == nil {
			return invalid(field+".createdAt", "%s.createdAt is required.", field)
		}
		at, err := parseDate(*m.CreatedAt)
		if err != nil {
			return invalid(field+".createdAt", "%s.createdAt must be an ISO-8601 date-time such as 2024-01-31T12:00:00.000Z.", field)
		}
		mc, err := newMessage(bot, &m.messageIn)
		if err != nil {
			return err
		}
		mc.Metadata[keyCreatedAt] = formatTime(at)
		if err := checkCount(mc.Metadata); err != nil {
			return err
		}
		disc, err := discriminators(m.Tags, m.DiscriminateByTags)
		if err != nil {
			return err
		}
		items[i] = item{mc, disc, *m.ConversationID}
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	out := importResponse{Messages: make([]message, 0, len(items))}
	for _, it := range items {
		conv, err := d.findConversation(ctx, tid, bot, it.conv)
		if err != nil {
			return err
		}
		m, _, err := d.findOrCreateMessage(ctx, tid, conv, it.mc, it.disc)
		if err != nil {
			return err
		}
		out.Messages = append(out.Messages, toMessage(m, conv))
	}
	return ok(w, out)
}
