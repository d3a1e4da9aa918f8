package service

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/seal"
)

// metaSealUpgradeDone names the store meta row recording that every row
// stored before sealing has been sealed (its value: when).
const metaSealUpgradeDone = "seal_upgrade_done"

// upgradePage is how many rows of one kind one upgrade transaction reads
// and rewrites: small, so that a large conversation is sealed in many
// short transactions between other writes.
const upgradePage = 200

// SealUpgradeProgress is how far the sealing upgrade got.
type SealUpgradeProgress struct {
	Conversations int // conversations checked
	Sealed        int // of which had content stored before sealing, now sealed
	Done          bool
}

// upgradeHook holds the ObserveSealUpgrade function.
type upgradeHook struct {
	fn atomic.Pointer[func(SealUpgradeProgress)]
}

func (h *upgradeHook) report(p SealUpgradeProgress) {
	if fn := h.fn.Load(); fn != nil {
		(*fn)(p)
	}
}

// ObserveSealUpgrade makes fn receive the sealing upgrade's progress after
// every conversation it checks (for metrics). fn must be fast.
func (s *Service) ObserveSealUpgrade(fn func(SealUpgradeProgress)) {
	s.upgrade.fn.Store(&fn)
}

// RunSealUpgrade seals, in the background of a running store, every row
// stored before sealing (SealUpgrade), unless a previous run finished.
// Reads work on both forms meanwhile. It logs its progress every interval
// and stops when ctx ends; a store that stops midway starts over at its
// next start, skipping (after reading) what is already sealed.
func (s *Service) RunSealUpgrade(ctx context.Context, logEvery time.Duration) {
	if s.z.ring == nil {
		return
	}
	if _, err := s.drv.Reads().StoreMetaGet(ctx, metaSealUpgradeDone); err == nil {
		s.upgrade.report(SealUpgradeProgress{Done: true})
		return
	}
	s.logger.Info("sealing content stored before sealing")
	last := time.Now()
	p, err := s.sealUpgrade(ctx, func(p SealUpgradeProgress) {
		if time.Since(last) >= logEvery {
			last = time.Now()
			s.logger.Info("sealing content stored before sealing", "conversations_checked", p.Conversations, "conversations_sealed", p.Sealed)
		}
	})
	switch {
	case err != nil && ctx.Err() != nil:
		s.logger.Info("sealing upgrade stopped; it resumes at the next start", "conversations_checked", p.Conversations, "conversations_sealed", p.Sealed)
	case err != nil:
		s.logger.Error("sealing upgrade failed; it resumes at the next start", "conversations_checked", p.Conversations, "error", err)
	default:
		s.logger.Info("sealing upgrade done: every conversation is sealed", "conversations_checked", p.Conversations, "conversations_sealed", p.Sealed)
	}
}

// SealUpgrade seals every row stored before sealing, conversation by
// conversation, in short transactions, and records when it is done. It is
// idempotent: what is sealed already is read and left as it is.
func (s *Service) SealUpgrade(ctx context.Context) (SealUpgradeProgress, error) {
	return s.sealUpgrade(ctx, nil)
}

func (s *Service) sealUpgrade(ctx context.Context, each func(SealUpgradeProgress)) (SealUpgradeProgress, error) {
	var p SealUpgradeProgress
	if s.z.ring == nil {
		return p, convstore.Errorf(convstore.EUNSUPPORTED, "the store has no keyring to seal with")
	}
	err := s.eachConversation(ctx, func(tenantID, id convstore.ID) error {
		sealed, err := s.upgradeConversation(ctx, tenantID, id)
		if err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND { // deleted meanwhile: nothing to seal
			return err
		}
		p.Conversations++
		if sealed {
			p.Sealed++
		}
		s.upgrade.report(p)
		if each != nil {
			each(p)
		}
		return nil
	})
	if err != nil {
		return p, err
	}
	err = s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		_, err := tx.StoreMetaInsert(ctx, metaSealUpgradeDone, s.now().Format(time.RFC3339))
		return err
	})
	if err != nil {
		return p, err
	}
	p.Done = true
	s.upgrade.report(p)
	return p, nil
}

// plain reports whether a stored value holds content that is not sealed.
func plain(v []byte) bool { return len(v) > 0 && !seal.IsSealed(v) }

func plainStr(v string) bool { return v != "" && !seal.IsSealed([]byte(v[:1])) }

// upgradeConversation seals what of one conversation was stored before
// sealing, and reports whether there was any.
func (s *Service) upgradeConversation(ctx context.Context, tenantID, id convstore.ID) (bool, error) {
	changed := false
	// The conversation's own fields, and its data key.
	err := s.drv.Write(ctx, driver.OnConversation(tenantID, id), func(ctx context.Context, tx driver.Tx) error {
		changed = false
		if err := tx.ConversationLock(ctx, tenantID, id, driver.LockUpdate, "conversation"); err != nil {
			return err
		}
		row, err := tx.ConversationGetByID(ctx, tenantID, id)
		if err != nil {
			return err
		}
		if !plainStr(row.Title) && !plainStr(row.UserID) && !plainStr(row.ExternalID) && !plain(row.Meta) &&
			(row.UserID == "" || row.UserIndex != nil) && (row.ExternalID == "" || row.ExternalIndex != nil) {
			return nil
		}
		c, err := s.z.openConversation(ctx, tx, row)
		if err != nil {
			return err
		}
		dek, err := s.z.keyFor(ctx, tx, tenantID, id, s.now())
		if err != nil {
			return err
		}
		sealed, err := s.z.conversationRow(s.z.box(dek, tenantID, id), c)
		if err != nil {
			return err
		}
		_, err = tx.ConversationUpdate(ctx, &driver.ConversationUpdateParams{TenantID: tenantID, ID: id,
			Title: &sealed.Title, UserID: &sealed.UserID, UserIndex: sealed.UserIndex, Meta: &sealed.Meta,
			MetaIndex: sealed.MetaIndex, ExternalID: &sealed.ExternalID, ExternalIndex: sealed.ExternalIndex,
			UpdatedAt: row.UpdatedAt}) // GREATEST keeps updated_at
		changed = true
		return err
	})
	if err != nil {
		return false, err
	}
	for _, step := range []func(context.Context, convstore.ID, convstore.ID) (bool, error){
		s.upgradeMessages, s.upgradeArtifacts, s.upgradeAttachments, s.upgradeAuthors,
	} {
		c, err := step(ctx, tenantID, id)
		if err != nil {
			return changed, err
		}
		changed = changed || c
	}
	return changed, nil
}

// upgradeMessages seals the conversation's messages stored before sealing,
// a page per transaction.
func (s *Service) upgradeMessages(ctx context.Context, tenantID, id convstore.ID) (bool, error) {
	changed := false
	var after convstore.ID
	for {
		n, did := 0, false
		err := s.drv.Write(ctx, driver.OnConversation(tenantID, id), func(ctx context.Context, tx driver.Tx) error {
			did = false
			if err := tx.ConversationLock(ctx, tenantID, id, driver.LockShare, "conversation"); err != nil {
				return err
			}
			rows, err := tx.MessageList(ctx, &driver.MessageListParams{TenantID: tenantID, ConversationID: id,
				Page: driver.Page{After: after, Limit: upgradePage}})
			if err != nil {
				return err
			}
			n = len(rows)
			var todo []*driver.MessageRow
			for _, r := range rows {
				if plainStr(r.Content) || plainStr(r.AuthorName) || plain(r.Parts) || plain(r.Meta) {
					todo = append(todo, r)
				}
			}
			if len(todo) == 0 {
				if n > 0 {
					after = rows[n-1].ID
				}
				return nil
			}
			dek, err := s.z.keyFor(ctx, tx, tenantID, id, s.now())
			if err != nil {
				return err
			}
			msgs, err := s.z.openMessages(ctx, tx, tenantID, todo)
			if err != nil {
				return err
			}
			after, did = rows[n-1].ID, true
			return tx.MessageReseal(ctx, tenantID, id, messageRows(s.z.box(dek, tenantID, id), msgs))
		})
		if err != nil {
			return changed, err
		}
		changed = changed || did
		if n < upgradePage {
			return changed, nil
		}
	}
}

// upgradeAuthors seals the conversation's author rows stored before
// sealing, in one transaction (a conversation's authors are few): each is
// deleted and inserted again, sealed.
func (s *Service) upgradeAuthors(ctx context.Context, tenantID, id convstore.ID) (bool, error) {
	changed := false
	err := s.drv.Write(ctx, driver.OnConversation(tenantID, id), func(ctx context.Context, tx driver.Tx) error {
		changed = false
		if err := tx.ConversationLock(ctx, tenantID, id, driver.LockShare, "conversation"); err != nil {
			return err
		}
		stored, err := tx.AuthorList(ctx, tenantID, []convstore.ID{id})
		if err != nil {
			return err
		}
		var todo []*driver.AuthorRow
		for _, r := range stored[id] {
			if plainStr(r.Name) || plainStr(r.UserID) {
				todo = append(todo, r)
			}
		}
		if len(todo) == 0 {
			return nil
		}
		dek, err := s.z.keyFor(ctx, tx, tenantID, id, s.now())
		if err != nil {
			return err
		}
		o, b := s.z.opener(ctx, tx, tenantID, id), s.z.box(dek, tenantID, id)
		sealed := make([]*driver.AuthorRow, len(todo))
		for i, r := range todo {
			a, err := openAuthor(o, r)
			if err != nil {
				return err
			}
			if _, err := tx.AuthorDelete(ctx, tenantID, id, r.MessageID); err != nil {
				return err
			}
			sealed[i] = authorRow(b, a)
		}
		changed = true
		return tx.AuthorInsert(ctx, tenantID, id, sealed)
	})
	return changed, err
}

// upgradeArtifacts seals the conversation's artifacts stored before
// sealing, a page per transaction.
func (s *Service) upgradeArtifacts(ctx context.Context, tenantID, id convstore.ID) (bool, error) {
	changed := false
	var after convstore.ID
	for {
		n := 0
		err := s.drv.Write(ctx, driver.OnConversation(tenantID, id), func(ctx context.Context, tx driver.Tx) error {
			if err := tx.ConversationLock(ctx, tenantID, id, driver.LockShare, "conversation"); err != nil {
				return err
			}
			rows, err := tx.ArtifactList(ctx, &driver.ArtifactListParams{TenantID: tenantID, ConversationID: id,
				Page: driver.Page{After: after, Limit: upgradePage}})
			if err != nil {
				return err
			}
			n = len(rows)
			if n > 0 {
				after = rows[n-1].ID
			}
			for _, r := range rows {
				if !plainStr(r.Text) && !plain(r.Data) {
					continue
				}
				dek, err := s.z.keyFor(ctx, tx, tenantID, id, s.now())
				if err != nil {
					return err
				}
				opened, err := s.z.openArtifacts(ctx, tx, tenantID, []*convstore.Artifact{r})
				if err != nil {
					return err
				}
				if err := tx.ArtifactReseal(ctx, tenantID, artifactRow(s.z.box(dek, tenantID, id), opened[0])); err != nil {
					return err
				}
				changed = true
			}
			return nil
		})
		if err != nil || n < upgradePage {
			return changed, err
		}
	}
}

// upgradeAttachments seals the names and bytes of the conversation's
// attachments stored before sealing: the bytes are copied, sealed, under a
// new blob key (an upload, with its intent), the record is pointed at
// them unless the attachment changed meanwhile, and the plaintext bytes
// are queued for removal.
func (s *Service) upgradeAttachments(ctx context.Context, tenantID, id convstore.ID) (bool, error) {
	changed := false
	var after convstore.ID
	for {
		list, err := s.drv.Reads().AttachmentList(ctx, &driver.AttachmentListParams{TenantID: tenantID, ConversationID: id,
			Page: driver.Page{After: after, Limit: upgradePage}})
		if err != nil {
			return changed, err
		}
		for _, a := range list {
			after = a.ID
			if !plainStr(a.Name) {
				continue
			}
			if err := s.upgradeAttachment(ctx, tenantID, id, a.Name); err != nil {
				if convstore.ErrorCode(err) == convstore.ENOTFOUND {
					continue // deleted or replaced meanwhile
				}
				return changed, err
			}
			changed = true
		}
		if len(list) < upgradePage {
			return changed, nil
		}
	}
}

func (s *Service) upgradeAttachment(ctx context.Context, tenantID, convID convstore.ID, name string) error {
	row, err := s.drv.Reads().AttachmentGetByName(ctx, tenantID, convID, driver.NameLookup{Plain: name})
	if err != nil {
		return err
	}
	oldKey, newKey := row.BlobKey, row.BlobKey
	var dek *seal.DEK
	sealBytes := !isSealedBlobKey(oldKey)
	if sealBytes {
		newKey = newBlobKey(true)
	}
	err = s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		var err error
		if dek, err = s.z.keyFor(ctx, tx, tenantID, convID, now); err != nil || !sealBytes {
			return err
		}
		return tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{
			Keys: []string{newKey}, DueAt: now.Add(s.uploadTimeout), Now: now, Upload: true})
	})
	if err != nil {
		return err
	}
	b := s.z.box(dek, tenantID, convID)
	if sealBytes {
		rc, err := s.blobs.Open(ctx, oldKey)
		if err != nil {
			s.abandonUpload(ctx, newKey)
			return err
		}
		// The copy is as large as the original: no cap of its own.
		_, _, err = s.putBlob(ctx, newKey, &convstore.AttachmentPut{Body: rc, MaxBytes: row.Size + 1}, b)
		rc.Close()
		if err != nil {
			s.abandonUpload(ctx, newKey)
			return err
		}
	}
	idx, err := s.z.index(tenantID, "attachment_name", name)
	if err != nil {
		return err
	}
	sealed := *row
	sealed.Name, sealed.NameIndex, sealed.BlobKey = b.str(tAttachments, "name", row.ID, name), idx, newKey
	err = s.drv.Write(ctx, driver.OnConversation(tenantID, convID), func(ctx context.Context, tx driver.Tx) error {
		if err := tx.ConversationLock(ctx, tenantID, convID, driver.LockUpdate, "attachment"); err != nil {
			return err
		}
		if err := tx.AttachmentReseal(ctx, &sealed, oldKey); err != nil {
			return err
		}
		if !sealBytes {
			return nil
		}
		now := s.now()
		if err := tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: []string{oldKey}, DueAt: now, Now: now}); err != nil {
			return err
		}
		if n, err := tx.BlobRemovalForget(ctx, []string{newKey}); err != nil {
			return err
		} else if n == 0 {
			return errors.New("service: the sealed copy's upload intent was swept meanwhile")
		}
		return nil
	})
	if err != nil {
		if sealBytes {
			s.abandonUpload(ctx, newKey)
		}
		return err
	}
	if sealBytes {
		s.removeLater([]string{oldKey})
	}
	return nil
}
