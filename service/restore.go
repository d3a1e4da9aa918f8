package service

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// reapplyBatch is how many receipts one re-apply transaction handles.
const reapplyBatch = 100

// EachDeletion calls fn with every deletion receipt of every tenant,
// oldest first within each tenant: what a restore re-applies.
func (s *Service) EachDeletion(ctx context.Context, fn func(d *convstore.Deletion) error) error {
	return eachOfEveryTenant(ctx, s, func(tenantID convstore.ID, p driver.Page) ([]*convstore.Deletion, error) {
		return s.drv.Reads().DeletionList(ctx, &driver.DeletionListParams{TenantID: tenantID, Page: p})
	}, func(d *convstore.Deletion) convstore.ID { return d.ID }, fn)
}

// eachOfEveryTenant calls fn with every row that list pages through, tenant
// after tenant, reapplyBatch rows a read.
func eachOfEveryTenant[T any](ctx context.Context, s *Service, list func(tenantID convstore.ID, p driver.Page) ([]T, error), id func(T) convstore.ID, fn func(T) error) error {
	tenants, err := s.drv.Reads().TenantList(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		var after convstore.ID
		for {
			rows, err := list(t.ID, driver.Page{After: after, Limit: reapplyBatch})
			if err != nil {
				return err
			}
			for _, r := range rows {
				if err := fn(r); err != nil {
					return err
				}
			}
			if len(rows) < reapplyBatch {
				break
			}
			after = id(rows[len(rows)-1])
		}
	}
	return nil
}

// Reapplied reports what ReapplyDeletions did.
type Reapplied struct {
	Receipts      int // receipts the store did not hold, now stored
	Conversations int // conversations those receipts deleted, deleted again
	EndUsers      int // end-user records those receipts deleted, deleted again
	Skipped       int // receipts of tenants the store does not have (nothing of theirs to delete)
}

// ReapplyDeletions makes a restored store forget what was deleted after
// its backup was taken: for every receipt it does not hold, it deletes the
// receipt's conversation (and with it the conversation's data key, and its
// attachment bytes later), if the store still has it, and stores the
// receipt as it was. A receipt the store holds was applied before the
// backup; one of a tenant the store lacks has nothing to delete. It is
// idempotent, so an interrupted restore can run it again.
func (s *Service) ReapplyDeletions(ctx context.Context, receipts []*convstore.Deletion) (Reapplied, error) {
	var total Reapplied
	for start := 0; start < len(receipts); start += reapplyBatch {
		batch := receipts[start:min(start+reapplyBatch, len(receipts))]
		var r Reapplied
		var keys []string
		err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			r, keys = Reapplied{}, nil
			now := s.now()
			for _, d := range batch {
				if _, err := tx.TenantGet(ctx, d.TenantID); convstore.ErrorCode(err) == convstore.ENOTFOUND {
					r.Skipped++
					continue
				} else if err != nil {
					return err
				}
				if _, err := tx.DeletionGet(ctx, d.TenantID, d.ID); err == nil {
					continue
				} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
					return err
				}
				// An end-user record's receipt: the record and its key
				// go again, nothing is left to purge.
				if d.Kind == convstore.DeletionEndUser {
					if _, err := tx.EndUserDelete(ctx, d.TenantID, d.ConversationID); err == nil {
						s.z.forget(d.TenantID, d.ConversationID)
						r.EndUsers++
					} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
						return err
					}
					if err := tx.DeletionInsert(ctx, d); err != nil {
						return err
					}
					r.Receipts++
					continue
				}
				// The delete's tombstone, dated as the delete was.
				if err := s.bury(ctx, tx, d.TenantID, d.ConversationID, d.CreatedAt); err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND {
					return err
				}
				gone, err := tx.ConversationDelete(ctx, d.TenantID, d.ConversationID)
				switch {
				case err == nil:
					r.Conversations++
					keys = append(keys, gone.BlobKeys...)
					// The rows are purged here again: the receipt
					// says so once they are.
					c := *d
					c.PurgedAt = nil
					if err := tx.DeletionInsert(ctx, &c); err != nil {
						return err
					}
					if err := tx.PurgeJobInsert(ctx, &driver.PurgeJob{TenantID: d.TenantID, ConversationID: d.ConversationID,
						DeletionID: d.ID, CreatedAt: now}); err != nil {
						return err
					}
					r.Receipts++
					continue
				case convstore.ErrorCode(err) != convstore.ENOTFOUND:
					return err
				}
				if err := tx.DeletionInsert(ctx, d); err != nil {
					return err
				}
				r.Receipts++
			}
			if len(keys) > 0 {
				return tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: keys, DueAt: now, Now: now})
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total.Receipts += r.Receipts
		total.Conversations += r.Conversations
		total.EndUsers += r.EndUsers
		total.Skipped += r.Skipped
		s.removeLater(keys)
		if r.Conversations > 0 {
			s.purge.wake()
		}
	}
	return total, nil
}

// EachConversationKeyBatch calls fn with every wrapped data key of every
// tenant, in batches: what a restore carries into the backup it installs.
// The end-user records' and the tags' keys follow the conversations'
// (ConversationID is then the record's or the tag's id).
func (s *Service) EachConversationKeyBatch(ctx context.Context, fn func(keys []*driver.ConversationKey) error) error {
	r := s.drv.Reads()
	if err := eachKeyBatch(ctx, r.ConversationKeyList, fn); err != nil {
		return err
	}
	if err := eachKeyBatch(ctx, r.EndUserKeyList, fn); err != nil {
		return err
	}
	return eachKeyBatch(ctx, r.TagKeyList, fn)
}

// eachKeyBatch pages through list, calling fn with each batch.
func eachKeyBatch(ctx context.Context, list func(context.Context, *driver.ConversationKeyListParams) ([]*driver.ConversationKey, error),
	fn func(keys []*driver.ConversationKey) error) error {
	p := &driver.ConversationKeyListParams{Limit: reapplyBatch * 5}
	for {
		list, err := list(ctx, p)
		if err != nil {
			return err
		}
		if len(list) > 0 {
			if err := fn(list); err != nil {
				return err
			}
		}
		if len(list) < p.Limit {
			return nil
		}
		p.AfterTenant, p.AfterConversation = list[len(list)-1].TenantID, list[len(list)-1].ConversationID
	}
}

// AdoptKeys replaces the wrapped data keys of the store's conversations
// by keys (read from the database a restore replaces, of the same
// keyring), returning how many it replaced. A backup holds the keys as
// they were wrapped when it was taken; once those epochs are destroyed,
// only the live database's re-wrapped keys open its conversations. Keys
// of conversations the store does not hold are skipped: a data key never
// brings a conversation back.
func (s *Service) AdoptKeys(ctx context.Context, keys []*driver.ConversationKey) (int, error) {
	var n int
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) (err error) {
		if n, err = tx.ConversationKeyRewrap(ctx, keys); err != nil {
			return err
		}
		// End-user records' keys (ids are never both).
		m, err := tx.EndUserKeyRewrap(ctx, keys)
		n += m
		if err != nil {
			return err
		}
		// Tags' keys.
		m, err = tx.TagKeyRewrap(ctx, keys)
		n += m
		return err
	})
	return n, err
}

// EachAuditEntry calls fn with every audit entry of every tenant, oldest
// first within each tenant.
func (s *Service) EachAuditEntry(ctx context.Context, fn func(e *convstore.AuditEntry) error) error {
	return eachOfEveryTenant(ctx, s, func(tenantID convstore.ID, p driver.Page) ([]*convstore.AuditEntry, error) {
		return s.drv.Reads().AuditList(ctx, &driver.AuditListParams{TenantID: tenantID, Page: p})
	}, func(e *convstore.AuditEntry) convstore.ID { return e.ID }, fn)
}

// ReappliedAudit reports what ReapplyAudit did.
type ReappliedAudit struct {
	Entries  int // audit entries the store did not hold, now stored
	Messages int // messages deleted again
	Artifact int // artifacts deleted again
	Attached int // attachments deleted again (deleted or replaced since the backup)
	Keys     int // API keys revoked again
	Holds    int // legal holds released again
	Tags     int // tags deleted again
}

// ReapplyAudit makes a restored store forget the messages, artifacts,
// attachments and tags deleted, and the API keys revoked, after its backup was
// taken: for every entry of those actions the store does not hold, it
// deletes the target if the store still has it, and stores the entry as
// it was. An attachment replaced since the backup is deleted (the backup
// holds the old bytes, not the new). Conversation deletes are the
// receipts' (ReapplyDeletions). It is idempotent.
func (s *Service) ReapplyAudit(ctx context.Context, entries []*convstore.AuditEntry) (ReappliedAudit, error) {
	var total ReappliedAudit
	for _, e := range entries {
		var r ReappliedAudit
		// An attachment is deleted by its name, sealed in the row: find
		// it by id among the conversation's, opened.
		var attachment string
		if e.Action == convstore.AuditAttachmentDelete || e.Action == convstore.AuditAttachmentReplace {
			var err error
			if attachment, err = s.attachmentName(ctx, e.TenantID, e.ConversationID, e.TargetID); err != nil {
				return total, err
			}
		}
		var blobKey string
		err := s.drv.Write(ctx, driver.OnConversation(e.TenantID, e.ConversationID), func(ctx context.Context, tx driver.Tx) error {
			r, blobKey = ReappliedAudit{}, ""
			if _, err := tx.TenantGet(ctx, e.TenantID); convstore.ErrorCode(err) == convstore.ENOTFOUND {
				return nil
			} else if err != nil {
				return err
			}
			if _, err := tx.AuditGet(ctx, e.TenantID, e.ID); err == nil {
				return nil
			} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
				return err
			}
			switch e.Action {
			case convstore.AuditMessageDelete:
				if _, err := tx.MessageGet(ctx, e.TenantID, e.ConversationID, e.TargetID); err == nil {
					if _, err := tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{
						TenantID: e.TenantID, ID: e.ConversationID, Delta: -1, UpdatedAt: s.now()}); err != nil {
						return err
					}
					if err := tx.MessageDelete(ctx, e.TenantID, e.ConversationID, e.TargetID); err != nil {
						return err
					}
					if err := s.messageDeleted(ctx, tx, e.TenantID, e.ConversationID, e.TargetID); err != nil {
						return err
					}
					r.Messages++
				} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
					return err
				}
			case convstore.AuditArtifactDelete:
				err := tx.ArtifactDelete(ctx, e.TenantID, e.ConversationID, e.TargetID)
				if err == nil {
					r.Artifact++
				} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
					return err
				}
			case convstore.AuditAttachmentDelete, convstore.AuditAttachmentReplace:
				if attachment == "" {
					break
				}
				lookups, err := s.nameLookups(e.TenantID, attachment)
				if err != nil {
					return err
				}
				a, err := eachLookup(lookups, func(l driver.NameLookup) (*driver.AttachmentRow, error) {
					return tx.AttachmentDeleteByName(ctx, e.TenantID, e.ConversationID, l)
				})
				if convstore.ErrorCode(err) == convstore.ENOTFOUND {
					break
				} else if err != nil {
					return err
				}
				now := s.now()
				if err := tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: []string{a.BlobKey}, DueAt: now, Now: now}); err != nil {
					return err
				}
				blobKey = a.BlobKey
				r.Attached++
			case convstore.AuditKeyRevoke:
				err := tx.KeyDelete(ctx, e.TenantID, e.TargetID)
				if err == nil {
					r.Keys++
				} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
					return err
				}
			case convstore.AuditTagDelete:
				// A tag deleted since the backup goes again, with its key.
				err := tx.TagDelete(ctx, e.TenantID, e.TargetID)
				if err == nil {
					r.Tags++
				} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
					return err
				}
			case convstore.AuditHoldRelease:
				// A hold released since the backup stays released. (A
				// hold placed since cannot be rebuilt from its entry,
				// which holds neither the reason nor the user's index.)
				err := tx.HoldDelete(ctx, e.TenantID, e.TargetID)
				if err == nil {
					r.Holds++
				} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
					return err
				}
			}
			r.Entries++
			return tx.AuditInsert(ctx, e)
		})
		if err != nil {
			return total, err
		}
		total.Entries += r.Entries
		total.Messages += r.Messages
		total.Artifact += r.Artifact
		total.Attached += r.Attached
		total.Keys += r.Keys
		total.Holds += r.Holds
		total.Tags += r.Tags
		if blobKey != "" {
			s.removeLater([]string{blobKey})
		}
	}
	return total, nil
}

// attachmentName returns the name of the conversation's attachment id, ""
// if there is none.
func (s *Service) attachmentName(ctx context.Context, tenantID, conversationID, id convstore.ID) (string, error) {
	f := convstore.AttachmentFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit}}
	for {
		list, more, err := s.FindAttachments(ctx, tenantID, conversationID, f)
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return "", nil
		} else if err != nil {
			return "", err
		}
		for _, a := range list {
			if a.ID == id {
				return a.Name, nil
			}
		}
		if !more || len(list) == 0 {
			return "", nil
		}
		f.After = list[len(list)-1].ID
	}
}
