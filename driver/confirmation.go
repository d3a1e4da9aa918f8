package driver

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/convstore/convstore"
)

// ErrProcessorTaken is ProcessorInsert's conflict.
func ErrProcessorTaken() error {
	return convstore.Errorf(convstore.ECONFLICT, "a processor with this name already exists")
}

// ConfirmationReader reads processors and confirmations.
type ConfirmationReader interface {
	// ProcessorList returns the tenant's processors, by name.
	ProcessorList(ctx context.Context, tenantID convstore.ID) ([]*convstore.Processor, error)
	// ProcessorGet returns the tenant's processor of that name.
	// ENOTFOUND "processor".
	ProcessorGet(ctx context.Context, tenantID convstore.ID, name string) (*convstore.Processor, error)
	// ConfirmationList returns the confirmations of each of deletionIDs
	// (the tenant's), each receipt's by processor name. Receipts without
	// any are absent from the map.
	ConfirmationList(ctx context.Context, tenantID convstore.ID, deletionIDs []convstore.ID) (map[convstore.ID][]convstore.Confirmation, error)
	// ConfirmationCounts counts the receipts of the tenant's erasure job:
	// complete (no open confirmation), pending (some open) and overdue
	// (some open and due at or before now). An open confirmation is one
	// neither confirmed nor withdrawn.
	ConfirmationCounts(ctx context.Context, tenantID, erasureID convstore.ID, now time.Time) (convstore.ConfirmationCounts, error)
	// ConfirmationStats counts the open confirmations of every tenant (a
	// system job, for the metric) by processor name: how many, and how
	// many of them are due at or before now.
	ConfirmationStats(ctx context.Context, now time.Time) ([]ProcessorBacklog, error)
}

// ConfirmationTx writes processors and confirmations.
type ConfirmationTx interface {
	// ProcessorInsert stores a processor. ECONFLICT ErrProcessorTaken.
	ProcessorInsert(ctx context.Context, p *convstore.Processor) error
	// ProcessorUpdate sets the deadline of the tenant's processor of that
	// name and returns it. ENOTFOUND "processor".
	ProcessorUpdate(ctx context.Context, tenantID convstore.ID, name string, deadline time.Duration) (*convstore.Processor, error)
	// ProcessorDelete deletes the tenant's processor of that name and
	// returns it. ENOTFOUND "processor".
	ProcessorDelete(ctx context.Context, tenantID convstore.ID, name string) (*convstore.Processor, error)

	// ConfirmationInsertAll stores, for the receipt d (just inserted), one
	// open confirmation per processor the tenant has, due d.CreatedAt plus
	// the processor's deadline, in one statement, and returns them by
	// processor name.
	ConfirmationInsertAll(ctx context.Context, d *convstore.Deletion) ([]convstore.Confirmation, error)
	// ConfirmationLock locks the receipt's confirmations until the
	// transaction ends, so that confirmations of one receipt take turns
	// (and the one that completes it sees the others).
	ConfirmationLock(ctx context.Context, tenantID, deletionID convstore.ID) error
	// ConfirmationConfirm records the open confirmation of the receipt by
	// processor, at at with note, and reports whether there was one to
	// record.
	ConfirmationConfirm(ctx context.Context, tenantID, deletionID convstore.ID, processor string, at time.Time, note string) (bool, error)
	// ConfirmationWithdraw withdraws, at at, the open confirmations of the
	// tenant's processor processorID (all receipts) if it is set, else of
	// the receipt deletionID (all processors), and returns the receipts
	// it changed.
	ConfirmationWithdraw(ctx context.Context, tenantID, processorID, deletionID convstore.ID, at time.Time) ([]convstore.ID, error)
	// ConfirmationMarkOverdue sets overdue_at = now on up to limit open
	// confirmations of any tenant (a system job) due at or before now and
	// not marked yet, oldest due first, and returns them: a driver with
	// several nodes skips rows another transaction holds, so no two mark
	// one.
	ConfirmationMarkOverdue(ctx context.Context, now time.Time, limit int) ([]OverdueConfirmation, error)
}

// ProcessorBacklog is one processor name's open confirmations (all
// tenants): Pending counts them all, Overdue those past due.
type ProcessorBacklog struct {
	Processor        string
	Pending, Overdue int64
}

// OverdueConfirmation is a confirmation ConfirmationMarkOverdue marked.
type OverdueConfirmation struct {
	TenantID, DeletionID, ConversationID convstore.ID
	Processor                            string
	DueAt                                time.Time
}

// SortConfirmations orders a receipt's confirmations by processor name,
// as ConfirmationList returns them.
func SortConfirmations(cs []convstore.Confirmation) {
	slices.SortStableFunc(cs, func(a, b convstore.Confirmation) int { return strings.Compare(a.Processor, b.Processor) })
}
