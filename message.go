package convstore

import (
	"context"
	"encoding/json"
	"time"
)

// Field bounds of messages.
const (
	MaxMessageContentLen = 256 << 10 // text content, bytes
	MaxMessagePartsLen   = 256 << 10 // structured parts, bytes of JSON
	MaxAuthorNameLen     = 256
	MaxMessageBatch      = 1000 // messages in one create or append call
)

// DefaultMaxConversationMessages is the per-conversation message cap of an
// engine whose options set none. Reads stream and so hold one page whatever
// the size, but some costs still grow with a conversation: its delete is
// one transaction (on SQLite it holds the only writer meanwhile), a full
// read sends every message, and an upsert door matches against every
// stored id. 100,000 messages is a day-long call with a turn every second,
// or years of an assistant thread, and keeps each of those costs to
// seconds; an operator can raise it (engine options, the server's
// --max-conversation-messages) for larger conversations.
const DefaultMaxConversationMessages = 100000

// MessageCapError returns the ECONFLICT error of a create or append that
// would take a conversation past its cap of max messages. Engines return it
// having written nothing.
func MessageCapError(max int) *Error {
	return &Error{Code: ECONFLICT, Field: "messages",
		Message: "A conversation can hold at most " + itoa(max) + " messages; this one has no room for the messages given."}
}

// IsMessageCapError reports whether err is a MessageCapError, for doors
// that answer it apart from other conflicts.
func IsMessageCapError(err error) bool {
	return ErrorCode(err) == ECONFLICT && ErrorField(err) == "messages"
}

// Role is the author role of a message.
type Role string

// Roles.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleSystem    Role = "system"
	RoleTool      Role = "tool"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleUser, RoleAssistant, RoleSystem, RoleTool:
		return true
	}
	return false
}

// Message is one turn of a conversation. Messages are ordered by ID, which
// is insertion order.
type Message struct {
	ID             ID
	ConversationID ID
	Role           Role
	Content        string          // text content
	Parts          json.RawMessage // optional structured content parts (a JSON value)
	AuthorName     string
	StartOffset    *time.Duration // voice: offset of the turn's start from the call's start
	EndOffset      *time.Duration
	Metadata       Metadata
	CreatedAt      time.Time
}

// MessageCreate is one message to add.
type MessageCreate struct {
	Role        Role
	Content     string
	Parts       json.RawMessage
	AuthorName  string
	StartOffset *time.Duration
	EndOffset   *time.Duration
	Metadata    Metadata
}

// Validate checks the message; field prefixes the field names in errors
// (for example "messages[3]").
func (c *MessageCreate) Validate(field string) error {
	if !c.Role.Valid() {
		return Invalidf(field+".role", "%s.role must be user, assistant, system or tool", field)
	}
	if err := validMultiline(field+".content", c.Content, MaxMessageContentLen); err != nil {
		return err
	}
	if err := validJSON(field+".parts", c.Parts, MaxMessagePartsLen); err != nil {
		return err
	}
	if c.Content == "" && len(c.Parts) == 0 {
		return Invalidf(field+".content", "%s needs content or parts", field)
	}
	if err := validText(field+".author_name", c.AuthorName, MaxAuthorNameLen); err != nil {
		return err
	}
	if c.StartOffset != nil && *c.StartOffset < 0 {
		return Invalidf(field+".start_offset", "%s.start_offset must not be negative", field)
	}
	if c.EndOffset != nil && (*c.EndOffset < 0 || c.StartOffset != nil && *c.EndOffset < *c.StartOffset) {
		return Invalidf(field+".end_offset", "%s.end_offset must not be negative or before start_offset", field)
	}
	return c.Metadata.Validate(field + ".metadata")
}

// ValidateMessageBatch checks a batch of messages; required says whether an
// empty batch is an error.
func ValidateMessageBatch(field string, batch []*MessageCreate, required bool) error {
	if required && len(batch) == 0 {
		return Invalidf(field, "%s must contain at least one message", field)
	}
	if len(batch) > MaxMessageBatch {
		return Invalidf(field, "%s must contain at most %d messages", field, MaxMessageBatch)
	}
	for i, m := range batch {
		if m == nil {
			return Invalidf(field, "%s[%d] is empty", field, i)
		}
		if err := m.Validate(field + "[" + itoa(i) + "]"); err != nil {
			return err
		}
	}
	return nil
}

// MessageFilter selects a conversation's messages. Default order: asc.
type MessageFilter struct {
	PageFilter
}

// MessageExternalIDKey is the message metadata key whose value is the
// message's external id, the id a client gave it: FindMessageByExternalID
// finds a message by it across the tenant's conversations, for doors
// whose message routes carry only the client's message id. The store
// keeps it as a blind index, like a conversation's ExternalID; unlike
// that one, it need not be unique (the newest message with it is found).
const MessageExternalIDKey = "external_id"

// LegacyMessageExternalIDKey is where the Inkeep door kept a client's
// message id before the store indexed MessageExternalIDKey (migration
// 0022): such messages are immutable, so their ids stay under this key,
// and the store indexes it as their external id (migration 0025
// backfills the messages stored before).
const LegacyMessageExternalIDKey = "inkeep.id"

// MessageExternalID returns the external id of a message's metadata:
// MessageExternalIDKey, else LegacyMessageExternalIDKey, else "".
func MessageExternalID(m Metadata) string {
	if id := m[MessageExternalIDKey]; id != "" {
		return id
	}
	return m[LegacyMessageExternalIDKey]
}

// MessageLookupService finds messages by what a door's clients know of
// them. It is part of Store, for the doors, and not served by the native
// API.
type MessageLookupService interface {
	// FindMessageByExternalID returns the tenant's newest message, in any
	// of its live conversations, whose external id (MessageExternalID of
	// its metadata) is externalID. ENOTFOUND if none.
	FindMessageByExternalID(ctx context.Context, tenantID ID, externalID string) (*Message, error)
}

// MessageService manages messages. Every method is scoped to the tenant and
// the conversation: ENOTFOUND if either is missing or the message belongs to
// another conversation.
type MessageService interface {
	// FindMessageByID returns one message. A zero conversationID finds the
	// message in any conversation of the tenant, for doors whose message
	// routes carry no conversation id.
	FindMessageByID(ctx context.Context, tenantID, conversationID, id ID) (*Message, error)

	// FindMessages returns a page of messages ordered by ID and whether more
	// follow. ENOTFOUND if the conversation is missing.
	FindMessages(ctx context.Context, tenantID, conversationID ID, f MessageFilter) ([]*Message, bool, error)

	// CreateMessages appends a batch atomically, updating the conversation's
	// message count and UpdatedAt. If the conversation is deleted
	// concurrently, either the batch commits first (and is deleted with it)
	// or this returns ENOTFOUND. EINVALID for bad input; a MessageCapError
	// (ECONFLICT) if the conversation would hold more messages than the
	// engine's cap, checked atomically with the append.
	CreateMessages(ctx context.Context, tenantID, conversationID ID, batch []*MessageCreate) ([]*Message, error)

	// DeleteMessage permanently deletes one message and writes an AuditEntry.
	DeleteMessage(ctx context.Context, tenantID, conversationID, id ID, p DeleteParams) error
}

// MessageEditService rewrites stored messages, for the vendor doors whose
// APIs update a message (Botpress's PUT /v1/chat/messages/{id}). The
// native API has no such route, so the Go client does not implement it.
type MessageEditService interface {
	// UpdateMessage changes the set fields of one message and returns it.
	// ENOTFOUND "message" if it or its conversation is missing; EHELD if
	// the conversation is under a legal hold (an update rewrites content
	// a hold preserves); EINVALID for bad input, or if the message would
	// be left without content and parts.
	UpdateMessage(ctx context.Context, tenantID, conversationID, id ID, u *MessageUpdate) (*Message, error)
}

// MessageUpdate is the input of MessageService.UpdateMessage. Nil fields
// are left unchanged; Metadata replaces the whole map. A message's role,
// author, offsets and creation time never change.
type MessageUpdate struct {
	Content  *string
	Parts    *json.RawMessage
	Metadata *Metadata
}

// Validate checks every set field.
func (u *MessageUpdate) Validate() error {
	if u.Content != nil {
		if err := validMultiline("content", *u.Content, MaxMessageContentLen); err != nil {
			return err
		}
	}
	if u.Parts != nil {
		if err := validJSON("parts", *u.Parts, MaxMessagePartsLen); err != nil {
			return err
		}
	}
	if u.Metadata != nil {
		return u.Metadata.Validate("metadata")
	}
	return nil
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}
