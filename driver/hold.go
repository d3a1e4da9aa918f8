package driver

import (
	"context"
	"time"

	"github.com/convstore/convstore"
)

// HoldReader reads legal holds.
type HoldReader interface {
	// HoldGet returns a hold. ENOTFOUND "hold".
	HoldGet(ctx context.Context, tenantID, id convstore.ID) (*HoldRow, error)
	// HoldList returns a page of the tenant's holds.
	HoldList(ctx context.Context, tenantID convstore.ID, page Page) ([]*HoldRow, error)
	// HoldsOn returns, for each of ids (distinct, at most
	// convstore.MaxHeldBatch) that is a conversation of the tenant covered
	// by a hold, one hold covering it: its oldest conversation hold, else
	// its oldest hold whose UserIndex, else UserIndexAlt, is the
	// conversation's user_idx, else its oldest hold on its agent id. In one statement whose cost grows with ids, not
	// with the tenant's conversations. Missing and other tenants'
	// conversations are absent.
	HoldsOn(ctx context.Context, tenantID convstore.ID, ids []convstore.ID) (map[convstore.ID]convstore.ID, error)
}

// HoldTx writes legal holds.
type HoldTx interface {
	// HoldInsert stores a hold as given.
	HoldInsert(ctx context.Context, h *HoldRow) error
	// HoldDelete deletes a hold. ENOTFOUND "hold".
	HoldDelete(ctx context.Context, tenantID, id convstore.ID) error
	// HoldUserIndexCarry moves the tenant's user holds whose UserIndex is
	// from to the index to under root, keeping from as UserIndexAlt (the
	// re-index, for each conversation it moves from one index to the
	// other: the user's conversations not yet moved still match), and
	// returns how many it moved.
	HoldUserIndexCarry(ctx context.Context, tenantID convstore.ID, from, to []byte, root uint32) (int, error)
	// HoldUserIndexDropAlt clears every hold's UserIndexAlt, of every
	// tenant, once the older index root is destroyed (a system job), and
	// returns how many holds were indexed under a root older than root
	// (user holds the re-index could not carry: no conversation of their
	// user was under the old root; they must be placed again).
	HoldUserIndexDropAlt(ctx context.Context, root uint32) (int, error)
}

// HoldRow is a hold as stored: exactly one of ConversationID, UserIndex
// and AgentID is set. UserIndex is the blind index of the held user id
// under IndexRoot; the user id itself is never stored. UserIndexAlt, set
// only while an index root rotation runs, is its index under the other
// live root; a conversation matches either.
type HoldRow struct {
	ID             convstore.ID
	TenantID       convstore.ID
	ConversationID convstore.ID
	UserIndex      []byte
	UserIndexAlt   []byte
	IndexRoot      uint32
	AgentID        string
	Reason         string
	ActorKeyID     convstore.ID
	CreatedAt      time.Time
}
