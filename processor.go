package convstore

import (
	"context"
	"time"
)

// PrefixProcessor is the native prefix of processor ids.
const PrefixProcessor = "proc"

// Limits of processors and confirmations.
const (
	MaxProcessorNameLen      = 64
	DefaultProcessorDeadline = 72 * time.Hour
	MaxProcessorDeadline     = 90 * 24 * time.Hour
	MaxConfirmationNoteLen   = 256
)

// Audit actions of processors: the entry's TargetID is the processor;
// a confirmation's entry targets the receipt.
const (
	AuditProcessorCreate = "processor.create"
	AuditProcessorUpdate = "processor.update"
	AuditProcessorDelete = "processor.delete"
	AuditDeletionConfirm = "deletion.confirm"
)

// Processor is a downstream system (a vector index, an analytics copy, a
// cache) that holds copies of a tenant's conversations and must confirm
// each erasure. A processor applies to the deletions made after it was
// registered: each of them gets a pending confirmation due Deadline after
// the delete.
type Processor struct {
	ID        ID
	TenantID  ID
	Name      string // a slug, unique in the tenant: [a-z0-9-], 1 to MaxProcessorNameLen
	Deadline  time.Duration
	CreatedAt time.Time
}

// ProcessorCreate is the input of ProcessorService.CreateProcessor.
type ProcessorCreate struct {
	Name     string
	Deadline time.Duration // 0 for DefaultProcessorDeadline
}

// Validate checks the name and deadline and applies the default.
func (c *ProcessorCreate) Validate() error {
	if err := ValidateProcessorName("name", c.Name); err != nil {
		return err
	}
	if c.Deadline == 0 {
		c.Deadline = DefaultProcessorDeadline
	}
	return validDeadline(c.Deadline)
}

// ProcessorUpdate changes a processor; nil fields stay. A new deadline
// applies to the deletions made from then on; pending confirmations keep
// the due time they were given.
type ProcessorUpdate struct {
	Deadline *time.Duration
}

// Validate checks the deadline.
func (u *ProcessorUpdate) Validate() error {
	if u.Deadline == nil {
		return nil
	}
	return validDeadline(*u.Deadline)
}

func validDeadline(d time.Duration) error {
	if d < time.Second || d > MaxProcessorDeadline {
		return Invalidf("deadline", "deadline must be between 1s and %s (90 days)", MaxProcessorDeadline)
	}
	return nil
}

// ValidateProcessorName checks a processor name: 1 to MaxProcessorNameLen
// characters of a-z, 0-9 and '-'.
func ValidateProcessorName(field, name string) error {
	if name == "" || len(name) > MaxProcessorNameLen {
		return Invalidf(field, "%s must be 1 to %d characters of a-z, 0-9 and '-'", field, MaxProcessorNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return Invalidf(field, "%s must be 1 to %d characters of a-z, 0-9 and '-' (%q at byte %d)", field, MaxProcessorNameLen, c, i)
		}
	}
	return nil
}

// Confirmation states, as a receipt shows them.
const (
	// ConfirmationPending: not confirmed yet, and not due yet.
	ConfirmationPending = "pending"
	// ConfirmationConfirmed: the processor confirmed its purge
	// (ConfirmedAt), on time or late.
	ConfirmationConfirmed = "confirmed"
	// ConfirmationOverdue: not confirmed, and its due time has passed.
	ConfirmationOverdue = "overdue"
	// ConfirmationWithdrawn: the processor was deleted (or the
	// conversation restored) before it confirmed; it is no longer
	// required, and the receipt keeps the row for the record.
	ConfirmationWithdrawn = "withdrawn"
)

// Confirmation is one processor's confirmation of one deletion.
type Confirmation struct {
	Processor string
	// State is the state when the receipt was read (StateAt).
	State       string
	DueAt       time.Time
	ConfirmedAt *time.Time
	Note        string
	// OverdueAt is when the sweeper found it past due and emitted its
	// confirmation.overdue event; nil until then.
	OverdueAt *time.Time
	// WithdrawnAt is when it stopped being required; nil while it is.
	WithdrawnAt *time.Time
}

// StateAt is the confirmation's state at now: confirmed and withdrawn
// as recorded, else overdue from its due time on (whether or not the
// sweeper has emitted its event yet), else pending.
func (c *Confirmation) StateAt(now time.Time) string {
	switch {
	case c.ConfirmedAt != nil:
		return ConfirmationConfirmed
	case c.WithdrawnAt != nil:
		return ConfirmationWithdrawn
	case !now.Before(c.DueAt):
		return ConfirmationOverdue
	}
	return ConfirmationPending
}

// Complete reports whether every confirmation the receipt requires is
// recorded: true when none is required.
func (d *Deletion) Complete() bool {
	for _, c := range d.Confirmations {
		if c.ConfirmedAt == nil && c.WithdrawnAt == nil {
			return false
		}
	}
	return true
}

// Receipt states of DeletionFilter.State.
const (
	// DeletionPending selects receipts waiting on some processor: at
	// least one required confirmation is not recorded (overdue ones
	// included).
	DeletionPending = "pending"
	// DeletionOverdue selects receipts with at least one required
	// confirmation past its due time.
	DeletionOverdue = "overdue"
	// DeletionComplete selects receipts with every required confirmation
	// recorded (those that required none included).
	DeletionComplete = "complete"
)

// ConfirmationCreate is the input of ProcessorService.ConfirmDeletion.
type ConfirmationCreate struct {
	Processor string
	Note      string
}

// Validate checks the processor's name and the note.
func (c *ConfirmationCreate) Validate() error {
	if err := ValidateProcessorName("processor", c.Processor); err != nil {
		return err
	}
	return validText("note", c.Note, MaxConfirmationNoteLen)
}

// ResolveFor applies the rule of who may confirm for whom: a key scoped
// to a processor confirms for that processor only (Processor may be left
// empty; naming another is EFORBIDDEN); any other key (an admin's, as the
// route requires) must name the processor it confirms for.
func (c *ConfirmationCreate) ResolveFor(k *APIKey) error {
	if k != nil && k.Processor != "" {
		if c.Processor != "" && c.Processor != k.Processor {
			return Errorf(EFORBIDDEN, "this key confirms for processor %q only", k.Processor)
		}
		c.Processor = k.Processor
		return nil
	}
	if c.Processor == "" {
		return Invalidf("processor", "processor is required: name the processor this confirmation is for")
	}
	return nil
}

// ConfirmationCounts is how many receipts are complete, pending (waiting
// on some processor, overdue ones included) and overdue.
type ConfirmationCounts struct {
	Complete, Pending, Overdue int
}

// ProcessorService manages a tenant's downstream processors and their
// confirmations of deletions.
type ProcessorService interface {
	// CreateProcessor registers a processor; it applies to deletions made
	// from then on. EINVALID for bad input, ECONFLICT if the tenant has
	// one of that name, ENOTFOUND for a missing tenant.
	CreateProcessor(ctx context.Context, tenantID ID, c *ProcessorCreate, p DeleteParams) (*Processor, error)

	// FindProcessors returns the tenant's processors, by name.
	FindProcessors(ctx context.Context, tenantID ID) ([]*Processor, error)

	// FindProcessor returns the tenant's processor of that name.
	// ENOTFOUND if missing.
	FindProcessor(ctx context.Context, tenantID ID, name string) (*Processor, error)

	// UpdateProcessor changes a processor. ENOTFOUND if missing.
	UpdateProcessor(ctx context.Context, tenantID ID, name string, u *ProcessorUpdate, p DeleteParams) (*Processor, error)

	// DeleteProcessor removes a processor: its unconfirmed confirmations
	// become withdrawn (no longer required; a receipt that waited only on
	// it becomes complete, with its deletion.completed event), its
	// recorded ones stay. Keys scoped to it can confirm nothing more.
	// Returns how many confirmations it withdrew. ENOTFOUND if missing.
	DeleteProcessor(ctx context.Context, tenantID ID, name string, p DeleteParams) (int, error)

	// ConfirmDeletion records c.Processor's confirmation of the receipt
	// and returns the receipt, and whether this call recorded it (false:
	// it was recorded before, and the receipt shows that first time).
	// ENOTFOUND for a missing or another tenant's receipt; EINVALID if
	// the receipt does not require that processor (or no longer does).
	ConfirmDeletion(ctx context.Context, tenantID, deletionID ID, c *ConfirmationCreate, p DeleteParams) (*Deletion, bool, error)
}
