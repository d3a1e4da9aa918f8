package driver

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// RetentionReader reads retention policies and walks the rows they
// expire.
type RetentionReader interface {
	// RetentionPolicyList returns the tenant's policies, the default
	// (agent "") first, then by agent id.
	RetentionPolicyList(ctx context.Context, tenantID convstore.ID) ([]*convstore.RetentionPolicy, error)
	// RetentionTenants returns every tenant with at least one policy, by
	// id (a system job: the runner visits each).
	RetentionTenants(ctx context.Context) ([]convstore.ID, error)

	// ConversationExpired returns up to p.Limit of the tenant's
	// conversations whose creation (or, with p.LastActivity, last change)
	// is before p.Before, of p's agents, ordered by that time and id,
	// after p.After. ID and ConversationID are the conversation's.
	ConversationExpired(ctx context.Context, p *ExpiredParams) ([]*ExpiredRow, error)
	// AttachmentExpired is ConversationExpired for attachments (by their
	// creation, in conversations of p's agents), with their sizes.
	AttachmentExpired(ctx context.Context, p *ExpiredParams) ([]*ExpiredRow, error)
	// ArtifactExpired is ConversationExpired for artifacts.
	ArtifactExpired(ctx context.Context, p *ExpiredParams) ([]*ExpiredRow, error)
}

// RetentionTx writes retention policies, the runner's lease, and the
// item deletes retention needs.
type RetentionTx interface {
	// RetentionPolicyReplace replaces every policy of the tenant with
	// policies (each as given, its UpdatedAt included).
	RetentionPolicyReplace(ctx context.Context, tenantID convstore.ID, policies []*convstore.RetentionPolicy) error
	// RetentionClaim leases the tenant's retention run until until, if no
	// lease holds at now, and reports whether it did: nodes take turns,
	// and a node that died holding a lease is replaced once it ends.
	RetentionClaim(ctx context.Context, tenantID convstore.ID, now, until time.Time) (bool, error)
	// AttachmentDeleteByID deletes an attachment record by id and returns
	// it with its blob key. ENOTFOUND "attachment".
	AttachmentDeleteByID(ctx context.Context, tenantID, conversationID, id convstore.ID) (*AttachmentRow, error)
}

// ExpiredParams select expired rows of one tenant. Agents: with OnlyAgent
// the conversations of AgentID; otherwise those of every agent but
// ExceptAgents (whose own policies rule them).
type ExpiredParams struct {
	TenantID     convstore.ID
	OnlyAgent    bool
	AgentID      string
	ExceptAgents []string
	Before       time.Time
	LastActivity bool // conversations: by their last change, not creation
	After        ExpiredCursor
	Limit        int
}

// ExpiredCursor is a position in a walk of expired rows: rows strictly
// after (At, ID). Zero: from the start.
type ExpiredCursor struct {
	At time.Time
	ID convstore.ID
}

// ExpiredRow is one expired row.
type ExpiredRow struct {
	ConversationID convstore.ID
	ID             convstore.ID // the row's own: the conversation's for conversations
	At             time.Time    // the time its age counts from
	Messages       int          // conversations: their message count
	Size           int64        // attachments: their byte size
}
