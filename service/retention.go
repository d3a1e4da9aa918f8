package service

import (
	"context"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// retentionBatch is how many expired rows one step of a retention walk
// reads; each is then erased in a transaction of its own, so foreground
// writes interleave.
const retentionBatch = 200

// retentionDoor is the door of what the retention runner erases.
const retentionDoor = "retention"

// FindRetention returns the tenant's policies, the default first.
func (s *Service) FindRetention(ctx context.Context, tenantID convstore.ID) ([]*convstore.RetentionPolicy, error) {
	return s.drv.Reads().RetentionPolicyList(ctx, tenantID)
}

// ReplaceRetention replaces the tenant's policies and audits the change.
func (s *Service) ReplaceRetention(ctx context.Context, tenantID convstore.ID, policies []*convstore.RetentionPolicy, p convstore.DeleteParams) ([]*convstore.RetentionPolicy, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := convstore.ValidateRetention(policies); err != nil {
		return nil, err
	}
	var out []*convstore.RetentionPolicy
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		if err := tx.TenantLock(ctx, tenantID); err != nil {
			return err
		}
		stored := make([]*convstore.RetentionPolicy, len(policies))
		for i, pol := range policies {
			c := *pol
			c.UpdatedAt = now
			stored[i] = &c
		}
		if err := tx.RetentionPolicyReplace(ctx, tenantID, stored); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditRetentionUpdate, convstore.ID{}, tenantID, p); err != nil {
			return err
		}
		var err error
		out, err = tx.RetentionPolicyList(ctx, tenantID)
		return err
	})
	return out, err
}

// PreviewRetention counts what a retention run of the tenant would erase
// now, walking exactly what the run walks without erasing.
func (s *Service) PreviewRetention(ctx context.Context, tenantID convstore.ID) (*convstore.RetentionPreview, error) {
	now := s.now()
	policies, err := s.drv.Reads().RetentionPolicyList(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	counts, err := s.retain(ctx, tenantID, now, true, policies)
	if err != nil {
		return nil, err
	}
	return &convstore.RetentionPreview{At: now, RetentionCounts: counts}, nil
}

// PreviewRetentionDraft counts what a retention run would erase now under
// policies instead of the tenant's own, saving nothing: the same walk as
// PreviewRetention, so a draft's counts are what saving it would bring
// about at the next run.
func (s *Service) PreviewRetentionDraft(ctx context.Context, tenantID convstore.ID, policies []*convstore.RetentionPolicy) (*convstore.RetentionPreview, error) {
	if err := convstore.ValidateRetention(policies); err != nil {
		return nil, err
	}
	if _, err := s.drv.Reads().TenantGet(ctx, tenantID); err != nil {
		return nil, err
	}
	now := s.now()
	counts, err := s.retain(ctx, tenantID, now, true, policies)
	if err != nil {
		return nil, err
	}
	return &convstore.RetentionPreview{At: now, RetentionCounts: counts}, nil
}

// ApplyRetention runs the tenant's policies once, now: what the runner
// does for each tenant at each interval (whether or not another node
// holds the tenant's lease).
func (s *Service) ApplyRetention(ctx context.Context, tenantID convstore.ID) (convstore.RetentionCounts, error) {
	policies, err := s.drv.Reads().RetentionPolicyList(ctx, tenantID)
	if err != nil {
		return convstore.RetentionCounts{}, err
	}
	c, err := s.retain(ctx, tenantID, s.now(), false, policies)
	if err != nil || c == (convstore.RetentionCounts{}) {
		return c, err
	}
	return c, s.retentionApplied(ctx, tenantID, c)
}

// RunRetention applies every tenant's policies every interval until ctx
// ends. Nodes take turns per tenant: a tenant is run by the node that
// claims its lease (one interval long), so each tenant runs about once
// per interval whatever the number of nodes, and a node that dies
// mid-run leaves the rest to the next interval. Failures are logged and
// tried again at the next interval.
func (s *Service) RunRetention(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.retentionRound(ctx, interval); err != nil && ctx.Err() == nil {
			s.logger.Error("retention run failed", "error", err)
		}
	}
}

// retentionRound runs every tenant with policies whose lease it claims.
func (s *Service) retentionRound(ctx context.Context, interval time.Duration) error {
	tenants, err := s.drv.Reads().RetentionTenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		var claimed bool
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			now := s.now()
			var err error
			claimed, err = tx.RetentionClaim(ctx, t, now, now.Add(interval*9/10))
			return err
		})
		if err != nil {
			return err
		}
		if !claimed {
			continue
		}
		counts, err := s.ApplyRetention(ctx, t)
		if err != nil {
			s.logger.Error("retention run of a tenant failed", "tenant", t.Format(convstore.PrefixTenant), "error", err)
			continue
		}
		if counts != (convstore.RetentionCounts{}) {
			s.logger.Info("retention erased", "tenant", t.Format(convstore.PrefixTenant),
				"conversations", counts.Conversations, "attachments", counts.Attachments,
				"artifacts", counts.Artifacts, "held", counts.Held)
		}
	}
	return nil
}

// retentionWalk is one rule's walk: the rows of one kind its policy
// expires as of now.
type retentionWalk struct {
	policy string
	params driver.ExpiredParams
}

// walks returns the walks of one kind of rule: one per agent policy
// that sets it, and the default's over every other agent.
func retentionWalks(tenantID convstore.ID, policies []*convstore.RetentionPolicy, now time.Time,
	kind func(*convstore.RetentionPolicy) *convstore.RetentionRule) []retentionWalk {
	var walks []retentionWalk
	var overridden []string
	var def *convstore.RetentionPolicy
	for _, p := range policies {
		if p.AgentID == "" {
			def = p
			continue
		}
		r := kind(p)
		if r == nil {
			continue
		}
		overridden = append(overridden, p.AgentID)
		walks = append(walks, retentionWalk{policy: p.Name(), params: driver.ExpiredParams{
			TenantID: tenantID, OnlyAgent: true, AgentID: p.AgentID, Before: ageCutoff(now, r.Days),
			LastActivity: r.Since == convstore.SinceLastActivity}})
	}
	if def != nil && kind(def) != nil {
		r := kind(def)
		walks = append(walks, retentionWalk{policy: def.Name(), params: driver.ExpiredParams{
			TenantID: tenantID, ExceptAgents: overridden, Before: ageCutoff(now, r.Days),
			LastActivity: r.Since == convstore.SinceLastActivity}})
	}
	return walks
}

// ageCutoff is the time before which a row is older than days at now.
func ageCutoff(now time.Time, days int) time.Time {
	return now.Add(-time.Duration(days) * 24 * time.Hour)
}

// retentionKind is one kind of data a rule erases: how its expired rows
// are read and one is erased, and what each adds to the counts.
type retentionKind struct {
	whole bool // conversations: their attachments and artifacts go with them
	rule  func(*convstore.RetentionPolicy) *convstore.RetentionRule
	read  func(context.Context, *driver.ExpiredParams) ([]*driver.ExpiredRow, error)
	// erase erases one row, returning it as counted (what the delete
	// found, which may differ from what the walk read).
	erase func(ctx context.Context, tenantID convstore.ID, r *driver.ExpiredRow, p convstore.DeleteParams) (*driver.ExpiredRow, error)
	count func(c *convstore.RetentionCounts, r *driver.ExpiredRow)
}

// retentionKinds are the kinds in the order a run erases them.
func (s *Service) retentionKinds() []retentionKind {
	reads := s.drv.Reads()
	return []retentionKind{{
		whole: true,
		rule:  func(p *convstore.RetentionPolicy) *convstore.RetentionRule { return p.Conversations },
		read:  reads.ConversationExpired,
		erase: func(ctx context.Context, tenantID convstore.ID, r *driver.ExpiredRow, p convstore.DeleteParams) (*driver.ExpiredRow, error) {
			d, err := s.DeleteConversation(ctx, tenantID, r.ID, p)
			if err != nil {
				return nil, err
			}
			return &driver.ExpiredRow{Messages: d.Messages}, nil
		},
		count: func(c *convstore.RetentionCounts, r *driver.ExpiredRow) { c.Conversations++; c.Messages += r.Messages },
	}, {
		rule: func(p *convstore.RetentionPolicy) *convstore.RetentionRule { return p.Attachments },
		read: reads.AttachmentExpired,
		erase: func(ctx context.Context, tenantID convstore.ID, r *driver.ExpiredRow, p convstore.DeleteParams) (*driver.ExpiredRow, error) {
			size, err := s.deleteAttachmentByID(ctx, tenantID, r.ConversationID, r.ID, p)
			return &driver.ExpiredRow{Size: size}, err
		},
		count: func(c *convstore.RetentionCounts, r *driver.ExpiredRow) { c.Attachments++; c.AttachmentBytes += r.Size },
	}, {
		rule: func(p *convstore.RetentionPolicy) *convstore.RetentionRule { return p.Artifacts },
		read: reads.ArtifactExpired,
		erase: func(ctx context.Context, tenantID convstore.ID, r *driver.ExpiredRow, p convstore.DeleteParams) (*driver.ExpiredRow, error) {
			return r, s.DeleteArtifact(ctx, tenantID, r.ConversationID, r.ID, p)
		},
		count: func(c *convstore.RetentionCounts, _ *driver.ExpiredRow) { c.Artifacts++ },
	}}
}

// retain walks the tenant's expired rows, conversations first, then
// attachments and artifacts of the conversations that stay, erasing
// each (unless dry) with a receipt or audit entry naming its policy.
// Rows already gone when reached (another node, a user) are skipped;
// held ones are counted and kept.
func (s *Service) retain(ctx context.Context, tenantID convstore.ID, now time.Time, dry bool, policies []*convstore.RetentionPolicy) (convstore.RetentionCounts, error) {
	var c convstore.RetentionCounts
	if len(policies) == 0 {
		return c, nil
	}
	erased := map[convstore.ID]bool{} // dry: conversations counted as erased
	for _, k := range s.retentionKinds() {
		for _, w := range retentionWalks(tenantID, policies, now, k.rule) {
			err := s.walkExpired(ctx, &w.params, k.read, func(r *driver.ExpiredRow) error {
				if !k.whole && erased[r.ConversationID] {
					return nil
				}
				if dry {
					if k.whole {
						erased[r.ID] = true
					}
					k.count(&c, r)
					return nil
				}
				done, err := k.erase(ctx, tenantID, r, convstore.DeleteParams{Door: retentionDoor, Policy: w.policy})
				switch {
				case err == nil:
					k.count(&c, done)
				case isHeld(err):
					c.Held++
				case convstore.ErrorCode(err) != convstore.ENOTFOUND:
					return err
				}
				return nil
			})
			if err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

// walkExpired reads p's rows in batches, calling fn on each in order,
// until none is left or ctx ends. The cursor moves past each row, erased
// or kept, so held rows are not read again in this walk.
func (s *Service) walkExpired(ctx context.Context, p *driver.ExpiredParams,
	read func(context.Context, *driver.ExpiredParams) ([]*driver.ExpiredRow, error), fn func(*driver.ExpiredRow) error) error {
	p.Limit = retentionBatch
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := read(ctx, p)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(rows) < p.Limit {
			return nil
		}
		last := rows[len(rows)-1]
		p.After = driver.ExpiredCursor{At: last.At, ID: last.ID}
	}
}

// deleteAttachmentByID deletes one attachment by id, as DeleteAttachment
// does by name, returning its size.
func (s *Service) deleteAttachmentByID(ctx context.Context, tenantID, conversationID, id convstore.ID, p convstore.DeleteParams) (int64, error) {
	if err := p.Validate(); err != nil {
		return 0, err
	}
	var a *driver.AttachmentRow
	err := s.writeEvents(ctx, driver.OnConversation(tenantID, conversationID), func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		if err := tx.ConversationLock(ctx, tenantID, conversationID, driver.LockShare, "attachment"); err != nil {
			return err
		}
		var err error
		if a, err = tx.AttachmentDeleteByID(ctx, tenantID, conversationID, id); err != nil {
			return err
		}
		if err := tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: []string{a.BlobKey}, DueAt: now, Now: now}); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditAttachmentDelete, conversationID, a.ID, p); err != nil {
			return err
		}
		return s.emit(ctx, tx, now, itemDeleted(convstore.EventAttachmentDeleted, tenantID, conversationID,
			a.ID.Format(convstore.PrefixAttachment), a.Size, p, now))
	})
	if err != nil {
		return 0, err
	}
	s.removeLater([]string{a.BlobKey})
	return a.Size, nil
}

// isHeld reports whether err is a delete refused because a legal hold
// keeps the conversation.
func isHeld(err error) bool { return convstore.ErrorCode(err) == convstore.EHELD }
