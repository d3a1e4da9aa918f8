package convstore

import "context"

// MaxRestoreWindowDays bounds a tenant's restore window.
const MaxRestoreWindowDays = 365

// AuditConversationRestore is the audit action of a restore: target the
// deletion receipt it marked restored.
const AuditConversationRestore = "conversation.restore"

// ValidateRestoreWindow checks a restore window in days (0: off).
func ValidateRestoreWindow(days int) error {
	if days < 0 || days > MaxRestoreWindowDays {
		return Invalidf("restore_window_days", "restore_window_days must be between 0 and %d", MaxRestoreWindowDays)
	}
	return nil
}

// RestoreService keeps deleted conversations restorable for a while. With
// a tenant's window at 0 (the default) a delete is final at once: its data
// key is destroyed in the delete's transaction. With a window of N days a
// delete (except an erasure job's, which is an explicit erasure) hides the
// conversation from every read at once but keeps its data key until the
// receipt's RestorableUntil; then the purger destroys the key and purges.
type RestoreService interface {
	// FindRestoreWindow returns the tenant's restore window in days (0: off).
	FindRestoreWindow(ctx context.Context, tenantID ID) (int, error)

	// SetRestoreWindow sets the tenant's restore window (0..
	// MaxRestoreWindowDays) and writes a retention.update audit entry. It
	// applies to deletes from then on. EINVALID for a bad value.
	SetRestoreWindow(ctx context.Context, tenantID ID, days int, p DeleteParams) error

	// RestoreConversation brings back a conversation deleted within its
	// restore window: it is visible again with everything it held, its
	// purge is cancelled, its tombstone removed, its receipt's RestoredAt
	// set, and a conversation.restore audit entry written. ENOTFOUND if
	// the conversation is unknown, not deleted, or past its window.
	RestoreConversation(ctx context.Context, tenantID, id ID, p DeleteParams) (*Conversation, error)
}
