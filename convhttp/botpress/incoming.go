package botpress

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// incomingIn is the body of POST /v1/chat/initialize-incoming-message.
type incomingIn struct {
	UserID         *string         `json:"userId"`
	User           *userIn         `json:"user"`
	ConversationID *string         `json:"conversationId"`
	Conversation   *conversationIn `json:"conversation"`
	Message        *messageIn      `json:"message"`
}

// incomingResponse is its answer; message is absent when none was given.
type incomingResponse struct {
	User         user         `json:"user"`
	Conversation conversation `json:"conversation"`
	Message      *message     `json:"message,omitempty"`
}

// initializeIncomingMessage serves POST /v1/chat/initialize-incoming-message:
// the user (userId, else the get-or-create of user), the conversation
// (conversationId, else the get-or-create of conversation), the user made
// a participant of the conversation (as addParticipant), and, if message is
// given, the get-or-create of that message from the user. Each step is the
// route of its own, so a failure leaves the steps before it done.
func (d *Door) initializeIncomingMessage(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in incomingIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	// Validate what can be before writing anything.
	if (in.UserID == nil || *in.UserID == "") && in.User == nil {
		return invalid("userId", "userId or user is required.")
	}
	if (in.ConversationID == nil || *in.ConversationID == "") && in.Conversation == nil {
		return invalid("conversationId", "conversationId or conversation is required.")
	}
	var mc *convstore.MessageCreate
	var disc [][2]string
	if in.Message != nil {
		// userId and conversationId are checked for presence only here.
		probe := *in.Message
		probe.UserID, probe.ConversationID = ptr(userIDPrefix+"0"), ptr("-")
		if mc, err = newMessage(bot, &probe); err != nil {
			return err
		}
		if disc, err = discriminators(in.Message.Tags, in.Message.DiscriminateByTags); err != nil {
			return err
		}
	}

	var rec *convstore.EndUser
	if in.UserID != nil && *in.UserID != "" {
		rec, err = d.findUser(ctx, tid, bot, *in.UserID)
	} else {
		rec, _, err = d.findOrCreateUser(r, bot, in.User)
	}
	if err != nil {
		return err
	}
	var conv *convstore.Conversation
	if in.ConversationID != nil && *in.ConversationID != "" {
		conv, err = d.findConversation(ctx, tid, bot, *in.ConversationID)
	} else {
		conv, _, err = d.findOrCreateConversation(r, bot, in.Conversation)
	}
	if err != nil {
		return err
	}
	if conv, err = d.join(ctx, tid, conv, rec); err != nil {
		return err
	}
	out := incomingResponse{User: toUser(rec)}
	if mc != nil {
		mc.AuthorName, mc.Role = rec.UserID, convstore.RoleUser
		m, _, err := d.findOrCreateMessage(ctx, tid, conv, mc, disc)
		if err != nil {
			return err
		}
		if conv, err = d.findConversation(ctx, tid, bot, conv.ID.Format(convstore.PrefixConversation)); err != nil {
			return err // deleted meanwhile
		}
		msg := toMessage(m, conv)
		out.Message = &msg
	}
	out.Conversation = toConversation(conv)
	return ok(w, out)
}

func ptr[T any](v T) *T { return &v }
