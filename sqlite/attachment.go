package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"time"

	"github.com/convstore/convstore"
)

// uploadTimeout is how long an upload may take before the sweeper treats
// its blob as abandoned (a crash mid-upload) and removes it.
const uploadTimeout = time.Hour

const attachmentColumns = `id, conversation_id, name, content_type, size, sha256, created_at`

func scanAttachment(row interface{ Scan(...any) error }, blobKey *string) (*convstore.Attachment, error) {
	a := &convstore.Attachment{}
	dst := []any{idScan{&a.ID}, idScan{&a.ConversationID}, &a.Name, &a.ContentType, &a.Size, &a.SHA256, timeScan{&a.CreatedAt}}
	if blobKey != nil {
		dst = append(dst, blobKey)
	}
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	return a, nil
}

func scanAttachmentRow(row interface{ Scan(...any) error }) (*convstore.Attachment, error) {
	return scanAttachment(row, nil)
}

// newBlobKey returns a random key. Random rather than the attachment ID:
// time-ordered keys would pile every recent blob into one shard directory,
// and a key is never reused, so a queued removal can never hit a newer blob.
func newBlobKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("sqlite: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// PutAttachment stores the body under name, replacing an attachment of the
// same name. The order makes every crash repairable: (1) the new key is
// queued for removal an upload timeout from now (an intent), (2) the bytes
// are written, (3) one transaction inserts the record, queues any replaced
// blob for removal now and drops the intent, (4) replaced blobs are removed
// in the background.
// Any failure after (1) removes the new blob and its intent.
func (db *DB) PutAttachment(ctx context.Context, tenantID, conversationID convstore.ID, p *convstore.AttachmentPut) (*convstore.Attachment, error) {
	if p == nil {
		return nil, convstore.Invalidf("body", "attachment is missing")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	// Refuse early rather than read a large body for nothing; (3) checks
	// again, since the conversation may go meanwhile.
	if err := db.read(ctx, func(tx *sql.Tx) error { return conversationExists(ctx, tx, tenantID, conversationID) }); err != nil {
		return nil, err
	}

	key := newBlobKey()
	if err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		return queueRemovals(ctx, tx, now, now.Add(uploadTimeout), []string{key})
	}); err != nil {
		return nil, err
	}
	size, sum, err := db.blobs.Put(ctx, key, p.Body, p.MaxBytes)
	if err != nil {
		db.abandonUpload(ctx, key)
		return nil, err
	}

	var a *convstore.Attachment
	var replaced []string
	err = db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		if err := conversationExists(ctx, tx, tenantID, conversationID); err != nil {
			return err
		}
		var oldID convstore.ID
		var oldKey string
		err := tx.QueryRowContext(ctx, `SELECT id, blob_key FROM attachments
			WHERE tenant_id = ? AND conversation_id = ? AND name = ?`,
			idArg(tenantID), idArg(conversationID), p.Name).Scan(idScan{&oldID}, &oldKey)
		switch {
		case err == nil:
			if _, err := tx.ExecContext(ctx, `DELETE FROM attachments WHERE tenant_id = ? AND id = ?`, idArg(tenantID), idArg(oldID)); err != nil {
				return translate(err)
			}
			if err := queueRemovals(ctx, tx, now, now, []string{oldKey}); err != nil {
				return err
			}
			if err := insertAudit(ctx, tx, now, tenantID, convstore.AuditAttachmentReplace, conversationID, oldID, p.Actor); err != nil {
				return err
			}
			replaced = []string{oldKey}
		case err == sql.ErrNoRows:
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM attachments WHERE tenant_id = ? AND conversation_id = ?`,
				idArg(tenantID), idArg(conversationID)).Scan(&n); err != nil {
				return translate(err)
			}
			if n >= convstore.MaxAttachmentsPerConversation {
				return convstore.Errorf(convstore.ECONFLICT, "a conversation can have at most %d attachments", convstore.MaxAttachmentsPerConversation)
			}
		default:
			return translate(err)
		}
		a = &convstore.Attachment{
			ID:             convstore.NewID(),
			ConversationID: conversationID,
			Name:           p.Name,
			ContentType:    p.ContentType,
			Size:           size,
			SHA256:         hex.EncodeToString(sum),
			CreatedAt:      now,
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO attachments
			(id, tenant_id, conversation_id, name, content_type, size, sha256, blob_key, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			idArg(a.ID), idArg(tenantID), idArg(conversationID), a.Name, a.ContentType, a.Size, a.SHA256, key, micros(now)); err != nil {
			return translate(err)
		}
		// No intent means the sweeper judged the upload abandoned and may
		// have removed the bytes: the record must not point at them.
		res, err := tx.ExecContext(ctx, `DELETE FROM blob_removals WHERE blob_key = ?`, key)
		if err := affectedOne(res, err, "upload"); err != nil {
			return convstore.Errorf(convstore.EUNAVAILABLE, "the upload took too long, try again")
		}
		return nil
	})
	if err != nil {
		db.abandonUpload(ctx, key)
		return nil, err
	}
	db.removeLater(replaced)
	return a, nil
}

// abandonUpload removes a failed upload's blob and then its intent. If the
// blob cannot be removed, the intent is made due now, for the sweeper.
func (db *DB) abandonUpload(ctx context.Context, key string) {
	ctx = context.WithoutCancel(ctx) // the failure may be the caller's cancellation
	if err := db.blobs.Delete(ctx, key); err != nil {
		db.logger.Warn("sqlite: removing an abandoned upload failed; left for the sweeper", "blob_key", key, "error", err)
		err = db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
			_, err := tx.ExecContext(ctx, `UPDATE blob_removals SET due_at = ? WHERE blob_key = ?`, micros(now), key)
			return translate(err)
		})
		if err != nil {
			db.logger.Warn("sqlite: rescheduling a blob removal failed", "blob_key", key, "error", err)
		}
		return
	}
	db.forgetRemovals(ctx, []string{key})
}

// FindAttachmentByName returns one attachment record.
func (db *DB) FindAttachmentByName(ctx context.Context, tenantID, conversationID convstore.ID, name string) (*convstore.Attachment, error) {
	a, _, err := db.findAttachment(ctx, tenantID, conversationID, name)
	return a, err
}

func (db *DB) findAttachment(ctx context.Context, tenantID, conversationID convstore.ID, name string) (*convstore.Attachment, string, error) {
	var key string
	a, err := scanAttachment(db.r.QueryRowContext(ctx, `SELECT `+attachmentColumns+`, blob_key FROM attachments
		WHERE tenant_id = ? AND conversation_id = ? AND name = ?`, idArg(tenantID), idArg(conversationID), name), &key)
	if err != nil {
		return nil, "", notFound(err, "attachment")
	}
	return a, key, nil
}

// FindAttachments returns a page of the conversation's attachment records,
// oldest first by default.
func (db *DB) FindAttachments(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.AttachmentFilter) ([]*convstore.Attachment, bool, error) {
	if err := f.Normalize(convstore.OrderAsc); err != nil {
		return nil, false, err
	}
	var out []*convstore.Attachment
	var more bool
	err := db.read(ctx, func(tx *sql.Tx) error {
		if err := conversationExists(ctx, tx, tenantID, conversationID); err != nil {
			return err
		}
		cond, pargs, tail := pageSQL(f.PageFilter)
		var err error
		out, more, err = queryPage(ctx, tx, `SELECT `+attachmentColumns+` FROM attachments
			WHERE tenant_id = ? AND conversation_id = ?`+cond+tail,
			append([]any{idArg(tenantID), idArg(conversationID)}, pargs...), f.Limit, scanAttachmentRow)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, more, nil
}

// OpenAttachment returns the record and a reader of its bytes. If the
// attachment is deleted between reading the record and opening the bytes,
// it is ENOTFOUND like any missing attachment.
func (db *DB) OpenAttachment(ctx context.Context, tenantID, conversationID convstore.ID, name string) (*convstore.Attachment, io.ReadCloser, error) {
	a, key, err := db.findAttachment(ctx, tenantID, conversationID, name)
	if err != nil {
		return nil, nil, err
	}
	rc, err := db.blobs.Open(ctx, key)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return nil, nil, convstore.NotFound("attachment")
	} else if err != nil {
		return nil, nil, err
	}
	return a, rc, nil
}

// DeleteAttachment deletes the record and writes an AuditEntry in one
// transaction that also queues the blob's removal; the bytes go in the
// background once the commit is durable.
func (db *DB) DeleteAttachment(ctx context.Context, tenantID, conversationID convstore.ID, name string, p convstore.DeleteParams) error {
	var key string
	err := db.write(ctx, func(ctx context.Context, tx *sql.Tx, now time.Time) error {
		var id convstore.ID
		err := tx.QueryRowContext(ctx, `SELECT id, blob_key FROM attachments
			WHERE tenant_id = ? AND conversation_id = ? AND name = ?`,
			idArg(tenantID), idArg(conversationID), name).Scan(idScan{&id}, &key)
		if err != nil {
			return notFound(err, "attachment")
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM attachments WHERE tenant_id = ? AND id = ?`, idArg(tenantID), idArg(id)); err != nil {
			return translate(err)
		}
		if err := queueRemovals(ctx, tx, now, now, []string{key}); err != nil {
			return err
		}
		return insertAudit(ctx, tx, now, tenantID, convstore.AuditAttachmentDelete, conversationID, id, p)
	})
	if err != nil {
		return err
	}
	db.removeLater([]string{key})
	return nil
}
