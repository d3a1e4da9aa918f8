package stammer

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Bounds of the message body.
const (
	// maxQueryChars: Stammer says the query "must be under 5000 characters".
	maxQueryChars = 4999
	// maxUserKeyBytes leaves room for "stammer:<uuid>:" in the ExternalID.
	maxUserKeyBytes = convstore.MaxExternalLen - len(externalPrefix) - 36 - 1
	// maxPromptBytes keeps the prompt well inside a message's parts limit.
	maxPromptBytes = convstore.MaxMessagePartsLen / 2
)

// Conversation metadata written by this door.
const (
	externalPrefix    = "stammer:"
	metaSource        = "stammer.source_platform"
	sourceAPI         = "API"
	maxCreateAttempts = 3
)

// externalID is the get-or-create key of a chatbot's conversation with one
// user.
func externalID(chatbot, userKey string) string {
	return externalPrefix + chatbot + ":" + userKey
}

// sendMessage serves POST /en/chatbot/api/v1/message/: it appends the query
// as a user message to the chatbot's open conversation with user_key,
// starting one if there is none. convstore generates no answer.
func (d *Door) sendMessage(w http.ResponseWriter, r *http.Request) error {
	var in messageRequest
	if err := d.srv.ReadJSON(w, r, bodyRules, &in); err != nil {
		return err
	}
	chatbot, mc, err := in.validate()
	if err != nil {
		return err
	}
	conv, msg, isNew, err := d.appendQuery(r.Context(), convhttp.Tenant(r), chatbot, *in.UserKey, mc)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, messageResponse{
		ConversationUUID: conv.ID.UUID(),
		ChatbotUUID:      chatbot,
		UserKey:          *in.UserKey,
		Query:            msg.Content,
		NewConversation:  isNew,
		CreatedAt:        timestamp(msg.CreatedAt),
	})
}

// validate checks the whole body and returns the canonical chatbot uuid and
// the user message to store.
func (in *messageRequest) validate() (string, *convstore.MessageCreate, error) {
	if in.ChatbotUUID == nil {
		return "", nil, invalid("chatbot_uuid", "This field is required.")
	}
	chatbot, ok := parseUUID(*in.ChatbotUUID)
	if !ok {
		return "", nil, invalid("chatbot_uuid", "Must be a valid UUID.")
	}
	if err := requiredText("query", in.Query); err != nil {
		return "", nil, err
	}
	if n := utf8.RuneCountInString(*in.Query); n > maxQueryChars {
		return "", nil, invalid("query", "Ensure this field has fewer than 5000 characters (it has %d).", n)
	}
	if err := requiredText("user_key", in.UserKey); err != nil {
		return "", nil, err
	}
	if len(*in.UserKey) > maxUserKeyBytes {
		return "", nil, invalid("user_key", "Ensure this field has no more than %d bytes.", maxUserKeyBytes)
	}
	mc := &convstore.MessageCreate{Role: convstore.RoleUser, Content: *in.Query}
	if p := in.CustomBaseSystemPrompt; p != nil && *p != "" {
		if len(*p) > maxPromptBytes {
			return "", nil, invalid("custom_base_system_prompt", "Ensure this field has no more than %d bytes.", maxPromptBytes)
		}
		if strings.IndexByte(*p, 0) >= 0 {
			return "", nil, invalid("custom_base_system_prompt", "Null characters are not allowed.")
		}
		// Kept with the query it steered, so it is deleted with it.
		parts, err := json.Marshal(map[string]any{"stammer": map[string]string{"custom_base_system_prompt": *p}})
		if err != nil {
			return "", nil, err
		}
		mc.Parts = parts
	}
	if err := mc.Validate("query"); err != nil {
		return "", nil, invalid("query", "%s", convstore.ErrorMessage(err))
	}
	return chatbot, mc, nil
}

// requiredText checks a required, non-blank string field without NULs
// (JSON decoding already made it valid UTF-8).
func requiredText(field string, s *string) error {
	switch {
	case s == nil:
		return invalid(field, "This field is required.")
	case strings.TrimSpace(*s) == "":
		return invalid(field, "This field may not be blank.")
	case strings.IndexByte(*s, 0) >= 0:
		return invalid(field, "Null characters are not allowed.")
	}
	return nil
}

// appendQuery appends mc to the conversation of (chatbot, userKey), creating
// it with mc as its first message when there is none (or it was deleted).
// It reports whether the conversation is new.
func (d *Door) appendQuery(ctx context.Context, t convstore.ID, chatbot, userKey string, mc *convstore.MessageCreate) (*convstore.Conversation, *convstore.Message, bool, error) {
	ext := externalID(chatbot, userKey)
	for range maxCreateAttempts {
		conv, err := d.store.FindConversationByExternalID(ctx, t, ext)
		if err == nil {
			msgs, err := d.store.CreateMessages(ctx, t, conv.ID, []*convstore.MessageCreate{mc})
			if convstore.ErrorCode(err) == convstore.ENOTFOUND {
				continue // deleted meanwhile: start a new conversation
			}
			if err != nil {
				return nil, nil, false, err
			}
			return conv, msgs[0], false, nil
		}
		if convstore.ErrorCode(err) != convstore.ENOTFOUND {
			return nil, nil, false, err
		}
		conv, msgs, err := d.store.CreateConversation(ctx, t, &convstore.ConversationCreate{
			AgentID:    chatbot,
			UserID:     userKey,
			ExternalID: ext,
			Door:       DoorName,
			// The key names the chatbot's user, not one conversation: after
			// a deactivation the user's next message starts a new one.
			ReuseDeletedExternalID: true,
			Metadata:               convstore.Metadata{metaSource: sourceAPI},
			Messages:               []*convstore.MessageCreate{mc},
		})
		if convstore.ErrorCode(err) == convstore.ECONFLICT {
			continue // a concurrent request created it first: append to that one
		}
		if err != nil {
			return nil, nil, false, err
		}
		return conv, msgs[0], true, nil
	}
	return nil, nil, false, convstore.Errorf(convstore.ECONFLICT, "The conversation changed during the request; retry it.")
}
