package sqlite

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// The sealing upgrade's rewrites of rows stored before sealing.
var (
	qMessageReseal = stmt(`UPDATE messages SET content = ?, parts = ?, author_name = ?, metadata = ?
		WHERE tenant_id = ? AND conversation_id = ? AND id = ?`)
	qArtifactReseal = stmt(`UPDATE artifacts SET text = ?, data = ?
		WHERE tenant_id = ? AND conversation_id = ? AND id = ?`)
	qAttachmentReseal = stmt(`UPDATE attachments SET name = ?, name_idx = ?, blob_key = ?
		WHERE tenant_id = ? AND conversation_id = ? AND id = ? AND blob_key = ?`)
)

func (o *ops) MessageReseal(ctx context.Context, tenantID, conversationID convstore.ID, rows []*driver.MessageRow) error {
	for _, m := range rows {
		if _, err := o.run.exec(ctx, qMessageReseal, sealedArg(m.Content), jsonArg(m.Parts), sealedArg(m.AuthorName),
			bytesArg(m.Meta), idArg(tenantID), idArg(conversationID), idArg(m.ID)); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}

func (o *ops) ArtifactReseal(ctx context.Context, tenantID convstore.ID, a *convstore.Artifact) error {
	if _, err := o.run.exec(ctx, qArtifactReseal, sealedArg(a.Text), jsonArg(a.Data), idArg(tenantID), idArg(a.ConversationID), idArg(a.ID)); err != nil {
		return o.db.translate(err)
	}
	return o.keepArtifacts(ctx, tenantID, a.ConversationID) // the copy of a kept one is rewritten with it
}

func (o *ops) AttachmentReseal(ctx context.Context, a *driver.AttachmentRow, oldBlobKey string) error {
	res, err := o.run.exec(ctx, qAttachmentReseal, sealedArg(a.Name), bytesArg(a.NameIndex), a.BlobKey,
		idArg(a.TenantID), idArg(a.ConversationID), idArg(a.ID), oldBlobKey)
	return o.db.affectedOne(res, err, "attachment")
}
