package sqlite

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// The conversations of an author read are one JSON array of hex ids
// (json_each), as ranged lists pass theirs: one statement text, prepared
// once, for any number of conversations. CROSS JOIN keeps the array the
// outer loop (SQLite never reorders it), each id one primary key search:
// left free, the planner scanned the table in key order to save a sort,
// matching every row against every id. A deleted conversation's rows
// (left for the purge) are not read.
var (
	qAuthorList = stmt(`SELECT a.conversation_id, a.message_id, a.name, a.user_id FROM json_each(?) AS r
		CROSS JOIN conversation_authors AS a WHERE a.tenant_id = ? AND a.conversation_id = unhex(r.value)
		AND EXISTS (SELECT 1 FROM conversations AS c WHERE c.id = a.conversation_id AND c.deleted = 0)`)
	qAuthorPending = stmt(`SELECT p.conversation_id FROM json_each(?) AS r
		CROSS JOIN conversation_authors_pending AS p WHERE p.tenant_id = ? AND p.conversation_id = unhex(r.value)
		AND EXISTS (SELECT 1 FROM conversations AS c WHERE c.id = p.conversation_id AND c.deleted = 0)`)
	qAuthorInsert = stmt(`INSERT INTO conversation_authors (tenant_id, conversation_id, message_id, name, user_id)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
	qAuthorDelete = stmt(`DELETE FROM conversation_authors WHERE tenant_id = ? AND conversation_id = ? AND message_id = ?`)
)

// hexIDs is ids as a JSON array of hex strings.
func hexIDs(ids []convstore.ID) (string, error) {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = hex.EncodeToString(idArg(id))
	}
	b, err := json.Marshal(s)
	return string(b), err
}

func (o *ops) AuthorList(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) (map[convstore.ID][]*driver.AuthorRow, error) {
	out := map[convstore.ID][]*driver.AuthorRow{}
	if len(conversationIDs) == 0 {
		return out, nil
	}
	js, err := hexIDs(conversationIDs)
	if err != nil {
		return nil, err
	}
	rows, err := o.run.query(ctx, qAuthorList, js, idArg(tenantID))
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var conv convstore.ID
		a := &driver.AuthorRow{}
		if err := rows.Scan(idScan{&conv}, idScan{&a.MessageID}, sealedScan{&a.Name}, sealedScan{&a.UserID}); err != nil {
			return nil, o.db.translate(err)
		}
		out[conv] = append(out[conv], a)
	}
	if err := rows.Err(); err != nil {
		return nil, o.db.translate(err)
	}
	for _, as := range out {
		slices.SortFunc(as, func(x, y *driver.AuthorRow) int { return bytes.Compare(x.MessageID[:], y.MessageID[:]) })
	}
	return out, nil
}

func (o *ops) AuthorPendingIn(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) ([]convstore.ID, error) {
	if len(conversationIDs) == 0 {
		return nil, nil
	}
	js, err := hexIDs(conversationIDs)
	if err != nil {
		return nil, err
	}
	rows, err := o.run.query(ctx, qAuthorPending, js, idArg(tenantID))
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	var out []convstore.ID
	for rows.Next() {
		var id convstore.ID
		if err := rows.Scan(idScan{&id}); err != nil {
			return nil, o.db.translate(err)
		}
		out = append(out, id)
	}
	return out, o.db.translate(rows.Err())
}

func (o *ops) AuthorInsert(ctx context.Context, tenantID, conversationID convstore.ID, rows []*driver.AuthorRow) error {
	for _, a := range rows {
		if _, err := o.run.exec(ctx, qAuthorInsert, idArg(tenantID), idArg(conversationID), idArg(a.MessageID),
			sealedArg(a.Name), sealedArg(a.UserID)); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}

func (o *ops) AuthorDelete(ctx context.Context, tenantID, conversationID, messageID convstore.ID) (bool, error) {
	res, err := o.run.exec(ctx, qAuthorDelete, idArg(tenantID), idArg(conversationID), idArg(messageID))
	if err != nil {
		return false, o.db.translate(err)
	}
	n, err := res.RowsAffected()
	return n > 0, o.db.translate(err)
}

// Backfilling the authors of conversations stored before their rows were
// kept: one writer, so the claim needs no lock of its own.
var (
	qAuthorPendingClaim = stmt(`SELECT p.tenant_id, p.conversation_id FROM conversation_authors_pending AS p
		JOIN conversations AS c ON c.tenant_id = p.tenant_id AND c.id = p.conversation_id
		WHERE c.deleted = 0 ORDER BY p.tenant_id, p.conversation_id LIMIT ?`)
	qAuthorDeleteAll  = stmt(`DELETE FROM conversation_authors WHERE tenant_id = ? AND conversation_id = ?`)
	qAuthorPendingEnd = stmt(`DELETE FROM conversation_authors_pending WHERE tenant_id = ? AND conversation_id = ?`)
)

func (o *ops) AuthorPendingClaim(ctx context.Context, limit int) ([]driver.PendingAuthors, error) {
	rows, err := o.run.query(ctx, qAuthorPendingClaim, limit)
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	var out []driver.PendingAuthors
	for rows.Next() {
		var p driver.PendingAuthors
		if err := rows.Scan(idScan{&p.TenantID}, idScan{&p.ConversationID}); err != nil {
			return nil, o.db.translate(err)
		}
		out = append(out, p)
	}
	return out, o.db.translate(rows.Err())
}

func (o *ops) AuthorBackfill(ctx context.Context, tenantID, conversationID convstore.ID, rows []*driver.AuthorRow) error {
	if _, err := o.run.exec(ctx, qAuthorDeleteAll, idArg(tenantID), idArg(conversationID)); err != nil {
		return o.db.translate(err)
	}
	if err := o.AuthorInsert(ctx, tenantID, conversationID, rows); err != nil {
		return err
	}
	_, err := o.run.exec(ctx, qAuthorPendingEnd, idArg(tenantID), idArg(conversationID))
	return o.db.translate(err)
}

// Backfilling the external ids of messages stored before migration 0025
// (the Inkeep door's "inkeep.id"), as the authors: one writer.
var (
	qMessageIDPendingClaim = stmt(`SELECT p.tenant_id, p.conversation_id FROM message_ids_pending AS p
		JOIN conversations AS c ON c.tenant_id = p.tenant_id AND c.id = p.conversation_id
		WHERE c.deleted = 0 ORDER BY p.tenant_id, p.conversation_id LIMIT ?`)
	qMessageIDPendingEnd = stmt(`DELETE FROM message_ids_pending WHERE tenant_id = ? AND conversation_id = ?`)
)

func (o *ops) MessageIDPendingClaim(ctx context.Context, limit int) ([]driver.PendingAuthors, error) {
	rows, err := o.run.query(ctx, qMessageIDPendingClaim, limit)
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	var out []driver.PendingAuthors
	for rows.Next() {
		var p driver.PendingAuthors
		if err := rows.Scan(idScan{&p.TenantID}, idScan{&p.ConversationID}); err != nil {
			return nil, o.db.translate(err)
		}
		out = append(out, p)
	}
	return out, o.db.translate(rows.Err())
}

func (o *ops) MessageIDBackfill(ctx context.Context, tenantID, conversationID convstore.ID, rows []driver.MessageIndex) error {
	if _, err := o.run.exec(ctx, qMessageExternalDelete, idArg(tenantID), idArg(conversationID)); err != nil {
		return o.db.translate(err)
	}
	if err := o.messageExternalInsert(ctx, tenantID, conversationID, rows); err != nil {
		return err
	}
	_, err := o.run.exec(ctx, qMessageIDPendingEnd, idArg(tenantID), idArg(conversationID))
	return o.db.translate(err)
}
