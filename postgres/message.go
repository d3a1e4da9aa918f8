package postgres

import (
	"bytes"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const messageColumns = `conversation_id, id, role, content, parts, author_name, start_offset, end_offset, metadata, created_at`

// scanMessage scans a row of messageColumns, then extra: the one place
// that scans messages.
func scanMessage(row pgx.Row, extra ...any) (*driver.MessageRow, error) {
	m := &driver.MessageRow{}
	var parts []byte
	var start, end *int64
	dest := append([]any{scanID(&m.ConversationID), scanID(&m.ID), &m.Role, scanSealed(&m.Content), scanBytes(&parts),
		scanSealed(&m.AuthorName), &start, &end, scanBytes(&m.Meta), &m.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	m.Parts, m.StartOffset, m.EndOffset, m.CreatedAt = parts, durationOf(start), durationOf(end), m.CreatedAt.UTC()
	return m, nil
}

func scanMessageRow(row pgx.Row) (*driver.MessageRow, error) { return scanMessage(row) }

func (o *ops) MessageGet(ctx context.Context, tenantID, conversationID, id convstore.ID) (*driver.MessageRow, error) {
	if conversationID.IsZero() {
		return one(ctx, o, "message", scanMessageRow,
			`SELECT `+messageColumns+` FROM messages WHERE tenant_id = $1 AND id = $2`+live("messages.tenant_id", "messages.conversation_id"), idArg(tenantID), idArg(id))
	}
	return one(ctx, o, "message", scanMessageRow,
		`SELECT `+messageColumns+` FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND id = $3`+live("$1", "$2"),
		idArg(tenantID), idArg(conversationID), idArg(id))
}

// MessageGetByExternalIndex finds the newest live message with the index
// (message_external_ids, 0022).
func (o *ops) MessageGetByExternalIndex(ctx context.Context, tenantID convstore.ID, idx []byte) (*driver.MessageRow, error) {
	return one(ctx, o, "message", scanMessageRow,
		`SELECT `+messageColumns+` FROM messages WHERE tenant_id = $1 AND (conversation_id, id) = (
			SELECT x.conversation_id, x.message_id FROM message_external_ids x WHERE x.tenant_id = $1 AND x.external_idx = $2`+
			live("x.tenant_id", "x.conversation_id")+` ORDER BY x.message_id DESC LIMIT 1)`,
		idArg(tenantID), bytesArg(idx))
}

// messageExternalInsert stores the external indexes of messages; those
// without one are skipped.
func (o *ops) messageExternalInsert(ctx context.Context, tenantID, conversationID convstore.ID, rows []driver.MessageIndex) error {
	var ids, idxs [][]byte
	for _, m := range rows {
		if m.ExternalIndex != nil {
			ids, idxs = append(ids, idBytes(m.ID)), append(idxs, m.ExternalIndex)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := o.exec(ctx, `INSERT INTO message_external_ids (tenant_id, conversation_id, message_id, external_idx)
		SELECT $1, $2, u.id, u.idx FROM unnest($3::bytea[], $4::bytea[]) AS u(id, idx)`,
		idArg(tenantID), idArg(conversationID), ids, idxs)
	return err
}

func (o *ops) MessageList(ctx context.Context, p *driver.MessageListParams) ([]*driver.MessageRow, error) {
	q := newQuery(`SELECT `+messageColumns+` FROM messages WHERE tenant_id = $1 AND conversation_id = $2`+live("$1", "$2"),
		idArg(p.TenantID), idArg(p.ConversationID))
	return list(ctx, o, q.page(p.Page), scanMessageRow)
}

// MessageCountIn passes the ids as one bytea[] argument: one statement
// text for any number of ids.
func (o *ops) MessageCountIn(ctx context.Context, tenantID, conversationID convstore.ID, ids []convstore.ID) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	return o.count(ctx, `SELECT count(*) FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND id = ANY ($3::bytea[])`+live("$1", "$2"),
		idArg(tenantID), idArg(conversationID), idsArg(ids))
}

// MessageListEnds reads every end in one statement: for each conversation
// (unnest of one array argument), two LATERAL subqueries ordered by id
// with a limit, each an index range scan of the primary key, so the cost
// follows the messages returned, not the conversations' sizes. Each
// conversation is checked once, by a join: a check in each subquery ran
// for each end, even the one with limit 0, and cost more than the ends.
func (o *ops) MessageListEnds(ctx context.Context, p *driver.MessageListEndsParams) (map[convstore.ID]*driver.MessageEnds, error) {
	out := map[convstore.ID]*driver.MessageEnds{}
	if len(p.ConversationIDs) == 0 || p.First <= 0 && p.Last <= 0 {
		return out, nil
	}
	rows, err := o.q.Query(ctx, `
		SELECT e.* FROM unnest($2::bytea[]) AS c(cid)
		JOIN conversations AS lc ON lc.tenant_id = $1 AND lc.id = c.cid AND NOT lc.deleted
		CROSS JOIN LATERAL (
			(SELECT `+messageColumns+`, false AS last FROM messages
			 WHERE tenant_id = $1 AND conversation_id = c.cid ORDER BY id ASC LIMIT $3)
			UNION ALL
			(SELECT `+messageColumns+`, true AS last FROM messages
			 WHERE tenant_id = $1 AND conversation_id = c.cid ORDER BY id DESC LIMIT $4)
		) AS e`,
		idArg(p.TenantID), idsArg(p.ConversationIDs), max(p.First, 0), max(p.Last, 0))
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	if err := scanEnds(rows, out); err != nil {
		return nil, o.fail(ctx, err)
	}
	return out, nil
}

// scanEnds reads rows of messageColumns and a "last" flag into out, by
// conversation, and closes rows.
func scanEnds(rows pgx.Rows, out map[convstore.ID]*driver.MessageEnds) error {
	defer rows.Close()
	for rows.Next() {
		var last bool
		m, err := scanMessage(rows, &last)
		if err != nil {
			return err
		}
		e := out[m.ConversationID]
		if e == nil {
			e = &driver.MessageEnds{}
			out[m.ConversationID] = e
		}
		if last {
			e.Last = append(e.Last, m)
		} else {
			e.First = append(e.First, m)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range out {
		slices.Reverse(e.Last) // read newest first
	}
	return nil
}

// MessageInsertMany inserts a batch in one statement, the rows given as
// parallel arrays: one round trip and one statement text whatever the
// batch's size.
func (o *ops) MessageInsertMany(ctx context.Context, p *driver.MessageInsertManyParams) error {
	n := len(p.Messages)
	if n == 0 {
		return nil
	}
	var (
		ids               = make([][]byte, n)
		roles             = make([]string, n)
		contents, parts   = make([][]byte, n), make([][]byte, n)
		authors, metadata = make([][]byte, n), make([][]byte, n)
		starts, ends      = make([]*int64, n), make([]*int64, n)
		times             = make([]time.Time, n)
	)
	for i, m := range p.Messages {
		ids[i], roles[i], contents[i], authors[i] = idBytes(m.ID), string(m.Role), sealedArg(m.Content), sealedArg(m.AuthorName)
		parts[i], metadata[i] = bytesArg(m.Parts), bytesArg(m.Meta)
		starts[i], ends[i], times[i] = durationArg(m.StartOffset), durationArg(m.EndOffset), m.CreatedAt
	}
	newest := 0
	for i := range ids {
		if bytes.Compare(ids[i], ids[newest]) > 0 {
			newest = i
		}
	}
	// The row keeps the batch's newest message if it is newer than the
	// one it keeps (see kept.go): the same statement, no round trip more.
	_, err := o.exec(ctx, `
		WITH ins AS (
			INSERT INTO messages (tenant_id, conversation_id, id, role, content, parts, author_name, start_offset, end_offset, metadata, created_at)
			SELECT $1, $2, u.id, u.role, u.content, u.parts, u.author_name, u.start_ns, u.end_ns, u.metadata, u.created_at
			FROM unnest($3::bytea[], $4::text[], $5::bytea[], $6::bytea[], $7::bytea[], $8::bigint[], $9::bigint[], $10::bytea[], $11::timestamptz[])
				AS u(id, role, content, parts, author_name, start_ns, end_ns, metadata, created_at))
		UPDATE conversations SET last_message_id = $12, last_start_offset = $13, last_end_offset = $14
		WHERE tenant_id = $1 AND id = $2 AND (last_message_id IS NULL OR last_message_id < $12)`,
		idArg(p.TenantID), idArg(p.ConversationID), ids, roles, contents, parts, authors, starts, ends, metadata, times,
		ids[newest], starts[newest], ends[newest])
	if err != nil {
		return err
	}
	var ext []driver.MessageIndex
	for _, m := range p.Messages {
		if m.ExternalIndex != nil {
			ext = append(ext, driver.MessageIndex{ID: m.ID, ExternalIndex: m.ExternalIndex})
		}
	}
	return o.messageExternalInsert(ctx, p.TenantID, p.ConversationID, ext)
}

func (o *ops) MessageDelete(ctx context.Context, tenantID, conversationID, id convstore.ID) error {
	// The row keeps the newest message left if it kept this one; the
	// statement's snapshot still has it, so it is left out by id.
	var n int
	err := o.q.QueryRow(ctx, `
		WITH gone AS (DELETE FROM messages WHERE tenant_id = $1 AND conversation_id = $2 AND id = $3 RETURNING id),
		kept AS (UPDATE conversations SET (last_message_id, last_start_offset, last_end_offset) =
				(SELECT id, start_offset, end_offset FROM messages
				 WHERE tenant_id = $1 AND conversation_id = $2 AND id <> $3 ORDER BY id DESC LIMIT 1)
			WHERE tenant_id = $1 AND id = $2 AND last_message_id = $3 AND EXISTS (SELECT 1 FROM gone) RETURNING 1)
		SELECT count(*) FROM gone`,
		idArg(tenantID), idArg(conversationID), idArg(id)).Scan(&n)
	if err != nil {
		return o.fail(ctx, err)
	}
	if n == 0 {
		return notFound(pgx.ErrNoRows, "message")
	}
	return nil
}
