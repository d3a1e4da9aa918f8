package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/seal"
)

// newBlobKey returns a random key. Random rather than the attachment ID:
// time-ordered keys would pile every recent blob into one shard directory,
// and a key is never reused, so a queued removal can never hit a newer blob.
// newBlobKey draws a blob key. The key of sealed bytes starts with
// sealedBlobPrefix, which no hexadecimal key does: the bytes of an
// attachment stored before sealing can start with anything, so the key,
// not the bytes, tells the two apart.
func newBlobKey(sealed bool) string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("service: crypto/rand failed: " + err.Error())
	}
	if sealed {
		return sealedBlobPrefix + hex.EncodeToString(b[:])
	}
	return hex.EncodeToString(b[:])
}

// PutAttachment stores the body under name, replacing an attachment of the
// same name. The order makes every crash repairable: (1) the new key is
// queued for removal an upload timeout from now (an intent, which names
// this node on a driver with several), (2) the bytes are written, (3) one
// transaction inserts the record, queues a replaced blob for removal now
// and drops the intent, (4) replaced blobs are removed in the background.
// Any failure after (1) removes the new blob and its intent before the
// call returns (see abandonUpload).
func (s *Service) PutAttachment(ctx context.Context, tenantID, conversationID convstore.ID, p *convstore.AttachmentPut) (*convstore.Attachment, error) {
	if p == nil {
		return nil, convstore.Invalidf("body", "attachment is missing")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := p.Actor.Validate(); err != nil {
		return nil, err
	}
	// Refuse early rather than read a large body for nothing; (3) checks
	// again, since the conversation may go meanwhile.
	if _, err := s.drv.Reads().ConversationGetByID(ctx, tenantID, conversationID); err != nil {
		return nil, err
	}
	key := newBlobKey(s.z.ring != nil)
	// The conversation's data key seals the bytes as they stream to the
	// blob store; it is read (or, for a conversation made before sealing,
	// made) with the upload's intent.
	var dek *seal.DEK
	err := s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		var err error
		if dek, err = s.z.keyFor(ctx, tx, tenantID, conversationID, now); err != nil {
			return err
		}
		return tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{
			Keys: []string{key}, DueAt: now.Add(s.uploadTimeout), Now: now, Upload: true})
	})
	if err != nil {
		return nil, err
	}
	size, sum, err := s.putBlob(ctx, key, p, s.z.box(dek, tenantID, conversationID))
	if err != nil {
		s.abandonUpload(ctx, key)
		return nil, err
	}

	root := s.z.currentRoot() // before indexing: never newer than the index
	names, err := s.nameLookups(tenantID, p.Name)
	if err != nil {
		s.abandonUpload(ctx, key)
		return nil, err
	}
	name := names[0] // under the current root
	var a *convstore.Attachment
	var replaced []string
	err = s.drv.Write(ctx, driver.OnConversation(tenantID, conversationID), func(ctx context.Context, tx driver.Tx) error {
		replaced = nil
		now := s.now()
		// LockUpdate, not LockShare: puts to one conversation take turns,
		// or two puts of one name would both find nothing to replace.
		if err := tx.ConversationLock(ctx, tenantID, conversationID, driver.LockUpdate, "conversation"); err != nil {
			return err
		}
		old, err := eachLookup(names, func(l driver.NameLookup) (*driver.AttachmentRow, error) {
			return tx.AttachmentDeleteByName(ctx, tenantID, conversationID, l)
		})
		switch convstore.ErrorCode(err) {
		case "":
			// Replacing removes the old bytes: a hold refuses it as it
			// refuses a delete (the transaction rolls back).
			if err := s.refuseHeld(ctx, tx, tenantID, conversationID); err != nil {
				return err
			}
			err := tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: []string{old.BlobKey}, DueAt: now, Now: now})
			if err != nil {
				return err
			}
			if err := s.audit(ctx, tx, now, tenantID, convstore.AuditAttachmentReplace, conversationID, old.ID, p.Actor); err != nil {
				return err
			}
			replaced = []string{old.BlobKey}
		case convstore.ENOTFOUND:
			n, err := tx.AttachmentCount(ctx, tenantID, conversationID)
			if err != nil {
				return err
			}
			if n >= s.maxAttachments {
				return convstore.Errorf(convstore.ECONFLICT, "a conversation can have at most %d attachments", s.maxAttachments)
			}
		default:
			return err
		}
		a = &convstore.Attachment{
			ID:             s.newID(),
			ConversationID: conversationID,
			Name:           p.Name,
			ContentType:    p.ContentType,
			Size:           size,
			SHA256:         hex.EncodeToString(sum),
			CreatedAt:      now,
		}
		row := &driver.AttachmentRow{Attachment: *a, TenantID: tenantID, BlobKey: key, NameIndex: name.Index}
		row.Name = s.z.box(dek, tenantID, conversationID).str(tAttachments, "name", a.ID, a.Name)
		if err := tx.AttachmentInsert(ctx, row); err != nil {
			return err
		}
		if err := s.z.recordRoot(ctx, tx, tenantID, conversationID, root, true); err != nil {
			return err
		}
		// No intent means a sweeper judged the upload abandoned and removed
		// (or is removing) the bytes: the record must not point at them.
		if n, err := tx.BlobRemovalForget(ctx, []string{key}); err != nil {
			return err
		} else if n == 0 {
			return convstore.Errorf(convstore.EUNAVAILABLE, "the upload took too long, try again")
		}
		return nil
	})
	if err != nil {
		s.abandonUpload(ctx, key)
		return nil, err
	}
	s.removeLater(replaced)
	return a, nil
}

// abandonUpload cleans up after an upload that failed, whatever the cause
// (the client went away, a fault, a refused record), before the call
// returns: it removes the bytes, then forgets the intent. If the bytes
// cannot be removed, their removal is queued afresh, due now, for the
// sweeper (afresh, because the intent may be gone: a sweeper that judged
// the upload abandoned took it). If even that fails (the database is
// unreachable) the key is kept in memory and every sweep tries again; a
// process killed meanwhile leaves the intent, which comes due.
func (s *Service) abandonUpload(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonTimeout)
	defer cancel()
	if err := s.blobs.Delete(ctx, key); err == nil {
		s.forgetRemovals(ctx, []string{key})
		return
	} else {
		s.logger.Warn("removing an abandoned upload failed; left for the sweeper", "blob_key", key, "error", err)
	}
	if err := s.queueNow(ctx, key); err != nil {
		s.logger.Warn("queueing a failed upload's removal failed; the next sweep tries again", "blob_key", key, "error", err)
		s.abandoned.add(key)
	}
}

// queueNow queues key's removal, due now.
func (s *Service) queueNow(ctx context.Context, key string) error {
	return s.drv.Write(ctx, driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		return tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: []string{key}, DueAt: now, Now: now})
	})
}

// FindAttachmentByName returns one attachment record.
func (s *Service) FindAttachmentByName(ctx context.Context, tenantID, conversationID convstore.ID, name string) (*convstore.Attachment, error) {
	a, _, err := s.attachmentByName(ctx, tenantID, conversationID, name)
	return a, err
}

// attachmentByName reads an attachment record by name, its name opened,
// with its blob key.
func (s *Service) attachmentByName(ctx context.Context, tenantID, conversationID convstore.ID, name string) (*convstore.Attachment, string, error) {
	lookups, err := s.nameLookups(tenantID, name)
	if err != nil {
		return nil, "", err
	}
	r := s.drv.Reads()
	row, err := eachLookup(lookups, func(l driver.NameLookup) (*driver.AttachmentRow, error) {
		return r.AttachmentGetByName(ctx, tenantID, conversationID, l)
	})
	if err != nil {
		return nil, "", err
	}
	list, err := s.z.openAttachments(ctx, r, tenantID, []*convstore.Attachment{&row.Attachment})
	if err != nil {
		return nil, "", err
	}
	return list[0], row.BlobKey, nil
}

// FindAttachments returns a page of the conversation's attachment records,
// oldest first by default. ENOTFOUND if the conversation is missing.
func (s *Service) FindAttachments(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.AttachmentFilter) ([]*convstore.Attachment, bool, error) {
	if err := f.Normalize(convstore.OrderAsc); err != nil {
		return nil, false, err
	}
	var list []*convstore.Attachment
	err := s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		var err error
		list, err = r.AttachmentList(ctx, &driver.AttachmentListParams{TenantID: tenantID, ConversationID: conversationID, Page: pageOf(f.PageFilter, 0)})
		if err == nil && len(list) == 0 {
			err = conversationExists(ctx, r, tenantID, conversationID)
		}
		if err != nil {
			return err
		}
		list, err = s.z.openAttachments(ctx, r, tenantID, list)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	list, more := trim(list, f.Limit)
	return list, more, nil
}

// OpenAttachment returns the record and a reader of its bytes. If the
// attachment is deleted between reading the record and opening the bytes,
// it is ENOTFOUND like any missing attachment.
func (s *Service) OpenAttachment(ctx context.Context, tenantID, conversationID convstore.ID, name string) (*convstore.Attachment, io.ReadCloser, error) {
	a, key, err := s.attachmentByName(ctx, tenantID, conversationID, name)
	if err != nil {
		return nil, nil, err
	}
	rc, err := s.openBlob(ctx, tenantID, conversationID, key)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return nil, nil, convstore.NotFound("attachment")
	} else if err != nil {
		return nil, nil, err
	}
	return a, rc, nil
}

// DeleteAttachment deletes the record and writes an AuditEntry in one
// transaction that also queues the blob's removal; the call returns once
// that has committed durably, and the bytes go in the background.
func (s *Service) DeleteAttachment(ctx context.Context, tenantID, conversationID convstore.ID, name string, p convstore.DeleteParams) error {
	if err := p.Validate(); err != nil {
		return err
	}
	var key string
	err := s.writeEvents(ctx, driver.OnConversation(tenantID, conversationID), func(ctx context.Context, tx driver.Tx) error {
		now := s.now()
		if err := tx.ConversationLock(ctx, tenantID, conversationID, driver.LockShare, "attachment"); err != nil {
			return err
		}
		if err := s.refuseHeld(ctx, tx, tenantID, conversationID); err != nil {
			return err
		}
		lookups, err := s.nameLookups(tenantID, name)
		if err != nil {
			return err
		}
		a, err := eachLookup(lookups, func(l driver.NameLookup) (*driver.AttachmentRow, error) {
			return tx.AttachmentDeleteByName(ctx, tenantID, conversationID, l)
		})
		if err != nil {
			return err
		}
		key = a.BlobKey
		if err := tx.BlobRemovalQueue(ctx, &driver.BlobRemovalQueueParams{Keys: []string{key}, DueAt: now, Now: now}); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, tenantID, convstore.AuditAttachmentDelete, conversationID, a.ID, p); err != nil {
			return err
		}
		return s.emit(ctx, tx, now, itemDeleted(convstore.EventAttachmentDeleted, tenantID, conversationID,
			a.ID.Format(convstore.PrefixAttachment), a.Size, p, now))
	})
	if err != nil {
		return err
	}
	s.removeLater([]string{key})
	return nil
}
