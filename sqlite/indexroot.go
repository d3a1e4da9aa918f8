package sqlite

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Index roots: which root a conversation's blind indexes are under, and
// the re-index's rewrite of them (see driver.IndexRootTx).
var (
	qIndexRoot      = stmt(`SELECT index_root FROM conversations WHERE tenant_id = ? AND id = ?`)
	qIndexRootBelow = stmt(`SELECT count(*) FROM conversations WHERE index_root < ? AND deleted = 0`)
	qIndexRootSet   = stmt(`UPDATE conversations SET index_root = ? WHERE tenant_id = ? AND id = ?`)
	qIndexRootLower = stmt(`UPDATE conversations SET index_root = ?1 WHERE tenant_id = ?2 AND id = ?3 AND index_root > ?1`)
	qReindexConv    = stmt(`UPDATE conversations SET user_idx = ?, external_idx = ?, index_root = ? WHERE tenant_id = ? AND id = ?`)
	qReindexName    = stmt(`UPDATE attachments SET name_idx = ? WHERE tenant_id = ? AND conversation_id = ? AND id = ?`)
)

func (o *ops) ConversationIndexRoot(ctx context.Context, tenantID, id convstore.ID) (uint32, error) {
	var root uint32
	err := o.run.queryRow(ctx, qIndexRoot, idArg(tenantID), idArg(id)).Scan(&root)
	return root, o.db.notFound(err, "conversation")
}

func (o *ops) ConversationIndexRootBelow(ctx context.Context, root uint32) (int64, error) {
	var n int64
	err := o.run.queryRow(ctx, qIndexRootBelow, root).Scan(&n)
	return n, o.db.translate(err)
}

func (o *ops) ConversationIndexRootSet(ctx context.Context, tenantID, id convstore.ID, root uint32, lower bool) error {
	q := qIndexRootSet
	if lower {
		q = qIndexRootLower
	}
	_, err := o.run.exec(ctx, q, root, idArg(tenantID), idArg(id))
	return o.db.translate(err)
}

func (o *ops) ConversationReindex(ctx context.Context, p *driver.ConversationReindexParams) error {
	res, err := o.run.exec(ctx, qReindexConv, bytesArg(p.UserIndex), bytesArg(p.ExternalIndex), p.Root, idArg(p.TenantID), idArg(p.ID))
	if err := o.db.affectedOne(res, err, "conversation"); err != nil {
		return err
	}
	if _, err := o.run.exec(ctx, qMetaIndexDelete, idArg(p.TenantID), idArg(p.ID)); err != nil {
		return o.db.translate(err)
	}
	if err := o.metaIndexInsert(ctx, p.TenantID, p.ID, p.MetaIndex); err != nil {
		return err
	}
	for _, a := range p.Attachments {
		if _, err := o.run.exec(ctx, qReindexName, bytesArg(a.NameIndex), idArg(p.TenantID), idArg(p.ID), idArg(a.ID)); err != nil {
			return o.db.translate(err)
		}
	}
	if _, err := o.run.exec(ctx, qMessageExternalDelete, idArg(p.TenantID), idArg(p.ID)); err != nil {
		return o.db.translate(err)
	}
	return o.messageExternalInsert(ctx, p.TenantID, p.ID, p.Messages)
}
