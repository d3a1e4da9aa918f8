package postgres

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// MessageReseal rewrites a batch in one statement (parallel arrays).
func (o *ops) MessageReseal(ctx context.Context, tenantID, conversationID convstore.ID, rows []*driver.MessageRow) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	ids, contents, parts := make([][]byte, n), make([][]byte, n), make([][]byte, n)
	authors, metadata := make([][]byte, n), make([][]byte, n)
	for i, m := range rows {
		ids[i], contents[i], parts[i] = idBytes(m.ID), sealedArg(m.Content), bytesArg(m.Parts)
		authors[i], metadata[i] = sealedArg(m.AuthorName), bytesArg(m.Meta)
	}
	_, err := o.exec(ctx, `
		UPDATE messages m SET content = u.content, parts = u.parts, author_name = u.author_name, metadata = u.metadata
		FROM unnest($3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[], $7::bytea[]) AS u(id, content, parts, author_name, metadata)
		WHERE m.tenant_id = $1 AND m.conversation_id = $2 AND m.id = u.id`,
		idArg(tenantID), idArg(conversationID), ids, contents, parts, authors, metadata)
	return err
}

func (o *ops) ArtifactReseal(ctx context.Context, tenantID convstore.ID, a *convstore.Artifact) error {
	if _, err := o.exec(ctx, `UPDATE artifacts SET text = $4, data = $5 WHERE tenant_id = $1 AND conversation_id = $2 AND id = $3`,
		idArg(tenantID), idArg(a.ConversationID), idArg(a.ID), sealedArg(a.Text), bytesArg(a.Data)); err != nil {
		return err
	}
	return o.keepArtifacts(ctx, tenantID, a.ConversationID) // the copy of a kept one is rewritten with it
}

func (o *ops) AttachmentReseal(ctx context.Context, a *driver.AttachmentRow, oldBlobKey string) error {
	return o.execOne(ctx, "attachment", `UPDATE attachments SET name = $5, name_idx = $6, blob_key = $7
		WHERE tenant_id = $1 AND conversation_id = $2 AND id = $3 AND blob_key = $4`,
		idArg(a.TenantID), idArg(a.ConversationID), idArg(a.ID), oldBlobKey, sealedArg(a.Name), bytesArg(a.NameIndex), a.BlobKey)
}
