package postgres

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Index roots: which root a conversation's blind indexes are under, and
// the re-index's rewrite of them (see driver.IndexRootTx).

func (o *ops) ConversationIndexRoot(ctx context.Context, tenantID, id convstore.ID) (uint32, error) {
	var root int64
	err := o.q.QueryRow(ctx, `SELECT index_root FROM conversations WHERE tenant_id = $1 AND id = $2`,
		idArg(tenantID), idArg(id)).Scan(&root)
	return uint32(root), o.notFound(ctx, err, "conversation")
}

func (o *ops) ConversationIndexRootBelow(ctx context.Context, root uint32) (int64, error) {
	var n int64
	err := o.q.QueryRow(ctx, `SELECT count(*) FROM conversations WHERE index_root < $1 AND NOT deleted`, int64(root)).Scan(&n)
	if err != nil {
		return 0, o.fail(ctx, err)
	}
	return n, nil
}

func (o *ops) ConversationIndexRootSet(ctx context.Context, tenantID, id convstore.ID, root uint32, lower bool) error {
	sql := `UPDATE conversations SET index_root = $3 WHERE tenant_id = $1 AND id = $2`
	if lower {
		sql += ` AND index_root > $3`
	}
	_, err := o.exec(ctx, sql, idArg(tenantID), idArg(id), int64(root))
	return err
}

func (o *ops) ConversationReindex(ctx context.Context, p *driver.ConversationReindexParams) error {
	err := o.execOne(ctx, "conversation", `UPDATE conversations SET user_idx = $3, external_idx = $4, index_root = $5
		WHERE tenant_id = $1 AND id = $2`,
		idArg(p.TenantID), idArg(p.ID), bytesArg(p.UserIndex), bytesArg(p.ExternalIndex), int64(p.Root))
	if err != nil {
		return err
	}
	if _, err := o.exec(ctx, `DELETE FROM conversation_meta_index WHERE tenant_id = $1 AND conversation_id = $2`,
		idArg(p.TenantID), idArg(p.ID)); err != nil {
		return err
	}
	if err := o.metaIndexInsert(ctx, p.TenantID, p.ID, p.MetaIndex); err != nil {
		return err
	}
	if _, err := o.exec(ctx, `DELETE FROM message_external_ids WHERE tenant_id = $1 AND conversation_id = $2`,
		idArg(p.TenantID), idArg(p.ID)); err != nil {
		return err
	}
	if err := o.messageExternalInsert(ctx, p.TenantID, p.ID, p.Messages); err != nil {
		return err
	}
	if len(p.Attachments) == 0 {
		return nil
	}
	ids, names := make([][]byte, len(p.Attachments)), make([][]byte, len(p.Attachments))
	for i, a := range p.Attachments {
		ids[i], names[i] = idBytes(a.ID), bytesArg(a.NameIndex)
	}
	_, err = o.exec(ctx, `UPDATE attachments a SET name_idx = u.name_idx
		FROM unnest($3::bytea[], $4::bytea[]) AS u(id, name_idx)
		WHERE a.tenant_id = $1 AND a.conversation_id = $2 AND a.id = u.id`,
		idArg(p.TenantID), idArg(p.ID), ids, names)
	return err
}
