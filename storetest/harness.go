// Package storetest is the conformance suite every convstore storage engine
// must pass unchanged: CRUD, pagination, tenant isolation, cascading delete,
// receipts and concurrency.
package storetest

import (
	"context"
	"testing"

	"github.com/convstore/convstore"
)

// Harness is what an engine hands the suite for one test: a fresh, empty
// store and ways to look underneath it.
type Harness struct {
	// Store is a freshly opened, empty store (own database or schema).
	Store convstore.Store

	// Blobs is the blob store the engine writes attachment bytes to.
	Blobs convstore.BlobStore

	// RowCounts returns the number of rows in every table of the engine's
	// schema that holds tenant data (all tenants), keyed by table name. The
	// cascade tests compare it before and after deletes.
	RowCounts func(ctx context.Context) (map[string]int, error)

	// ConversationRows returns, per table, the number of rows that refer to
	// the given conversation (by conversation id or through it). After a
	// delete every count must be zero.
	ConversationRows func(ctx context.Context, conversationID convstore.ID) (map[string]int, error)

	// WaitBlobRemovals, if set, returns once the blob removals the engine
	// does in the background after a commit (a delete answers before its
	// bytes are gone) have been done. The suite calls it before it looks
	// at Blobs.
	WaitBlobRemovals func(ctx context.Context) error
}

// NewHarnessFunc opens a fresh store for one test; it registers its own
// clean-up with t.Cleanup.
type NewHarnessFunc func(t testing.TB) *Harness
