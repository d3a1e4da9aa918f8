package convstore

import (
	"context"
	"time"
)

// Field bounds of conversations.
const (
	MaxTitleLen    = 512
	MaxExternalLen = 256 // agent and end-user ids, external ids

	// MaxConversationOffset bounds ConversationFilter.Offset, for the
	// vendor doors that page by offset: deeper pages need a cursor.
	MaxConversationOffset = 100000
)

// DoorUnknown is the door of a conversation whose creating door was not
// recorded: those created before it was, and those created without one.
const DoorUnknown = "unknown"

// MaxDoorLen bounds a door's name.
const MaxDoorLen = 64

// Conversation is a chat or voice conversation. ID and Seq identify it: ID
// for the native API (conv_…) and UUID-speaking doors, Seq (a unique
// positive number, at most MaxSeq for conversations created since numbers
// were bounded, up to 2^63-1 before) for doors whose ids are decimal numbers.
type Conversation struct {
	ID         ID
	Seq        int64
	TenantID   ID
	AgentID    string // optional, caller-defined (a bot or agent)
	UserID     string // optional end-user id; indexed for erasure by user
	ExternalID string // optional caller-chosen key, unique per tenant (see ConversationCreate)
	// Door is the door that created it ("native", "stammer", …; see
	// ConversationCreate.Door), DoorUnknown for conversations created
	// before doors were recorded. It never changes.
	Door         string
	Title        string
	Metadata     Metadata
	MessageCount int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ConversationCreate is the input of ConversationService.CreateConversation.
type ConversationCreate struct {
	AgentID string
	UserID  string
	// ExternalID is an optional key chosen by the caller, unique within the
	// tenant: vendor doors keep client-supplied ids and get-or-create keys
	// here. Creating a second conversation with the same one is ECONFLICT.
	// It cannot be changed later. After the conversation holding it is
	// deleted, its tombstone refuses it (ECONFLICT) until the tombstone
	// expires, so that a late write cannot bring the conversation back.
	ExternalID string
	// ReuseDeletedExternalID lets ExternalID name a new conversation
	// while a deleted one's tombstone holds it: for doors whose external
	// id names a participant rather than one conversation (Stammer's
	// chatbot and user key), where the next message after a delete
	// starts a new conversation. No wire format carries it.
	ReuseDeletedExternalID bool
	// Door names the door creating it, as DeleteParams.Door does ("" is
	// stored as DoorUnknown). The doors set it; no wire format carries it.
	Door     string
	Title    string
	Metadata Metadata
	Messages []*MessageCreate // optional initial messages, at most MaxMessageBatch
}

// Validate checks every field and the initial messages.
func (c *ConversationCreate) Validate() error {
	if err := validText("agent_id", c.AgentID, MaxExternalLen); err != nil {
		return err
	}
	if err := validText("user_id", c.UserID, MaxExternalLen); err != nil {
		return err
	}
	if err := validText("external_id", c.ExternalID, MaxExternalLen); err != nil {
		return err
	}
	if err := validText("title", c.Title, MaxTitleLen); err != nil {
		return err
	}
	if err := validText("door", c.Door, MaxDoorLen); err != nil {
		return err
	}
	if err := c.Metadata.Validate("metadata"); err != nil {
		return err
	}
	return ValidateMessageBatch("messages", c.Messages, false)
}

// ConversationUpdate is the input of ConversationService.UpdateConversation.
// Nil fields are left unchanged; Metadata replaces the whole map.
type ConversationUpdate struct {
	AgentID  *string
	UserID   *string
	Title    *string
	Metadata *Metadata
}

// Validate checks every set field.
func (u *ConversationUpdate) Validate() error {
	if u.AgentID != nil {
		if err := validText("agent_id", *u.AgentID, MaxExternalLen); err != nil {
			return err
		}
	}
	if u.UserID != nil {
		if err := validText("user_id", *u.UserID, MaxExternalLen); err != nil {
			return err
		}
	}
	if u.Title != nil {
		if err := validText("title", *u.Title, MaxTitleLen); err != nil {
			return err
		}
	}
	if u.Metadata != nil {
		return u.Metadata.Validate("metadata")
	}
	return nil
}

// ConversationFilter selects conversations. Empty fields do not filter.
type ConversationFilter struct {
	AgentID string
	UserID  string
	// Seq keeps only the conversation with this sequence number (0: any),
	// for the doors whose ids are numbers. With SeqMax it keeps those
	// numbered Seq..SeqMax (inclusive): the numbers a JavaScript client
	// rounds to the same double (see MaxSeq).
	Seq           int64
	SeqMax        int64
	CreatedAfter  *time.Time // exclusive
	CreatedBefore *time.Time // exclusive
	// Metadata keeps conversations whose metadata has every pair given.
	Metadata Metadata
	// MinMessages and MaxMessages keep the conversations holding at
	// least, at most, that many messages (nil: no bound).
	MinMessages, MaxMessages *int
	// ByUpdated orders the page by UpdatedAt, then ID, in the page's
	// order, instead of by ID alone. Its cursor is then the pair
	// (AfterUpdated, After): both of the previous page's last item.
	ByUpdated    bool
	AfterUpdated time.Time
	// Offset skips that many conversations before the page, for doors
	// that page by offset. It cannot be combined with After.
	Offset int
	// Deleted lists the deleted conversations still within their restore
	// window instead of the live ones (by id, like the live ones).
	Deleted    bool
	PageFilter // default order: desc (newest first)
}

// Validate checks the filter and normalizes its page fields (newest first
// by default). Engines call it before querying.
func (f *ConversationFilter) Validate() error {
	if err := f.PageFilter.Normalize(OrderDesc); err != nil {
		return err
	}
	return f.validateSelection()
}

// validateSelection checks the fields that select conversations, the ones
// CountConversations honours.
func (f *ConversationFilter) validateSelection() error {
	if f.Offset < 0 || f.Offset > MaxConversationOffset {
		return Invalidf("offset", "offset must be between 0 and %d", MaxConversationOffset)
	}
	if f.Offset > 0 && !f.After.IsZero() {
		return Invalidf("offset", "offset cannot be combined with a cursor")
	}
	if f.Seq < 0 {
		return Invalidf("seq", "seq must not be negative")
	}
	if f.SeqMax != 0 && (f.Seq == 0 || f.SeqMax < f.Seq) {
		return Invalidf("seq", "a seq range needs 0 < seq <= seq max")
	}
	if f.MinMessages != nil && *f.MinMessages < 0 || f.MaxMessages != nil && *f.MaxMessages < 0 {
		return Invalidf("message_count", "message count bounds must not be negative")
	}
	if err := validText("agent_id", f.AgentID, MaxExternalLen); err != nil {
		return err
	}
	if err := validText("user_id", f.UserID, MaxExternalLen); err != nil {
		return err
	}
	return f.Metadata.Validate("metadata")
}

// ValidateCount checks a filter given to CountConversations, which ignores
// its page fields and offset.
func (f *ConversationFilter) ValidateCount() error {
	g := *f
	g.Offset, g.After = 0, ID{}
	return g.validateSelection()
}

// DeleteParams says who acts and through what: who deletes, and who
// performs an administrative action (creates or revokes a key, creates a
// tenant, replaces an attachment). It goes into the receipt and audit
// entry, never any content.
type DeleteParams struct {
	ActorKeyID ID     // the API key that asked (zero for operators)
	RequestID  string // the server-generated request id, for correlating logs
	Door       string // which door asked: "native", "symbl", …; "cli" or "bootstrap" for operators
	// ClientRequestID is the request id the client sent, if any: kept
	// apart from RequestID because a client can send any value (an
	// earlier receipt's id, say), which must never pass for the server's.
	ClientRequestID string
	// Policy names the retention policy erasing (RetentionPolicy.Name);
	// empty for a delete someone asked for.
	Policy string
	// ErasureID is the erasure job a delete is part of (zero: none); it
	// is recorded in the receipt.
	ErasureID ID
}

// Validate checks that the actor's fields are single-line text, as every
// stored text is (PostgreSQL text cannot even hold NUL). Doors fill them
// from bounded, checked values; this keeps any other caller from storing
// control characters in receipts and audit entries.
func (p DeleteParams) Validate() error {
	if err := validText("door", p.Door, MaxExternalLen); err != nil {
		return err
	}
	if err := validText("request_id", p.RequestID, MaxExternalLen); err != nil {
		return err
	}
	if err := validText("policy", p.Policy, MaxExternalLen+len("agent:")); err != nil {
		return err
	}
	return validText("client_request_id", p.ClientRequestID, MaxExternalLen)
}

// ConversationService manages conversations. Every method is scoped to the
// tenant; another tenant's conversation is ENOTFOUND.
type ConversationService interface {
	// FindConversationByID returns a conversation. ENOTFOUND if missing.
	FindConversationByID(ctx context.Context, tenantID, id ID) (*Conversation, error)

	// FindConversationBySeq returns a conversation by sequence number.
	// ENOTFOUND if missing.
	FindConversationBySeq(ctx context.Context, tenantID ID, seq int64) (*Conversation, error)

	// FindConversationByExternalID returns the conversation created with
	// that ExternalID. ENOTFOUND if missing (and for "").
	FindConversationByExternalID(ctx context.Context, tenantID ID, externalID string) (*Conversation, error)

	// CountConversations counts the conversations the filter selects,
	// ignoring its page fields and offset. EINVALID for a bad filter.
	CountConversations(ctx context.Context, tenantID ID, f ConversationFilter) (int, error)

	// FindConversations returns a page of conversations ordered by ID and
	// whether more follow. EINVALID for a bad filter.
	FindConversations(ctx context.Context, tenantID ID, f ConversationFilter) ([]*Conversation, bool, error)

	// CreateConversation creates a conversation with its initial messages in
	// one transaction. EINVALID for bad input; a MessageCapError
	// (ECONFLICT) if there are more initial messages than the engine's cap.
	CreateConversation(ctx context.Context, tenantID ID, c *ConversationCreate) (*Conversation, []*Message, error)

	// UpdateConversation changes the set fields and UpdatedAt.
	// EINVALID for bad input, ENOTFOUND if missing.
	UpdateConversation(ctx context.Context, tenantID, id ID, u *ConversationUpdate) (*Conversation, error)

	// DeleteConversation permanently deletes the conversation with its
	// messages, artifacts and attachments, in time that does not grow with
	// them: one transaction destroys its data key, makes it and everything
	// in it missing to every read and write, and writes a Deletion receipt
	// and an AuditEntry; a background purge then removes the records and
	// the bytes and sets the receipt's PurgedAt. ENOTFOUND if missing or
	// already deleted.
	DeleteConversation(ctx context.Context, tenantID, id ID, p DeleteParams) (*Deletion, error)
}
