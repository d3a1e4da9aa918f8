package driver

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// ErasureReader reads erasure jobs and the totals they count.
type ErasureReader interface {
	// ErasureGet returns a job. ENOTFOUND "erasure".
	ErasureGet(ctx context.Context, tenantID, id convstore.ID) (*ErasureRow, error)
	// ErasureList returns a page of the tenant's jobs.
	ErasureList(ctx context.Context, p *ErasureListParams) ([]*ErasureRow, error)
	// ConversationTotals counts the conversations among ids (distinct, at
	// most convstore.MaxBatchRanges) that exist, with their messages (by
	// their message counts), artifacts, attachments and attachment bytes,
	// in a number of queries that does not grow with ids.
	ConversationTotals(ctx context.Context, tenantID convstore.ID, ids []convstore.ID) (convstore.ErasureCounts, error)
	// DeletionTotals sums the receipts of an erasure job: one
	// conversation per receipt, and what each removed.
	DeletionTotals(ctx context.Context, tenantID, erasureID convstore.ID) (convstore.ErasureCounts, error)
	// ErasureKeyEpochs counts the wrapped selector keys of jobs that may
	// still run (every tenant's), per epoch: an epoch that wraps one must
	// not be destroyed, as with ConversationKeyEpochs.
	ErasureKeyEpochs(ctx context.Context) ([]EpochKeys, error)
}

// ErasureTx writes erasure jobs.
type ErasureTx interface {
	// ErasureInsert stores a job as given.
	ErasureInsert(ctx context.Context, e *ErasureRow) error
	// ErasureClaim claims the oldest job of any tenant (a system job, like
	// the blob removal queue) that is queued or running and whose lease
	// is free (none, or ended at or before p.Now): it becomes running,
	// leased to p.Owner until p.Until. A driver with several nodes skips
	// jobs another transaction holds (FOR UPDATE SKIP LOCKED), so two
	// nodes never claim one job. ENOTFOUND "erasure" if there is none.
	ErasureClaim(ctx context.Context, p *ErasureClaimParams) (*ErasureRow, error)
	// ErasureUpdate records a leased job's progress, as p says, if its
	// lease is still p.Owner's, and returns the row (whose
	// CancelRequested tells the runner to stop). ENOTFOUND "erasure" if
	// the job is missing or its lease was lost.
	ErasureUpdate(ctx context.Context, p *ErasureUpdateParams) (*ErasureRow, error)
	// ErasureCancel sets a job's cancel request; a queued job becomes
	// canceled at once, finished at now, with its sealed selector and
	// key cleared. A final job is left as it is. It returns the row.
	// ENOTFOUND "erasure".
	ErasureCancel(ctx context.Context, tenantID, id convstore.ID, now time.Time) (*ErasureRow, error)
	// ErasureKeyClaim claims up to p.Limit wrapped selector keys of any
	// tenant's jobs, of epochs p.From <= epoch < p.Before, for a re-wrap
	// in the same transaction, as ConversationKeyClaim does the
	// conversations' keys (several nodes: FOR UPDATE SKIP LOCKED).
	ErasureKeyClaim(ctx context.Context, p *ConversationKeyClaimParams) ([]*ErasureKey, error)
	// ErasureKeyRewrap stores each key's new Epoch and Wrapped, unless
	// its job ended meanwhile (its key cleared), and returns how many it
	// stored.
	ErasureKeyRewrap(ctx context.Context, keys []*ErasureKey) (int, error)
}

// ErasureKey is the wrapped data key of a job's sealed selector.
type ErasureKey struct {
	TenantID, ErasureID convstore.ID
	Epoch               uint32
	Wrapped             []byte
}

// ErasureRow is an erasure job as stored. Its selector is kept sealed,
// under a data key of its own wrapped by the keyring, only while the job
// may still run: a final job's selector and key are cleared, so that the
// identity it erased does not outlive the erasure.
type ErasureRow struct {
	convstore.Erasure
	// SealedSelector is the selector as sealed JSON (plain JSON in a
	// store without a keyring); nil once the job is final.
	SealedSelector []byte
	// KeyEpoch and WrappedKey are the selector's data key and the epoch
	// that wrapped it; 0 and nil without a keyring or once final.
	KeyEpoch   uint32
	WrappedKey []byte
	// Cursor is the last conversation the job dealt with (erased, held or
	// found gone): it resumes after it, in id order.
	Cursor     convstore.ID
	LeaseOwner string
	LeaseUntil *time.Time
}

// ErasureListParams select a page of a tenant's jobs.
type ErasureListParams struct {
	TenantID convstore.ID
	Page     Page
}

// ErasureClaimParams claim a job.
type ErasureClaimParams struct {
	Now, Until time.Time
	Owner      string
}

// ErasureUpdateParams are a leased job's progress.
type ErasureUpdateParams struct {
	TenantID, ID convstore.ID
	Owner        string
	State        convstore.ErasureState
	Cursor       convstore.ID
	Done         convstore.ErasureCounts
	Held         int
	Error        string
	LeaseUntil   time.Time
	UpdatedAt    time.Time
	// FinishedAt, for a final state: the sealed selector and its key are
	// cleared and the lease released.
	FinishedAt *time.Time
}
