package convstore

import (
	"context"
	"strings"
	"time"
)

// MaxHoldReasonLen bounds a hold's reason.
const MaxHoldReasonLen = 1024

// MaxHeldBatch bounds how many conversation ids one FindHeldConversations
// call checks; callers with more check them in batches.
const MaxHeldBatch = 500

// Hold kinds: what a legal hold is placed on.
const (
	HoldOnConversation = "conversation"
	HoldOnUser         = "user"
	HoldOnAgent        = "agent"
)

// Hold is a legal hold: while it exists, the conversations it covers (one
// conversation, every conversation of an end user, or every conversation
// of an agent, present and future) cannot be deleted, nor anything in
// them. A hold on an end user never stores the user id: only its blind
// index, so a hold cannot show it back.
type Hold struct {
	ID             ID
	TenantID       ID
	Kind           string // HoldOnConversation, HoldOnUser or HoldOnAgent
	ConversationID ID     // for HoldOnConversation
	AgentID        string // for HoldOnAgent
	// Reason is the operator's reason (a matter or case reference), stored
	// as written and shown in the hold; it never goes into the audit log.
	Reason     string
	ActorKeyID ID // the key that placed it; zero for operators
	CreatedAt  time.Time
}

// HoldCreate is the input of HoldService.CreateHold: exactly one of
// ConversationID, UserID and AgentID, and a reason.
type HoldCreate struct {
	ConversationID ID
	UserID         string
	AgentID        string
	Reason         string
}

// Validate checks that exactly one target is set and that the reason is
// non-empty single-line text.
func (c *HoldCreate) Validate() error {
	n := 0
	if !c.ConversationID.IsZero() {
		n++
	}
	if c.UserID != "" {
		n++
	}
	if c.AgentID != "" {
		n++
	}
	if n != 1 {
		return Invalidf("conversation_id", "a hold needs exactly one of conversation_id, user_id and agent_id")
	}
	if err := validText("user_id", c.UserID, MaxExternalLen); err != nil {
		return err
	}
	if err := validText("agent_id", c.AgentID, MaxExternalLen); err != nil {
		return err
	}
	if strings.TrimSpace(c.Reason) == "" {
		return Invalidf("reason", "reason must not be empty: say why the data is held (a matter or case reference)")
	}
	return validText("reason", c.Reason, MaxHoldReasonLen)
}

// HoldFilter selects holds. Default order: desc (newest first).
type HoldFilter struct {
	PageFilter
}

// Held returns the EHELD error of a delete refused because hold holdID
// covers the conversation. The message names the hold, never its reason.
func Held(holdID ID) *Error {
	return &Error{Code: EHELD, Message: "the conversation is under legal hold " + holdID.Format(PrefixHold) +
		"; nothing in it can be deleted until the hold is released"}
}

// HoldService manages legal holds. Every method is scoped to the tenant;
// another tenant's hold is ENOTFOUND. Placing and releasing a hold each
// write an audit entry (AuditHoldCreate, AuditHoldRelease: actor p,
// target the hold, the conversation for a conversation hold) in the same
// transaction; the reason is kept in the hold, not in the entry.
type HoldService interface {
	// CreateHold places a hold. EINVALID for bad input; ENOTFOUND for a
	// missing (or another tenant's) conversation. A user or agent need
	// not have conversations yet: the hold covers future ones too.
	CreateHold(ctx context.Context, tenantID ID, c *HoldCreate, p DeleteParams) (*Hold, error)

	// FindHoldByID returns a hold. ENOTFOUND if missing or released.
	FindHoldByID(ctx context.Context, tenantID, id ID) (*Hold, error)

	// FindHolds returns a page of the tenant's holds and whether more
	// follow.
	FindHolds(ctx context.Context, tenantID ID, f HoldFilter) ([]*Hold, bool, error)

	// DeleteHold releases a hold: deletes that it alone refused go through
	// from then on. ENOTFOUND if missing or already released.
	DeleteHold(ctx context.Context, tenantID, id ID, p DeleteParams) error
}

// HeldFinder tells which of a batch of conversations are held, in one
// query: retention and erasure jobs skip those and report them as held.
// The service tier implements it; the HTTP client does not.
type HeldFinder interface {
	// FindHeldConversations returns, for each of ids (at most
	// MaxHeldBatch) that is a held conversation of the tenant, the id of
	// a hold covering it (a conversation hold first, then a user hold,
	// then an agent hold). Missing and other tenants' ids are absent.
	FindHeldConversations(ctx context.Context, tenantID ID, ids []ID) (map[ID]ID, error)
}
