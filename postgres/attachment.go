package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const attachmentColumns = `conversation_id, id, name, content_type, size, sha256, created_at`

// scanAttachment scans a row of attachmentColumns, then extra.
func scanAttachment(row pgx.Row, extra ...any) (*convstore.Attachment, error) {
	a := &convstore.Attachment{}
	dest := append([]any{scanID(&a.ConversationID), scanID(&a.ID), scanSealed(&a.Name), &a.ContentType, &a.Size, &a.SHA256, &a.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	a.CreatedAt = a.CreatedAt.UTC()
	return a, nil
}

// scanAttachmentStored scans attachmentColumns, tenant_id, blob_key,
// name_idx.
func scanAttachmentStored(row pgx.Row) (*driver.AttachmentRow, error) {
	r := &driver.AttachmentRow{}
	a, err := scanAttachment(row, scanID(&r.TenantID), &r.BlobKey, scanBytes(&r.NameIndex))
	if err != nil {
		return nil, err
	}
	r.Attachment = *a
	return r, nil
}

// AttachmentGetByName finds the row by the blind index of the name, or (a
// row written before sealing) by the plaintext name.
func (o *ops) AttachmentGetByName(ctx context.Context, tenantID, conversationID convstore.ID, name driver.NameLookup) (*driver.AttachmentRow, error) {
	return one(ctx, o, "attachment", scanAttachmentStored, `SELECT `+attachmentColumns+`, tenant_id, blob_key, name_idx FROM attachments
		WHERE tenant_id = $1 AND conversation_id = $2 AND (name_idx = $3 OR name_idx IS NULL AND name = $4)`+live("$1", "$2"),
		idArg(tenantID), idArg(conversationID), bytesArg(name.Index), []byte(name.Plain))
}

func (o *ops) AttachmentList(ctx context.Context, p *driver.AttachmentListParams) ([]*convstore.Attachment, error) {
	q := newQuery(`SELECT `+attachmentColumns+` FROM attachments WHERE tenant_id = $1 AND conversation_id = $2`+live("$1", "$2"),
		idArg(p.TenantID), idArg(p.ConversationID))
	return list(ctx, o, q.page(p.Page), func(row pgx.Row) (*convstore.Attachment, error) { return scanAttachment(row) })
}

func (o *ops) AttachmentCount(ctx context.Context, tenantID, conversationID convstore.ID) (int, error) {
	return o.count(ctx, `SELECT count(*) FROM attachments WHERE tenant_id = $1 AND conversation_id = $2`+live("$1", "$2"),
		idArg(tenantID), idArg(conversationID))
}

// AttachmentInsert uses ON CONFLICT DO NOTHING, which keeps a taken name
// out of the server's log (see insertedOne). The service locks the
// conversation first (LockUpdate), so two puts of one name take turns.
func (o *ops) AttachmentInsert(ctx context.Context, a *driver.AttachmentRow) error {
	n, err := o.exec(ctx, `
		INSERT INTO attachments (tenant_id, conversation_id, id, name, content_type, size, sha256, blob_key, created_at, name_idx)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
		idArg(a.TenantID), idArg(a.ConversationID), idArg(a.ID), sealedArg(a.Name), a.ContentType, a.Size, a.SHA256, a.BlobKey,
		a.CreatedAt, bytesArg(a.NameIndex))
	return insertedOne(n, err, driver.ErrAttachmentNameTaken)
}

func (o *ops) AttachmentDeleteByName(ctx context.Context, tenantID, conversationID convstore.ID, name driver.NameLookup) (*driver.AttachmentRow, error) {
	return one(ctx, o, "attachment", scanAttachmentStored, `
		DELETE FROM attachments
		WHERE tenant_id = $1 AND conversation_id = $2 AND (name_idx = $3 OR name_idx IS NULL AND name = $4)
		RETURNING `+attachmentColumns+`, tenant_id, blob_key, name_idx`,
		idArg(tenantID), idArg(conversationID), bytesArg(name.Index), []byte(name.Plain))
}
