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

	// SweepAccessTokens deletes the expired access tokens and returns how
	// many it deleted: the engine's sweeper work (RunSweeper calls it).
	SweepAccessTokens func(ctx context.Context) (int, error)

	// NewStore opens another fresh, empty store of the same engine with
	// the given options, for the tests of configurable limits. It
	// registers its own clean-up.
	NewStore func(tb testing.TB, opts StoreOptions) convstore.Store

	// ServerDoor, if set, says the store stands behind an API door of
	// that name (the Go client over the native API): for every call made
	// with a key (DeleteParams.ActorKeyID set), the server records its own
	// door and request id in receipts and audit entries, and only the
	// actor key and the client's request id are the caller's. The suite
	// then expects that door and a request id of the server's (set, and
	// neither the caller's RequestID nor its ClientRequestID). Calls
	// without a key (operators') are recorded as passed.
	ServerDoor string

	// Skip names the subtests the store cannot run ("Group/Name", or a
	// whole "Group"), each with the reason, which the skip reports. Keep
	// it short: every entry is behaviour left unproven for that store.
	Skip map[string]string
}

// StoreOptions are the engine options the suite sets through
// Harness.NewStore; zero fields mean the engine's defaults.
type StoreOptions struct {
	// MaxConversationMessages is the per-conversation message cap.
	MaxConversationMessages int
}

// NewHarnessFunc opens a fresh store for one test; it registers its own
// clean-up with t.Cleanup.
type NewHarnessFunc func(t testing.TB) *Harness
