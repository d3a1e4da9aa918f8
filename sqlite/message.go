package sqlite

import (
	"context"
	"slices"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const messageColumns = `id, conversation_id, role, content, parts, author_name, start_offset, end_offset, metadata, created_at`

var (
	qMessageGet    = stmt(`SELECT ` + messageColumns + ` FROM messages WHERE tenant_id = ? AND conversation_id = ? AND id = ?`)
	qMessageGetAny = stmt(`SELECT ` + messageColumns + ` FROM messages WHERE tenant_id = ? AND id = ?`)
	qMessageList   = pagedStmt(`SELECT ` + messageColumns + ` FROM messages WHERE tenant_id = ? AND conversation_id = ?`)
	qMessageInsert = stmt(`INSERT INTO messages
		(id, tenant_id, conversation_id, role, content, parts, author_name, start_offset, end_offset, metadata, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qMessageDelete = stmt(`DELETE FROM messages WHERE tenant_id = ? AND conversation_id = ? AND id = ?`)
)

// scanMessage scans a row of messageColumns, then extra: the one place
// that scans messages.
func scanMessage(row scanner, extra ...any) (*driver.MessageRow, error) {
	m := &driver.MessageRow{}
	var role string
	dst := append([]any{idScan{&m.ID}, idScan{&m.ConversationID}, &role, sealedScan{&m.Content}, jsonScan{&m.Parts},
		sealedScan{&m.AuthorName}, durationScan{&m.StartOffset}, durationScan{&m.EndOffset}, bytesScan{&m.Meta},
		timeScan{&m.CreatedAt}}, extra...)
	if err := row.Scan(dst...); err != nil {
		return nil, err
	}
	m.Role = convstore.Role(role)
	return m, nil
}

func scanMessageRow(row scanner) (*driver.MessageRow, error) { return scanMessage(row) }

func (o *ops) MessageGet(ctx context.Context, tenantID, conversationID, id convstore.ID) (*driver.MessageRow, error) {
	if conversationID.IsZero() {
		return one(ctx, o, qMessageGetAny, []any{idArg(tenantID), idArg(id)}, "message", scanMessageRow)
	}
	return one(ctx, o, qMessageGet, []any{idArg(tenantID), idArg(conversationID), idArg(id)}, "message", scanMessageRow)
}

func (o *ops) MessageList(ctx context.Context, p *driver.MessageListParams) ([]*driver.MessageRow, error) {
	q, args := qMessageList.sql(p.Page, []any{idArg(p.TenantID), idArg(p.ConversationID)})
	return list(ctx, o, q, args, scanMessageRow)
}

func (o *ops) MessageCountIn(ctx context.Context, tenantID, conversationID convstore.ID, ids []convstore.ID) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := []any{idArg(tenantID), idArg(conversationID)}
	for _, id := range ids {
		args = append(args, idArg(id))
	}
	var n int
	err := o.run.queryRow(ctx, `SELECT count(*) FROM messages WHERE tenant_id = ? AND conversation_id = ?
		AND id IN (`+placeholders(len(ids))+`)`, args...).Scan(&n)
	return n, o.db.translate(err)
}

// MessageListEnds reads every end in one compound statement: per
// conversation, a subquery ordered by id with a limit, each an index range
// scan, so the cost follows the messages returned, not the conversations'
// sizes.
func (o *ops) MessageListEnds(ctx context.Context, p *driver.MessageListEndsParams) (map[convstore.ID]*driver.MessageEnds, error) {
	out := map[convstore.ID]*driver.MessageEnds{}
	if len(p.ConversationIDs) == 0 || p.First <= 0 && p.Last <= 0 {
		return out, nil
	}
	var parts []string
	var args []any
	part := func(end int, order string, limit int, id convstore.ID) {
		parts = append(parts, `SELECT * FROM (SELECT `+messageColumns+`, `+string(rune('0'+end))+
			` FROM messages WHERE tenant_id = ? AND conversation_id = ? ORDER BY id `+order+` LIMIT ?)`)
		args = append(args, idArg(p.TenantID), idArg(id), limit)
	}
	for _, id := range p.ConversationIDs {
		if p.First > 0 {
			part(0, "ASC", p.First, id)
		}
		if p.Last > 0 {
			part(1, "DESC", p.Last, id)
		}
	}
	rows, err := o.run.query(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var end int
		m, err := scanMessage(rows, &end)
		if err != nil {
			return nil, o.db.translate(err)
		}
		e := out[m.ConversationID]
		if e == nil {
			e = &driver.MessageEnds{}
			out[m.ConversationID] = e
		}
		if end == 0 {
			e.First = append(e.First, m)
		} else {
			e.Last = append(e.Last, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, o.db.translate(err)
	}
	for _, e := range out {
		slices.Reverse(e.Last) // read newest first
	}
	return out, nil
}

func (o *ops) MessageInsertMany(ctx context.Context, p *driver.MessageInsertManyParams) error {
	for _, m := range p.Messages {
		if _, err := o.run.exec(ctx, qMessageInsert, idArg(m.ID), idArg(p.TenantID), idArg(p.ConversationID), string(m.Role),
			sealedArg(m.Content), jsonArg(m.Parts), sealedArg(m.AuthorName), durationArg(m.StartOffset),
			durationArg(m.EndOffset), bytesArg(m.Meta), micros(m.CreatedAt)); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}

func (o *ops) MessageDelete(ctx context.Context, tenantID, conversationID, id convstore.ID) error {
	res, err := o.run.exec(ctx, qMessageDelete, idArg(tenantID), idArg(conversationID), idArg(id))
	return o.db.affectedOne(res, err, "message")
}
