package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
)

const attachmentColumns = `conversation_id, id, name, content_type, size, sha256, created_at`

// scanAttachment scans a row of attachmentColumns, then extra.
func scanAttachment(row pgx.Row, extra ...any) (*convstore.Attachment, error) {
	a := &convstore.Attachment{}
	dest := append([]any{scanID(&a.ConversationID), scanID(&a.ID), &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return a, nil
}

func scanAttachmentRow(row pgx.Row) (*convstore.Attachment, error) { return scanAttachment(row) }

// newBlobKey returns a random blob key, as the SQLite engine does: never
// reused, so a queued removal can never hit a newer blob.
func newBlobKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("postgres: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// PutAttachment stores the body under name, replacing an attachment of the
// same name. The order makes every crash repairable: (1) the new key is
// queued for removal an upload timeout from now (an intent), (2) the bytes
// are written, (3) one transaction inserts the record, queues a replaced
// blob for removal now and drops the intent, (4) replaced blobs are
// removed in the background. Any failure after (1) removes the new blob
// and its intent (see abandonUpload).
func (db *DB) PutAttachment(ctx context.Context, tenantID, conversationID convstore.ID, p *convstore.AttachmentPut) (*convstore.Attachment, error) {
	if p == nil {
		return nil, convstore.Invalidf("body", "attachment is missing")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := checkDeleteParams(p.Actor); err != nil {
		return nil, err
	}
	// Refuse early rather than read a large body for nothing; (3) checks
	// again, since the conversation may go meanwhile.
	if err := db.conversationExists(ctx, db.reads, tenantID, conversationID); err != nil {
		return nil, db.translate(ctx, err)
	}
	key := newBlobKey()
	if err := db.tx(ctx, func(tx pgx.Tx) error { return db.queueUploadIntent(ctx, tx, key) }); err != nil {
		return nil, err
	}
	size, sum, err := db.blobs.Put(ctx, key, p.Body, p.MaxBytes)
	if err != nil {
		db.abandonUpload(ctx, key)
		return nil, err
	}

	var a *convstore.Attachment
	var replaced []string
	err = db.txOn(ctx, tenantID, conversationID, func(tx pgx.Tx) error {
		replaced = nil
		// FOR NO KEY UPDATE, not the KEY SHARE other child writes take:
		// puts to one conversation must queue behind each other, or two
		// puts of one name would both find no attachment to replace and
		// the second would fail on the unique name.
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM conversations WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`,
			idArg(tenantID), idArg(conversationID)).Scan(&one)
		if err != nil {
			return notFound(err, "conversation")
		}
		var oldID convstore.ID
		var oldKey string
		err = tx.QueryRow(ctx, `SELECT id, blob_key FROM attachments WHERE tenant_id = $1 AND conversation_id = $2 AND name = $3`,
			idArg(tenantID), idArg(conversationID), p.Name).Scan(scanID(&oldID), &oldKey)
		switch {
		case err == nil:
			if _, err := tx.Exec(ctx, `DELETE FROM attachments WHERE tenant_id = $1 AND conversation_id = $2 AND id = $3`,
				idArg(tenantID), idArg(conversationID), oldID[:]); err != nil {
				return err
			}
			if err := queueBlobRemovals(ctx, tx, []string{oldKey}, 0); err != nil {
				return err
			}
			if err := db.insertAudit(ctx, tx, tenantID, convstore.AuditAttachmentReplace, conversationID, oldID, p.Actor, now()); err != nil {
				return err
			}
			replaced = []string{oldKey}
		case errors.Is(err, pgx.ErrNoRows):
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM attachments WHERE tenant_id = $1 AND conversation_id = $2`,
				idArg(tenantID), idArg(conversationID)).Scan(&n); err != nil {
				return err
			}
			if n >= convstore.MaxAttachmentsPerConversation {
				return convstore.Errorf(convstore.ECONFLICT, "a conversation can have at most %d attachments", convstore.MaxAttachmentsPerConversation)
			}
		default:
			return err
		}
		a = &convstore.Attachment{
			ID: db.newID(), ConversationID: conversationID, Name: p.Name, ContentType: p.ContentType,
			Size: size, SHA256: hex.EncodeToString(sum), CreatedAt: now(),
		}
		// The lock above makes a name conflict impossible; ON CONFLICT
		// DO NOTHING keeps one, should it happen, out of the server's log.
		inserted, err := tx.Exec(ctx, `
			INSERT INTO attachments (tenant_id, conversation_id, id, name, content_type, size, sha256, blob_key, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
			idArg(tenantID), idArg(conversationID), a.ID[:], a.Name, a.ContentType, a.Size, a.SHA256, key, a.CreatedAt)
		if err := insertedOne(inserted, err, conflictMessage("attachments_name_key")); err != nil {
			return err
		}
		// No intent means a sweeper judged the upload abandoned and removed
		// (or is removing: this DELETE waits for its claim) the bytes: the
		// record must not point at them.
		tag, err := tx.Exec(ctx, `DELETE FROM blob_removals WHERE blob_key = $1`, key)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return convstore.Errorf(convstore.EUNAVAILABLE, "the upload took too long, try again")
		}
		return nil
	})
	if err != nil {
		db.abandonUpload(ctx, key)
		return nil, err
	}
	db.removeLater(ctx, replaced)
	return a, nil
}

// abandonUpload cleans up after an upload that failed, whatever the cause
// (the client went away, a fault, a refused record), when its request
// ends: it queues the blob for removal now, and the background worker
// removes the bytes (chunks) at once. It runs on a context detached from
// the request's cancellation, bounded by abandonTimeout. If even the
// queueing fails (the database is unreachable), the key is kept in memory
// and every sweep tries again; a node killed meanwhile leaves an intent
// that a node starting up reclaims (see reclaimUploads).
//
// The removal is queued afresh rather than by making the intent due,
// because the intent may be gone: a sweeper that judged the upload
// abandoned took it, and may have run before the blob store committed the
// bytes.
func (db *DB) abandonUpload(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonTimeout)
	defer cancel()
	if err := db.queueAbandoned(ctx, key); err != nil {
		db.logger.WarnContext(ctx, "postgres: queueing a failed upload's removal failed; the next sweep tries again", "blob_key", key, "error", err)
		db.abandoned.add(key)
		return
	}
	db.removeLater(ctx, []string{key})
}

func (db *DB) queueAbandoned(ctx context.Context, key string) error {
	return db.tx(ctx, func(tx pgx.Tx) error { return queueBlobRemovals(ctx, tx, []string{key}, 0) })
}

// abandonedUploads are the keys of failed uploads whose removal could not
// be queued; each sweep tries again.
type abandonedUploads struct {
	mu   sync.Mutex
	keys map[string]bool
}

func (a *abandonedUploads) add(key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.keys == nil {
		a.keys = map[string]bool{}
	}
	a.keys[key] = true
}

// retry queues the removals again; those queued leave the set (the sweep
// that follows removes their bytes).
func (a *abandonedUploads) retry(ctx context.Context, db *DB) {
	a.mu.Lock()
	keys := make([]string, 0, len(a.keys))
	for k := range a.keys {
		keys = append(keys, k)
	}
	a.mu.Unlock()
	for _, k := range keys {
		if err := db.queueAbandoned(ctx, k); err != nil {
			return // still unreachable: the next sweep tries again
		}
		a.mu.Lock()
		delete(a.keys, k)
		a.mu.Unlock()
	}
}

// FindAttachmentByName returns one attachment record.
func (db *DB) FindAttachmentByName(ctx context.Context, tenantID, conversationID convstore.ID, name string) (*convstore.Attachment, error) {
	a, _, err := db.findAttachment(ctx, tenantID, conversationID, name)
	return a, err
}

func (db *DB) findAttachment(ctx context.Context, tenantID, conversationID convstore.ID, name string) (*convstore.Attachment, string, error) {
	var key string
	a, err := scanAttachment(db.reads.QueryRow(ctx, `SELECT `+attachmentColumns+`, blob_key FROM attachments
		WHERE tenant_id = $1 AND conversation_id = $2 AND name = $3`, idArg(tenantID), idArg(conversationID), name), &key)
	if err != nil {
		return nil, "", db.translate(ctx, notFound(err, "attachment"))
	}
	return a, key, nil
}

// FindAttachments returns a page of the conversation's attachment records,
// oldest first by default.
func (db *DB) FindAttachments(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.AttachmentFilter) ([]*convstore.Attachment, bool, error) {
	if err := f.Normalize(convstore.OrderAsc); err != nil {
		return nil, false, err
	}
	q := newQuery(`SELECT ` + attachmentColumns + ` FROM attachments WHERE tenant_id = $1 AND conversation_id = $2`)
	q.args = append(q.args, idArg(tenantID), idArg(conversationID))
	q.page(f.PageFilter)
	list, more, err := listPage(ctx, db.reads, q, f.Limit, scanAttachmentRow)
	if err == nil && len(list) == 0 {
		err = db.conversationExists(ctx, db.reads, tenantID, conversationID)
	}
	if err != nil {
		return nil, false, db.translate(ctx, err)
	}
	return list, more, nil
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
// transaction that also queues the blob's removal; the call returns once
// that has committed, and the bytes go in the background.
func (db *DB) DeleteAttachment(ctx context.Context, tenantID, conversationID convstore.ID, name string, p convstore.DeleteParams) error {
	var key string
	err := db.txOn(ctx, tenantID, conversationID, func(tx pgx.Tx) error {
		if err := lockConversation(ctx, tx, tenantID, conversationID, "attachment"); err != nil {
			return err
		}
		var id convstore.ID
		err := tx.QueryRow(ctx, `
			DELETE FROM attachments WHERE tenant_id = $1 AND conversation_id = $2 AND name = $3
			RETURNING id, blob_key`,
			idArg(tenantID), idArg(conversationID), name).Scan(scanID(&id), &key)
		if err != nil {
			return notFound(err, "attachment")
		}
		if err := queueBlobRemovals(ctx, tx, []string{key}, 0); err != nil {
			return err
		}
		return db.insertAudit(ctx, tx, tenantID, convstore.AuditAttachmentDelete, conversationID, id, p, now())
	})
	if err != nil {
		return err
	}
	db.removeLater(ctx, []string{key})
	return nil
}
