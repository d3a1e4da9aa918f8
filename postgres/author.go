package postgres

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// AuthorList reads every conversation's rows in one statement, the
// conversations one bytea[] argument.
func (o *ops) AuthorList(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) (map[convstore.ID][]*driver.AuthorRow, error) {
	out := map[convstore.ID][]*driver.AuthorRow{}
	if len(conversationIDs) == 0 {
		return out, nil
	}
	rows, err := o.q.Query(ctx, `SELECT conversation_id, message_id, name, user_id FROM conversation_authors
		WHERE tenant_id = $1 AND conversation_id = ANY ($2::bytea[])
		AND EXISTS (SELECT 1 FROM conversations AS c WHERE c.id = conversation_id AND NOT c.deleted) ORDER BY conversation_id, message_id`,
		idArg(tenantID), idsArg(conversationIDs))
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	defer rows.Close()
	for rows.Next() {
		var conv convstore.ID
		a := &driver.AuthorRow{}
		if err := rows.Scan(scanID(&conv), scanID(&a.MessageID), scanSealed(&a.Name), scanSealed(&a.UserID)); err != nil {
			return nil, o.fail(ctx, err)
		}
		out[conv] = append(out[conv], a)
	}
	return out, o.fail(ctx, rows.Err())
}

func (o *ops) AuthorPendingIn(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) ([]convstore.ID, error) {
	if len(conversationIDs) == 0 {
		return nil, nil
	}
	rows, err := o.q.Query(ctx, `SELECT conversation_id FROM conversation_authors_pending
		WHERE tenant_id = $1 AND conversation_id = ANY ($2::bytea[])
		AND EXISTS (SELECT 1 FROM conversations AS c WHERE c.id = conversation_id AND NOT c.deleted)`, idArg(tenantID), idsArg(conversationIDs))
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	defer rows.Close()
	var out []convstore.ID
	for rows.Next() {
		var id convstore.ID
		if err := rows.Scan(scanID(&id)); err != nil {
			return nil, o.fail(ctx, err)
		}
		out = append(out, id)
	}
	return out, o.fail(ctx, rows.Err())
}

// AuthorInsert inserts the rows in one statement, given as parallel
// arrays, as MessageInsertMany does.
func (o *ops) AuthorInsert(ctx context.Context, tenantID, conversationID convstore.ID, rows []*driver.AuthorRow) error {
	if len(rows) == 0 {
		return nil
	}
	ids, names, users := make([][]byte, len(rows)), make([][]byte, len(rows)), make([][]byte, len(rows))
	for i, a := range rows {
		ids[i], names[i], users[i] = idBytes(a.MessageID), sealedArg(a.Name), sealedArg(a.UserID)
	}
	_, err := o.exec(ctx, `INSERT INTO conversation_authors (tenant_id, conversation_id, message_id, name, user_id)
		SELECT $1, $2, u.id, u.name, u.user_id FROM unnest($3::bytea[], $4::bytea[], $5::bytea[]) AS u(id, name, user_id)
		ON CONFLICT DO NOTHING`, idArg(tenantID), idArg(conversationID), ids, names, users)
	return err
}

func (o *ops) AuthorDelete(ctx context.Context, tenantID, conversationID, messageID convstore.ID) (bool, error) {
	n, err := o.exec(ctx, `DELETE FROM conversation_authors WHERE tenant_id = $1 AND conversation_id = $2 AND message_id = $3`,
		idArg(tenantID), idArg(conversationID), idArg(messageID))
	return n > 0, err
}

// AuthorPendingClaim locks the conversations it returns FOR NO KEY UPDATE
// (as LockUpdate; appends and deletes wait), skipping those another
// node's backfill, or a write, holds: nodes backfill side by side, each
// its own conversations, and none waits on a busy one. The pending row is
// locked too: a conversation whose lock was released by a node that has
// just backfilled it is not re-checked (its row did not change), but its
// deleted pending row is, so no node backfills it a second time.
func (o *ops) AuthorPendingClaim(ctx context.Context, limit int) ([]driver.PendingAuthors, error) {
	rows, err := o.q.Query(ctx, `SELECT p.tenant_id, p.conversation_id FROM conversation_authors_pending AS p
		JOIN conversations AS c ON c.tenant_id = p.tenant_id AND c.id = p.conversation_id
		WHERE NOT c.deleted ORDER BY p.tenant_id, p.conversation_id LIMIT $1
		FOR NO KEY UPDATE OF c SKIP LOCKED FOR UPDATE OF p SKIP LOCKED`, limit)
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	defer rows.Close()
	var out []driver.PendingAuthors
	for rows.Next() {
		var p driver.PendingAuthors
		if err := rows.Scan(scanID(&p.TenantID), scanID(&p.ConversationID)); err != nil {
			return nil, o.fail(ctx, err)
		}
		out = append(out, p)
	}
	return out, o.fail(ctx, rows.Err())
}

func (o *ops) AuthorBackfill(ctx context.Context, tenantID, conversationID convstore.ID, rows []*driver.AuthorRow) error {
	if _, err := o.exec(ctx, `DELETE FROM conversation_authors WHERE tenant_id = $1 AND conversation_id = $2`,
		idArg(tenantID), idArg(conversationID)); err != nil {
		return err
	}
	if err := o.AuthorInsert(ctx, tenantID, conversationID, rows); err != nil {
		return err
	}
	_, err := o.exec(ctx, `DELETE FROM conversation_authors_pending WHERE tenant_id = $1 AND conversation_id = $2`,
		idArg(tenantID), idArg(conversationID))
	return err
}

// MessageIDPendingClaim claims as AuthorPendingClaim does: nodes backfill
// side by side, each its own conversations.
func (o *ops) MessageIDPendingClaim(ctx context.Context, limit int) ([]driver.PendingAuthors, error) {
	rows, err := o.q.Query(ctx, `SELECT p.tenant_id, p.conversation_id FROM message_ids_pending AS p
		JOIN conversations AS c ON c.tenant_id = p.tenant_id AND c.id = p.conversation_id
		WHERE NOT c.deleted ORDER BY p.tenant_id, p.conversation_id LIMIT $1
		FOR NO KEY UPDATE OF c SKIP LOCKED FOR UPDATE OF p SKIP LOCKED`, limit)
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	defer rows.Close()
	var out []driver.PendingAuthors
	for rows.Next() {
		var p driver.PendingAuthors
		if err := rows.Scan(scanID(&p.TenantID), scanID(&p.ConversationID)); err != nil {
			return nil, o.fail(ctx, err)
		}
		out = append(out, p)
	}
	return out, o.fail(ctx, rows.Err())
}

func (o *ops) MessageIDBackfill(ctx context.Context, tenantID, conversationID convstore.ID, rows []driver.MessageIndex) error {
	if _, err := o.exec(ctx, `DELETE FROM message_external_ids WHERE tenant_id = $1 AND conversation_id = $2`,
		idArg(tenantID), idArg(conversationID)); err != nil {
		return err
	}
	if err := o.messageExternalInsert(ctx, tenantID, conversationID, rows); err != nil {
		return err
	}
	_, err := o.exec(ctx, `DELETE FROM message_ids_pending WHERE tenant_id = $1 AND conversation_id = $2`,
		idArg(tenantID), idArg(conversationID))
	return err
}
