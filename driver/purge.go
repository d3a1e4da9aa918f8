package driver

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// PurgeJob is the queued removal of a deleted conversation's rows: written
// in the delete's transaction, removed with the last row.
type PurgeJob struct {
	TenantID, ConversationID convstore.ID
	DeletionID               convstore.ID // the receipt PurgeJobFinish stamps
	CreatedAt                time.Time
	// DueAt is when a delete under a restore window ends its window: no
	// purger claims the job before, and the first to claim it after
	// calls PurgeJobExpire before purging. Zero: due at once, the
	// conversation's data key already destroyed.
	DueAt time.Time
	// LeaseOwner and LeaseUntil say which purger holds the job until
	// when; zero while nobody does.
	LeaseOwner convstore.ID
	LeaseUntil time.Time
}

// PurgeJobClaimParams claim purge jobs for one purger.
type PurgeJobClaimParams struct {
	Now   time.Time    // a lease that ends at or before Now is free; a job due after Now is not claimed
	Owner convstore.ID // the claiming purger, drawn once per purger
	Until time.Time    // the new lease's end
	Limit int
}

// PurgeBatchParams remove one batch of a deleted conversation's rows.
type PurgeBatchParams struct {
	TenantID, ConversationID convstore.ID
	Limit                    int // rows at most
	// After is the last message id the previous batch removed (its
	// Last), zero for the first: messages go in id order, and each batch
	// starts its index range past the last, never walking the entries the
	// engine has not reclaimed yet (PostgreSQL's dead index entries).
	After convstore.ID
}

// PurgeBatchResult is what one PurgeBatch removed.
type PurgeBatchResult struct {
	Rows     int          // child rows removed (attachments, artifacts, messages)
	BlobKeys []string     // of the attachment records removed
	Last     convstore.ID // the last message id removed; zero if none
	// Done says nothing of the conversation is left: its row went in this
	// batch (or had gone before).
	Done bool
}

// OneWriter is a Driver that runs one write transaction at a time
// (SQLite): background work that writes in batches sizes them for it, and
// marks them WriteParams.Background so that foreground writes go first. A
// driver with concurrent writers (PostgreSQL) lets them proceed side by
// side.
type OneWriter interface {
	OneWriter()
}

// Checkpointer is a Driver whose engine keeps a log that bulk removals
// grow and that it can trim between them (SQLite's WAL). The purger calls
// Checkpoint between batches when the driver implements it.
type Checkpointer interface {
	// Checkpoint copies what the log holds back into the database, so
	// the engine can reuse or cut the log once no reader needs it,
	// returning the log's size in bytes before the checkpoint. It never
	// waits for readers or writers, nor makes them wait.
	Checkpoint(ctx context.Context) (logBytes int64, err error)
}
