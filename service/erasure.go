package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/seal"
)

// erasureBatch is how many conversations an erasure job counts per query,
// and deals with between two commits of its progress.
const erasureBatch = 20

// CreateErasure counts what the selector matches and records the job: a
// dry run is recorded already succeeded, with its totals; any other job
// is queued for the runner (RunSweeper runs it on some node). The job's
// id is its snapshot: without IncludeNew it erases only conversations
// whose ids sort before it (created before it, up to the clocks of the
// nodes that created them). Its selector is stored sealed under a data
// key of its own, and cleared when the job ends.
func (s *Service) CreateErasure(ctx context.Context, tenantID convstore.ID, c *convstore.ErasureCreate, p convstore.DeleteParams) (*convstore.Erasure, error) {
	if c == nil {
		return nil, convstore.Invalidf("body", "erasure is missing")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if _, err := s.drv.Reads().TenantGet(ctx, tenantID); err != nil {
		return nil, err
	}
	sel := c.Selector
	sel.ExternalIDs = slices.Clone(sel.ExternalIDs)
	sel.Metadata = copyMeta(sel.Metadata)
	if sel.CreatedBefore != nil {
		t := sel.CreatedBefore.UTC()
		sel.CreatedBefore = &t
	}
	now := s.now()
	row := &driver.ErasureRow{Erasure: convstore.Erasure{
		ID: s.newID(), TenantID: tenantID, State: convstore.ErasureQueued, DryRun: c.DryRun, IncludeNew: c.IncludeNew,
		Selector: convstore.SummaryOf(&sel), SnapshotAt: now, ActorKeyID: p.ActorKeyID, Door: p.Door,
		RequestID: p.RequestID, ClientRequestID: p.ClientRequestID, CreatedAt: now, UpdatedAt: now,
	}}
	// Totals at the snapshot: the conversations that sort before the job.
	cands := s.erasureCandidates(tenantID, &sel, row.ID)
	var after convstore.ID
	for {
		ids, more, err := cands.next(ctx, after, convstore.MaxPageLimit)
		if err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			t, err := s.drv.Reads().ConversationTotals(ctx, tenantID, ids)
			if err != nil {
				return nil, err
			}
			row.Total.Add(t)
			after = ids[len(ids)-1]
		}
		if !more {
			break
		}
	}
	if c.DryRun {
		row.State = convstore.ErasureSucceeded
		row.FinishedAt = &now
	} else {
		var err error
		if row.SealedSelector, row.KeyEpoch, row.WrappedKey, err = s.sealSelector(tenantID, row.ID, &sel); err != nil {
			return nil, err
		}
	}
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		if err := tx.ErasureInsert(ctx, row); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, tenantID, convstore.AuditErasureCreate, convstore.ID{}, row.ID, p)
	})
	if err != nil {
		return nil, err
	}
	if !c.DryRun {
		s.erasures.signal()
	}
	e := row.Erasure
	return &e, nil
}

// FindErasureByID returns a job. ENOTFOUND if missing.
func (s *Service) FindErasureByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Erasure, error) {
	r := s.drv.Reads()
	row, err := r.ErasureGet(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	counts, err := r.ConfirmationCounts(ctx, tenantID, id, s.now())
	if err != nil {
		return nil, err
	}
	row.Erasure.Confirmations = &counts
	return &row.Erasure, nil
}

// FindErasures returns a page of jobs, newest first by default.
func (s *Service) FindErasures(ctx context.Context, tenantID convstore.ID, f convstore.ErasureFilter) ([]*convstore.Erasure, bool, error) {
	if err := f.Normalize(convstore.OrderDesc); err != nil {
		return nil, false, err
	}
	rows, err := s.drv.Reads().ErasureList(ctx, &driver.ErasureListParams{TenantID: tenantID, Page: pageOf(f.PageFilter, 0)})
	if err != nil {
		return nil, false, err
	}
	rows, more := trim(rows, f.Limit)
	out := make([]*convstore.Erasure, len(rows))
	for i, r := range rows {
		out[i] = &r.Erasure
	}
	return out, more, nil
}

// CancelErasure asks a job to stop before its next conversation; a
// queued job is canceled at once. Canceling a final job changes nothing
// and writes no audit entry.
func (s *Service) CancelErasure(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Erasure, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var row *driver.ErasureRow
	err := s.writeEvents(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		before, err := tx.ErasureGet(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if row = before; before.State.Final() {
			return nil
		}
		now := s.now()
		if row, err = tx.ErasureCancel(ctx, tenantID, id, now); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditErasureCancel, convstore.ID{}, id, p); err != nil {
			return err
		}
		if !row.State.Final() {
			return nil // running: its runner ends it, and writes the event
		}
		return s.emit(ctx, tx, now, erasureCompleted(row, row.State, row.Done, row.Held, now))
	})
	if err != nil {
		return nil, err
	}
	return &row.Erasure, nil
}

// selectorJSON is the stored form of a selector, sealed.
type selectorJSON struct {
	UserID        string             `json:"user_id,omitempty"`
	AgentID       string             `json:"agent_id,omitempty"`
	ExternalIDs   []string           `json:"external_ids,omitempty"`
	CreatedBefore *time.Time         `json:"created_before,omitempty"`
	Metadata      convstore.Metadata `json:"metadata,omitempty"`
}

// selectorAAD binds a job's sealed selector (column "selector") and its
// wrapped data key (column "key") to the tenant and the job.
func selectorAAD(tenantID, id convstore.ID, column string) []byte {
	return seal.Context{Tenant: tenantID.UUID(), Table: "erasures", Column: column, Row: id.UUID()}.AAD()
}

// sealSelector seals sel under a new data key wrapped by the keyring's
// current epoch; without a keyring it is stored as plain JSON, as every
// content field of such a store is.
func (s *Service) sealSelector(tenantID, id convstore.ID, sel *convstore.ErasureSelector) ([]byte, uint32, []byte, error) {
	plain, err := json.Marshal(selectorJSON{UserID: sel.UserID, AgentID: sel.AgentID, ExternalIDs: sel.ExternalIDs,
		CreatedBefore: sel.CreatedBefore, Metadata: sel.Metadata})
	if err != nil {
		return nil, 0, nil, err
	}
	if s.z.ring == nil {
		return plain, 0, nil, nil
	}
	dek := seal.NewDEK()
	epoch := s.z.ring.Current().ID
	wrapped, err := s.z.ring.Wrap(epoch, dek, selectorAAD(tenantID, id, "key"))
	if err != nil {
		return nil, 0, nil, fmt.Errorf("service: wrapping an erasure's data key: %w", err)
	}
	return seal.SealWith(s.z.alg, dek, plain, selectorAAD(tenantID, id, "selector")), epoch, wrapped, nil
}

// openSelector opens a job's selector. EINTEGRITY if it does not open
// (its epoch was destroyed while the job waited).
func (s *Service) openSelector(ctx context.Context, row *driver.ErasureRow) (*convstore.ErasureSelector, error) {
	plain := row.SealedSelector
	if len(plain) == 0 {
		return nil, convstore.Errorf(convstore.EINTEGRITY, "the erasure's selector is gone")
	}
	if len(row.WrappedKey) > 0 {
		if s.z.ring == nil {
			return nil, errIntegrity()
		}
		dek, err := s.z.ring.Unwrap(ctx, row.WrappedKey, selectorAAD(row.TenantID, row.ID, "key"))
		if err != nil {
			s.logger.Error("an erasure's data key failed to unwrap", "tenant", row.TenantID.UUID(),
				"erasure", row.ID.UUID(), "epoch", row.KeyEpoch, "error", err)
			return nil, errIntegrity()
		}
		if plain, err = seal.Open(dek, plain, selectorAAD(row.TenantID, row.ID, "selector")); err != nil {
			return nil, errIntegrity()
		}
	}
	var j selectorJSON
	if err := json.Unmarshal(plain, &j); err != nil {
		return nil, errIntegrity()
	}
	return &convstore.ErasureSelector{UserID: j.UserID, AgentID: j.AgentID, ExternalIDs: j.ExternalIDs,
		CreatedBefore: j.CreatedBefore, Metadata: j.Metadata}, nil
}

// erasureCandidates walks the conversations a selector matches, in id
// order, up to (not including) bound unless it is zero: through the
// conversation filter's blind indexes, or by resolving each external id
// through its own. Nothing is opened.
type erasureCandidates struct {
	s        *Service
	tenantID convstore.ID
	sel      *convstore.ErasureSelector
	bound    convstore.ID
	byExt    []convstore.ID // the external ids' conversations, sorted; resolved once
	resolved bool
}

func (s *Service) erasureCandidates(tenantID convstore.ID, sel *convstore.ErasureSelector, bound convstore.ID) *erasureCandidates {
	return &erasureCandidates{s: s, tenantID: tenantID, sel: sel, bound: bound}
}

// next returns up to limit matching conversations after after, and
// whether more may follow.
func (c *erasureCandidates) next(ctx context.Context, after convstore.ID, limit int) ([]convstore.ID, bool, error) {
	if len(c.sel.ExternalIDs) > 0 {
		if err := c.resolve(ctx); err != nil {
			return nil, false, err
		}
		i, _ := slices.BinarySearchFunc(c.byExt, after, func(a, b convstore.ID) int { return compareIDs(a, b) })
		if i < len(c.byExt) && c.byExt[i] == after {
			i++
		}
		rest := c.byExt[i:]
		if len(rest) > limit {
			return slices.Clone(rest[:limit]), true, nil
		}
		return slices.Clone(rest), false, nil
	}
	f := c.sel.Filter()
	p, err := c.s.listParams(c.tenantID, &f)
	if err != nil {
		return nil, false, err
	}
	p.Page = driver.Page{After: after, Limit: limit}
	rows, err := c.s.drv.Reads().ConversationList(ctx, p)
	if err != nil {
		return nil, false, err
	}
	ids := make([]convstore.ID, 0, len(rows))
	for _, r := range rows {
		if !c.bound.IsZero() && !r.ID.Less(c.bound) {
			return ids, false, nil // newer than the snapshot, and so are the rest
		}
		ids = append(ids, r.ID)
	}
	return ids, len(rows) == limit, nil
}

// resolve finds the conversation of each external id (under every live
// index root) that also matches the selector's other criteria.
func (c *erasureCandidates) resolve(ctx context.Context) error {
	if c.resolved {
		return nil
	}
	r := c.s.drv.Reads()
	others := c.sel.Filter()
	hasOthers := others.UserID != "" || others.AgentID != "" || others.CreatedBefore != nil || len(others.Metadata) > 0
	seen := map[convstore.ID]bool{}
	for _, ext := range c.sel.ExternalIDs {
		idxs, err := c.s.z.indexes(c.tenantID, "external_id", ext)
		if err != nil {
			return err
		}
		for _, idx := range idxs {
			row, err := r.ConversationGetByExternalID(ctx, c.tenantID, idx, ext)
			if convstore.ErrorCode(err) == convstore.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if seen[row.ID] || (!c.bound.IsZero() && !row.ID.Less(c.bound)) {
				break
			}
			if hasOthers {
				// The other criteria, through the same blind indexes as
				// a list: the filter narrowed to this conversation.
				f := others
				f.Seq = row.Seq
				p, err := c.s.listParams(c.tenantID, &f)
				if err != nil {
					return err
				}
				if n, err := r.ConversationCount(ctx, p); err != nil {
					return err
				} else if n == 0 {
					break
				}
			}
			seen[row.ID] = true
			c.byExt = append(c.byExt, row.ID)
			break
		}
	}
	slices.SortFunc(c.byExt, compareIDs)
	c.resolved = true
	return nil
}

func compareIDs(a, b convstore.ID) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}
