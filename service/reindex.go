package service

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Rotating the index root. The blind indexes of looked-up fields are keyed
// hashes under a per-tenant key derived from the keyring's index root.
// RotateIndexRoot adds a new current root; Reindex then recomputes every
// conversation's indexes under it from the sealed values (opened with the
// conversation's data key), one conversation per short transaction, and
// destroys the older roots once no conversation is indexed under them.
// Meanwhile lookups match under every live root (indexroot.go).

// ReindexProgress is how far a re-index got.
type ReindexProgress struct {
	Root          uint32   // the root indexes are recomputed under
	Below         int64    // conversations under an older root when it started
	Conversations int      // conversations checked
	Reindexed     int      // of which were recomputed
	EndUsers      int      // end-user records recomputed
	Destroyed     []uint32 // older roots destroyed at the end
	// StaleUserHolds counts the legal holds on a user id left under a
	// destroyed root: no conversation of their user was re-indexed, so
	// nothing carried them, and they no longer match; place them again.
	StaleUserHolds int
	Done           bool
}

// ReindexOptions tune a re-index.
type ReindexOptions struct {
	// Batch is how many conversations one transaction re-indexes; 0
	// means DefaultReindexBatch.
	Batch int
	// Each, if set, receives the progress after every conversation
	// checked (re-indexed ones once their transaction committed).
	Each func(ReindexProgress)
}

// DefaultReindexBatch is how many conversations one re-index transaction
// rewrites: a commit each would bound the rate by the commits; a few
// dozen keep the transaction short (milliseconds) between other writes.
const DefaultReindexBatch = 32

// reindexPasses bounds the walks of one re-index: a node that had not yet
// loaded the new root may index a conversation under the old one behind
// the walk, which the next walk takes up.
const reindexPasses = 3

// RotateIndexRoot starts a new index root in the keyring and returns its
// id. Until Reindex has run, lookups compute each index under every live
// root.
func (s *Service) RotateIndexRoot(ctx context.Context) (uint32, error) {
	if s.z.ring == nil {
		return 0, convstore.Errorf(convstore.EUNSUPPORTED, "the store has no keyring")
	}
	return s.z.ring.RotateIndexRoot(ctx)
}

// Reindex recomputes under the current index root the blind indexes of
// every conversation indexed under an older one, then destroys the older
// roots. each (optional) receives the progress after every conversation
// checked. It resumes where a previous run stopped: conversations already
// under the current root are skipped after one read.
func (s *Service) Reindex(ctx context.Context, o ReindexOptions) (ReindexProgress, error) {
	var p ReindexProgress
	batch := positive(o.Batch, DefaultReindexBatch)
	report := func() {
		if o.Each != nil {
			o.Each(p)
		}
	}
	if s.z.ring == nil {
		return p, convstore.Errorf(convstore.EUNSUPPORTED, "the store has no keyring")
	}
	p.Root = s.z.currentRoot()
	below, err := s.drv.Reads().ConversationIndexRootBelow(ctx, p.Root)
	if err != nil {
		return p, err
	}
	p.Below = below
	for pass := 0; below > 0; pass++ {
		if pass == reindexPasses {
			return p, fmt.Errorf("service: %d conversations are still indexed under an older root after %d passes; run again", below, pass)
		}
		var todo []convRef
		flush := func() error {
			n, err := s.reindexBatch(ctx, todo, p.Root)
			if err != nil {
				return err
			}
			for range n {
				p.Conversations++
				p.Reindexed++
				report()
			}
			p.Conversations += len(todo) - n // deleted meanwhile, or done by another node
			todo = todo[:0]
			return nil
		}
		err := s.eachConversation(ctx, func(tenantID, id convstore.ID) error {
			r, err := s.drv.Reads().ConversationIndexRoot(ctx, tenantID, id)
			switch {
			case convstore.ErrorCode(err) == convstore.ENOTFOUND: // deleted meanwhile
			case err != nil:
				return err
			case r < p.Root:
				if todo = append(todo, convRef{tenantID, id}); len(todo) == batch {
					return flush()
				}
				return nil
			}
			p.Conversations++
			report()
			return nil
		})
		if err == nil && len(todo) > 0 {
			err = flush()
		}
		if err != nil {
			return p, err
		}
		if below, err = s.drv.Reads().ConversationIndexRootBelow(ctx, p.Root); err != nil {
			return p, err
		}
	}
	// End-user records, which live apart from conversations, before any
	// older root goes.
	n, err := s.reindexEndUsers(ctx, p.Root, batch)
	p.EndUsers = n
	if err != nil {
		return p, err
	}
	for _, r := range s.z.liveRoots() {
		if r >= p.Root {
			continue
		}
		if err := s.z.ring.DestroyIndexRoot(ctx, r); err != nil {
			return p, err
		}
		s.z.dropRoot(r)
		p.Destroyed = append(p.Destroyed, r)
	}
	if len(p.Destroyed) > 0 {
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) (err error) {
			p.StaleUserHolds, err = tx.HoldUserIndexDropAlt(ctx, p.Root)
			return err
		})
		if err != nil {
			return p, err
		}
	}
	p.Done = true
	report()
	return p, nil
}

// convRef names a conversation.
type convRef struct{ tenantID, id convstore.ID }

// reindexBatch recomputes under root the indexes of the conversations of
// todo, in one transaction, and returns how many it rewrote: those
// deleted meanwhile, or already under root, are skipped.
func (s *Service) reindexBatch(ctx context.Context, todo []convRef, root uint32) (int, error) {
	n := 0
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		n = 0
		for _, c := range todo {
			did, err := s.reindexConversation(ctx, tx, c.tenantID, c.id, root)
			if convstore.ErrorCode(err) == convstore.ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			if did {
				n++
			}
		}
		return nil
	})
	return n, err
}

// reindexConversation recomputes one conversation's indexes under root in
// tx, unless they are under it already, and reports whether it did.
func (s *Service) reindexConversation(ctx context.Context, tx driver.Tx, tenantID, id convstore.ID, root uint32) (bool, error) {
	k, err := s.z.indexKeyAt(tenantID, root)
	if err != nil {
		return false, err
	}
	if err := tx.ConversationLock(ctx, tenantID, id, driver.LockUpdate, "conversation"); err != nil {
		return false, err
	}
	if r, err := tx.ConversationIndexRoot(ctx, tenantID, id); err != nil || r >= root {
		return false, err
	}
	row, err := tx.ConversationGetByID(ctx, tenantID, id)
	if err != nil {
		return false, err
	}
	c, err := s.z.openConversation(ctx, tx, row)
	if err != nil {
		return false, err
	}
	p := &driver.ConversationReindexParams{TenantID: tenantID, ID: id, Root: root,
		UserIndex: indexWith(k, "user_id", c.UserID), ExternalIndex: indexWith(k, "external_id", c.ExternalID),
		MetaIndex: metaIndexWith(k, c.Metadata)}
	var after convstore.ID
	for {
		list, err := tx.AttachmentList(ctx, &driver.AttachmentListParams{TenantID: tenantID, ConversationID: id,
			Page: driver.Page{After: after, Limit: upgradePage}})
		if err != nil {
			return false, err
		}
		opened, err := s.z.openAttachments(ctx, tx, tenantID, list)
		if err != nil {
			return false, err
		}
		for _, a := range opened {
			p.Attachments = append(p.Attachments, driver.AttachmentIndex{ID: a.ID, NameIndex: indexWith(k, "attachment_name", a.Name)})
			after = a.ID
		}
		if len(list) < upgradePage {
			break
		}
	}
	for after = (convstore.ID{}); ; {
		list, err := tx.MessageList(ctx, &driver.MessageListParams{TenantID: tenantID, ConversationID: id,
			Page: driver.Page{After: after, Limit: upgradePage}})
		if err != nil {
			return false, err
		}
		opened, err := s.z.openMessages(ctx, tx, tenantID, list)
		if err != nil {
			return false, err
		}
		for _, m := range opened {
			if x := indexWith(k, messageExternalField, convstore.MessageExternalID(m.Metadata)); x != nil {
				p.Messages = append(p.Messages, driver.MessageIndex{ID: m.ID, ExternalIndex: x})
			}
			after = m.ID
		}
		if len(list) < upgradePage {
			break
		}
	}
	// Legal holds on this user follow the index to the new root; the
	// old index stays beside it for the user's other conversations.
	if len(row.UserIndex) > 0 && !bytes.Equal(row.UserIndex, p.UserIndex) {
		if _, err := tx.HoldUserIndexCarry(ctx, tenantID, row.UserIndex, p.UserIndex, root); err != nil {
			return false, err
		}
	}
	return true, tx.ConversationReindex(ctx, p)
}

// RunReindex finishes, in the background of a running store, a re-index
// that a rotation of the index root started and that did not complete
// (the process stopped), logging its progress every logEvery. Nothing
// when there is one live root and no conversation under an older one.
func (s *Service) RunReindex(ctx context.Context, logEvery time.Duration) {
	if s.z.ring == nil {
		return
	}
	root := s.z.currentRoot()
	if len(s.z.liveRoots()) == 1 {
		below, err := s.drv.Reads().ConversationIndexRootBelow(ctx, root)
		if err != nil {
			s.logger.Error("checking for an unfinished re-index failed", "error", err)
			return
		}
		if below == 0 {
			return
		}
	}
	s.logger.Info("re-indexing blind indexes under the current index root", "index_root", root)
	last := time.Now()
	p, err := s.Reindex(ctx, ReindexOptions{Each: func(p ReindexProgress) {
		if time.Since(last) >= logEvery {
			last = time.Now()
			s.logger.Info("re-indexing blind indexes", "index_root", p.Root, "conversations_checked", p.Conversations,
				"conversations_reindexed", p.Reindexed, "conversations_below", p.Below)
		}
	}})
	switch {
	case err != nil && ctx.Err() != nil:
		s.logger.Info("re-index stopped; it resumes at the next start", "conversations_reindexed", p.Reindexed)
	case err != nil:
		s.logger.Error("re-index failed; it resumes at the next start", "conversations_reindexed", p.Reindexed, "error", err)
	default:
		s.logger.Info("re-index done: older index roots destroyed", "index_root", p.Root, "conversations_reindexed", p.Reindexed,
			"destroyed_roots", p.Destroyed)
		if p.StaleUserHolds > 0 {
			s.logger.Warn("legal holds on user ids no longer match after the re-index: place them again",
				"stale_user_holds", p.StaleUserHolds)
		}
	}
}

// IndexRoots returns the live index roots, oldest first; the last is
// current. More than one means a re-index has not finished.
func (s *Service) IndexRoots() []uint32 { return s.z.liveRoots() }
