package convstore

import (
	"context"
	"time"
)

// Deletion is the receipt of a permanent conversation delete. It records who
// deleted what and how much, and never any content.
type Deletion struct {
	ID       ID
	TenantID ID
	// Kind is what was deleted: "" a conversation, DeletionEndUser an
	// end-user record (whose id is then ConversationID; it has no
	// messages, nothing to purge, and its PurgedAt is its CreatedAt).
	Kind            string
	ConversationID  ID
	ConversationSeq int64
	ActorKeyID      ID // zero for operators
	Door            string
	RequestID       string // server-generated
	ClientRequestID string // what the client sent as its request id, if anything
	Messages        int
	Artifacts       int
	Attachments     int
	AttachmentBytes int64
	CreatedAt       time.Time
	// KeyEpoch is the keyring epoch that wrapped the conversation's data
	// key when it was deleted; 0 if the conversation was never sealed.
	KeyEpoch uint32
	// ShreddedAt is when KeyEpoch, the last epoch that ever wrapped the
	// data key, was destroyed: from then on the conversation is
	// unrecoverable from any copy of the database (WAL, replica, backup).
	// Nil until then, and for a conversation never sealed.
	ShreddedAt *time.Time
	// PurgedAt is when the background purger removed the last of the
	// conversation's rows (its attachments' bytes are queued for removal
	// by then). The conversation is invisible from CreatedAt on and its
	// data key destroyed then; nil while the purge is under way.
	PurgedAt *time.Time
	// Policy names the retention policy that erased the conversation
	// ("default", "agent:" and its id); empty for a delete someone asked for.
	Policy string
	// ErasureID is the erasure job that deleted the conversation; zero
	// for a delete asked directly.
	ErasureID ID
	// RestorableUntil is, for a delete under a restore window, when the
	// window ends: until then the conversation can be restored and its
	// data key is kept; then the key is destroyed (KeyEpoch set) and the
	// purge starts. Nil for a delete that was final at once.
	RestorableUntil *time.Time
	// RestoredAt is when the conversation was restored; nil if it was not.
	RestoredAt *time.Time
	// Confirmations are the downstream processors' confirmations of the
	// delete, by processor name: one per processor registered when the
	// delete was made (see Processor). Complete reports whether all are in.
	Confirmations []Confirmation
}

// DeletionEndUser is the Kind of an end-user record's receipt.
const DeletionEndUser = "end_user"

// DeletionFilter selects receipts. Default order: desc (newest first).
type DeletionFilter struct {
	ConversationID ID     // zero for all
	ErasureID      ID     // zero for all; else only the receipts of that erasure job
	Door           string // "" for all; else only deletes through that door ("retention", "native", …)
	Policy         string // "" for all; else only what that retention policy erased ("default", "agent:…")
	// State is "" for all; else DeletionPending, DeletionOverdue or
	// DeletionComplete (see those).
	State string
	PageFilter
}

// Validate checks the text filters.
func (f *DeletionFilter) Validate() error {
	if err := validText("door", f.Door, MaxExternalLen); err != nil {
		return err
	}
	switch f.State {
	case "", DeletionPending, DeletionOverdue, DeletionComplete:
	default:
		return Invalidf("state", "state must be pending, overdue or complete")
	}
	return validText("policy", f.Policy, MaxExternalLen+len("agent:"))
}

// Audit actions: every destructive or administrative action.
const (
	AuditConversationDelete = "conversation.delete"
	AuditMessageDelete      = "message.delete"
	AuditArtifactDelete     = "artifact.delete"
	AuditAttachmentDelete   = "attachment.delete"
	AuditAttachmentReplace  = "attachment.replace" // a put over an existing name: the old bytes are removed
	AuditKeyCreate          = "key.create"
	AuditKeyRevoke          = "key.revoke"
	AuditTenantCreate       = "tenant.create"
	AuditHoldCreate         = "hold.create"      // target the hold; the conversation for a conversation hold
	AuditHoldRelease        = "hold.release"     // likewise
	AuditRetentionUpdate    = "retention.update" // the tenant's retention policies were replaced
)

// AuditEntry records one destructive or administrative action: who, when,
// which ids. It never holds content. Entries of actions on keys and tenants
// have no ConversationID.
type AuditEntry struct {
	ID              ID
	TenantID        ID
	Action          string
	ActorKeyID      ID
	Door            string
	RequestID       string // server-generated
	ClientRequestID string // what the client sent as its request id, if anything
	ConversationID  ID     // zero for key and tenant actions
	TargetID        ID     // the message, artifact, attachment, deletion receipt, key or tenant
	CreatedAt       time.Time
	Policy          string // the retention policy that erased the target, if one did
}

// MaxAuditActionLen bounds an audit action filter.
const MaxAuditActionLen = 64

// AuditFilter selects audit entries. Empty fields do not filter. Default
// order: desc.
type AuditFilter struct {
	// Action keeps one action ("hold.create"), or a family when it ends
	// in a dot ("erasure." keeps every erasure action).
	Action         string
	ActorKeyID     ID         // the key that acted
	ConversationID ID         // the conversation acted on
	TargetID       ID         // the item acted on (see AuditEntry.TargetID)
	Door           string     // the door it was done through ("native", "console", "retention", …)
	CreatedAfter   *time.Time // exclusive
	CreatedBefore  *time.Time // exclusive
	PageFilter
}

// Validate checks the text filters.
func (f *AuditFilter) Validate() error {
	if err := validText("action", f.Action, MaxAuditActionLen); err != nil {
		return err
	}
	return validText("door", f.Door, MaxExternalLen)
}

// DeletionService reads receipts and the audit log.
type DeletionService interface {
	// FindDeletionByID returns a receipt. ENOTFOUND if missing.
	FindDeletionByID(ctx context.Context, tenantID, id ID) (*Deletion, error)

	// FindDeletions returns a page of receipts and whether more follow.
	FindDeletions(ctx context.Context, tenantID ID, f DeletionFilter) ([]*Deletion, bool, error)

	// FindAuditEntries returns a page of audit entries and whether more follow.
	FindAuditEntries(ctx context.Context, tenantID ID, f AuditFilter) ([]*AuditEntry, bool, error)
}
