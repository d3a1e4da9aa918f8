package sqlite

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const messageColumns = `id, conversation_id, role, content, parts, author_name, start_offset, end_offset, metadata, created_at`

var (
	qMessageGet    = stmt(`SELECT ` + messageColumns + ` FROM messages WHERE tenant_id = ? AND conversation_id = ? AND id = ?` + live("messages"))
	qMessageGetAny = stmt(`SELECT ` + messageColumns + ` FROM messages WHERE tenant_id = ? AND id = ?` + live("messages"))
	qMessageList   = pagedStmt(`SELECT ` + messageColumns + ` FROM messages WHERE tenant_id = ? AND conversation_id = ?` + live("messages"))
	qMessageInsert = stmt(`INSERT INTO messages
		(id, tenant_id, conversation_id, role, content, parts, author_name, start_offset, end_offset, metadata, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qMessageDelete = stmt(`DELETE FROM messages WHERE tenant_id = ? AND conversation_id = ? AND id = ?`)
	// Message external ids (0022): a row goes with its message.
	qMessageExternalInsert = stmt(`INSERT INTO message_external_ids (message_id, tenant_id, conversation_id, external_idx) VALUES (?, ?, ?, ?)`)
	qMessageExternalDelete = stmt(`DELETE FROM message_external_ids WHERE tenant_id = ? AND conversation_id = ?`)
	qMessageByExternal     = stmt(`SELECT ` + messageColumns + ` FROM messages WHERE id = (
		SELECT x.message_id FROM message_external_ids x WHERE x.tenant_id = ? AND x.external_idx = ?
		AND EXISTS (SELECT 1 FROM conversations AS lc WHERE lc.id = x.conversation_id AND lc.deleted = 0)
		ORDER BY x.message_id DESC LIMIT 1)`)
)

// messageExternalInsert stores the external indexes of messages.
func (o *ops) messageExternalInsert(ctx context.Context, tenantID, conversationID convstore.ID, rows []driver.MessageIndex) error {
	for _, m := range rows {
		if m.ExternalIndex == nil {
			continue
		}
		if _, err := o.run.exec(ctx, qMessageExternalInsert, idArg(m.ID), idArg(tenantID), idArg(conversationID), bytesArg(m.ExternalIndex)); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}

func (o *ops) MessageGetByExternalIndex(ctx context.Context, tenantID convstore.ID, idx []byte) (*driver.MessageRow, error) {
	return one(ctx, o, qMessageByExternal, []any{idArg(tenantID), bytesArg(idx)}, "message", scanMessageRow)
}

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
		AND id IN (`+placeholders(len(ids))+`)`+live("messages"), args...).Scan(&n)
	return n, o.db.translate(err)
}

// qMessageEnds read the first (ASC) or last (DESC) messages of each
// conversation of a JSON array of hex ids, as ranged lists do (see
// listRanges): fixed statements, prepared once, each conversation an
// index range search with the one limit.
var qMessageEnds = [2]string{messageEndsSQL("ASC"), messageEndsSQL("DESC")}

func messageEndsSQL(dir string) string {
	return stmt(`SELECT m.` + strings.ReplaceAll(messageColumns, ", ", ", m.") + ` FROM json_each(?) AS r JOIN messages AS m
		ON m.rowid IN (SELECT rowid FROM messages WHERE tenant_id = ? AND conversation_id = unhex(r.value)` + live("messages") + ` ORDER BY id ` + dir + ` LIMIT ?)`)
}

// MessageListEnds reads the first and the last messages in one fixed
// statement each.
func (o *ops) MessageListEnds(ctx context.Context, p *driver.MessageListEndsParams) (map[convstore.ID]*driver.MessageEnds, error) {
	out := map[convstore.ID]*driver.MessageEnds{}
	if len(p.ConversationIDs) == 0 || p.First <= 0 && p.Last <= 0 {
		return out, nil
	}
	ids := make([]string, len(p.ConversationIDs))
	for i, id := range p.ConversationIDs {
		ids[i] = hex.EncodeToString(idArg(id))
	}
	js, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	for end, limit := range []int{p.First, p.Last} {
		if limit <= 0 {
			continue
		}
		err := o.rangeRows(ctx, qMessageEnds[end], string(js), idArg(p.TenantID), limit, func(row scanner) error {
			m, err := scanMessage(row)
			if err != nil {
				return err
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
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	byID := func(a, b *driver.MessageRow) int { return bytes.Compare(a.ID[:], b.ID[:]) }
	for _, e := range out { // rows come in rowid order: put them oldest first
		slices.SortFunc(e.First, byID)
		slices.SortFunc(e.Last, byID)
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
		if m.ExternalIndex != nil {
			if err := o.messageExternalInsert(ctx, p.TenantID, p.ConversationID, []driver.MessageIndex{{ID: m.ID, ExternalIndex: m.ExternalIndex}}); err != nil {
				return err
			}
		}
	}
	return o.keepLast(ctx, p.TenantID, p.ConversationID, p.Messages)
}

func (o *ops) MessageDelete(ctx context.Context, tenantID, conversationID, id convstore.ID) error {
	res, err := o.run.exec(ctx, qMessageDelete, idArg(tenantID), idArg(conversationID), idArg(id))
	if err := o.db.affectedOne(res, err, "message"); err != nil {
		return err
	}
	_, err = o.run.exec(ctx, qKeptLastAgain, idArg(tenantID), idArg(conversationID), idArg(id))
	return o.db.translate(err)
}
