package stammer

import (
	"time"

	"github.com/convstore/convstore"
)

// messageRequest is the body of POST …/message/. Pointers tell an absent or
// null field from an empty one.
type messageRequest struct {
	ChatbotUUID            *string `json:"chatbot_uuid"`
	Query                  *string `json:"query"`
	UserKey                *string `json:"user_key"`
	CustomBaseSystemPrompt *string `json:"custom_base_system_prompt"`
}

// messageResponse answers POST …/message/. Answer is always null: convstore
// stores conversations and generates no replies.
type messageResponse struct {
	ConversationUUID string  `json:"conversation_uuid"`
	ChatbotUUID      string  `json:"chatbot_uuid"`
	UserKey          string  `json:"user_key"`
	Query            string  `json:"query"`
	Answer           *string `json:"answer"`
	NewConversation  bool    `json:"new_conversation"`
	CreatedAt        string  `json:"created_at"`
}

// pageHead is the members of a DRF PageNumberPagination page before its
// "results" array: {count, next, previous, results}.
type pageHead struct {
	Count    int     `json:"count"`
	Next     *string `json:"next"`
	Previous *string `json:"previous"`
}

// conversation is one result of GET …/conversations/.
type conversation struct {
	UUID               string    `json:"uuid"`
	ConversationNumber int64     `json:"conversation_number"`
	ChatbotUUID        *string   `json:"chatbot_uuid"`
	UserKey            *string   `json:"user_key"`
	SourcePlatform     *string   `json:"source_platform"`
	IsDeleted          bool      `json:"is_deleted"`
	CreatedAt          string    `json:"created_at"`
	UpdatedAt          string    `json:"updated_at"`
	MessageCount       int       `json:"message_count"`
	Messages           []message `json:"messages"`
	MessagesTruncated  bool      `json:"messages_truncated"`
}

// message is one turn of a listed conversation, oldest first.
type message struct {
	Role      string `json:"role"`
	Content   string `json:"content"`
	CreatedAt string `json:"created_at"`
}

// deactivated answers POST …/conversation/{uuid}/deactivate/.
type deactivated struct {
	Message   string `json:"message"`
	UUID      string `json:"uuid"`
	Deleted   bool   `json:"deleted"`
	ReceiptID string `json:"receipt_id"`
}

// timestamp renders t as DRF renders a DateTimeField: ISO 8601 in UTC with
// microseconds and a "Z".
func timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// nullable returns nil for "" so unset ids render as JSON null.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// fromMessage converts a stored message.
func fromMessage(m *convstore.Message) message {
	return message{Role: string(m.Role), Content: m.Content, CreatedAt: timestamp(m.CreatedAt)}
}
