package sqlite

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const attachmentColumns = `id, conversation_id, name, content_type, size, sha256, created_at`

var (
	// By the blind index of the name, or the plaintext name of a row
	// written before sealing (TEXT, or a BLOB if a driver wrote it).
	qAttachmentByName = stmt(`SELECT ` + attachmentColumns + `, tenant_id, blob_key, name_idx FROM attachments
		WHERE tenant_id = ?1 AND conversation_id = ?2 AND (name_idx = ?3 OR name_idx IS NULL AND name IN (?4, CAST(?4 AS BLOB)))` + live("attachments"))
	qAttachmentList   = pagedStmt(`SELECT ` + attachmentColumns + ` FROM attachments WHERE tenant_id = ? AND conversation_id = ?` + live("attachments"))
	qAttachmentCount  = stmt(`SELECT count(*) FROM attachments WHERE tenant_id = ? AND conversation_id = ?` + live("attachments"))
	qAttachmentInsert = stmt(`INSERT INTO attachments
		(id, tenant_id, conversation_id, name, content_type, size, sha256, blob_key, created_at, name_idx)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qAttachmentDelete = stmt(`DELETE FROM attachments
		WHERE tenant_id = ?1 AND conversation_id = ?2 AND (name_idx = ?3 OR name_idx IS NULL AND name IN (?4, CAST(?4 AS BLOB)))
		RETURNING ` + attachmentColumns + `, tenant_id, blob_key, name_idx`)
)

func scanAttachment(row scanner) (*convstore.Attachment, error) {
	a := &convstore.Attachment{}
	if err := row.Scan(idScan{&a.ID}, idScan{&a.ConversationID}, sealedScan{&a.Name}, &a.ContentType, &a.Size, &a.SHA256,
		timeScan{&a.CreatedAt}); err != nil {
		return nil, err
	}
	return a, nil
}

func scanAttachmentRow(row scanner) (*driver.AttachmentRow, error) {
	a := &driver.AttachmentRow{}
	if err := row.Scan(idScan{&a.ID}, idScan{&a.ConversationID}, sealedScan{&a.Name}, &a.ContentType, &a.Size, &a.SHA256,
		timeScan{&a.CreatedAt}, idScan{&a.TenantID}, &a.BlobKey, bytesScan{&a.NameIndex}); err != nil {
		return nil, err
	}
	return a, nil
}

func (o *ops) AttachmentGetByName(ctx context.Context, tenantID, conversationID convstore.ID, name driver.NameLookup) (*driver.AttachmentRow, error) {
	return one(ctx, o, qAttachmentByName, []any{idArg(tenantID), idArg(conversationID), bytesArg(name.Index), name.Plain},
		"attachment", scanAttachmentRow)
}

func (o *ops) AttachmentList(ctx context.Context, p *driver.AttachmentListParams) ([]*convstore.Attachment, error) {
	q, args := qAttachmentList.sql(p.Page, []any{idArg(p.TenantID), idArg(p.ConversationID)})
	return list(ctx, o, q, args, scanAttachment)
}

func (o *ops) AttachmentCount(ctx context.Context, tenantID, conversationID convstore.ID) (int, error) {
	var n int
	err := o.run.queryRow(ctx, qAttachmentCount, idArg(tenantID), idArg(conversationID)).Scan(&n)
	return n, o.db.translate(err)
}

func (o *ops) AttachmentInsert(ctx context.Context, a *driver.AttachmentRow) error {
	res, err := o.run.exec(ctx, qAttachmentInsert, idArg(a.ID), idArg(a.TenantID), idArg(a.ConversationID), sealedArg(a.Name),
		a.ContentType, a.Size, a.SHA256, a.BlobKey, micros(a.CreatedAt), bytesArg(a.NameIndex))
	return o.db.insertedOne(res, err, driver.ErrAttachmentNameTaken, "conversation")
}

func (o *ops) AttachmentDeleteByName(ctx context.Context, tenantID, conversationID convstore.ID, name driver.NameLookup) (*driver.AttachmentRow, error) {
	return one(ctx, o, qAttachmentDelete, []any{idArg(tenantID), idArg(conversationID), bytesArg(name.Index), name.Plain},
		"attachment", scanAttachmentRow)
}
