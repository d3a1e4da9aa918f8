package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// batcher is a transaction, which sends several statements at once.
type batcher interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// digestPage starts a statement over the conversations of p's page (its
// filter and page, as ConversationList selects them): a CTE "page" of
// their ids and deleted flags, which the caller continues.
func digestPage(p *driver.ConversationListParams) *query {
	q := conversationQuery(`WITH page AS (SELECT id, deleted FROM conversations`, p).page(p.Page)
	q.sql.WriteString(`) `)
	return q
}

// ConversationDigestList reads a digest of at most a message from each
// end without authors in one statement (see digestOneRow); any other, it
// sends the list, the ends, the newest artifacts and the authors in one
// batch: one round trip, where three statements in turn cost three,
// which is what a list view paid beyond the native list. The ends and the
// artifacts select their conversations by the list's own filter and page
// (a CTE) rather than by its rows, so they need not wait for them; the
// transaction's snapshot makes the three agree, and the page's index scan
// run again costs less than a round trip. The ends and artifacts are
// those of MessageListEnds and ArtifactNewest: an index search with a
// limit per conversation (and type).
//
// Outside a transaction the batch opens and commits one of its own
// (REPEATABLE READ, READ ONLY, as Read's), so the whole read is a single
// round trip like a native list's one statement: BEGIN and COMMIT sent
// apart would cost two more.
func (o *ops) ConversationDigestList(ctx context.Context, p *driver.ConversationDigestListParams) (*driver.ConversationDigestRows, error) {
	if oneRowDigest(p) {
		return o.digestOneRow(ctx, p)
	}
	if b, ok := o.q.(batcher); ok {
		out, err := digestBatch(ctx, b, p, false)
		if err != nil {
			return nil, o.fail(ctx, err)
		}
		return out, nil
	}
	s, ok := o.q.(statements)
	if !ok {
		return driver.DigestInTurn(ctx, o, p)
	}
	out, err := s.digest(ctx, false, p)
	if err != nil && s.again(ctx, err) { // a read: safe to run again
		out, err = s.digest(ctx, true, p)
	}
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	return out, nil
}

// digest runs the batch of ConversationDigestList in a transaction of its
// own on a connection of the pool.
func (s statements) digest(ctx context.Context, fresh bool, p *driver.ConversationDigestListParams) (*driver.ConversationDigestRows, error) {
	conn, err := s.conn(ctx, fresh)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	out, err := digestBatch(ctx, conn, p, true)
	if err != nil && conn.Conn().PgConn().TxStatus() != 'I' {
		// The batch failed inside its transaction, which COMMIT, skipped,
		// left open: end it before the connection goes back (the pool
		// would otherwise close it).
		_, _ = conn.Exec(ctx, "ROLLBACK")
	}
	return out, err
}

// digestBatch sends the statements of ConversationDigestList to b, inside
// BEGIN and COMMIT if own, and reads their rows.
func digestBatch(ctx context.Context, b batcher, p *driver.ConversationDigestListParams, own bool) (*driver.ConversationDigestRows, error) {
	list := conversationQuery(`SELECT `+listColumns(&p.List)+` FROM conversations`, &p.List).page(p.List.Page)
	batch := &pgx.Batch{}
	if own {
		batch.Queue("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
	}
	batch.Queue(list.sql.String(), list.args...)
	wantEnds := p.First > 0 || p.Last > 0
	if wantEnds {
		q := digestPage(&p.List)
		first, last := q.arg(max(p.First, 0)), q.arg(max(p.Last, 0))
		q.sql.WriteString(`SELECT e.* FROM page AS c CROSS JOIN LATERAL (
			(SELECT ` + messageColumns + `, false AS last FROM messages
			 WHERE tenant_id = $1 AND conversation_id = c.id ORDER BY id ASC LIMIT ` + first + `)
			UNION ALL
			(SELECT ` + messageColumns + `, true AS last FROM messages
			 WHERE tenant_id = $1 AND conversation_id = c.id ORDER BY id DESC LIMIT ` + last + `)
		) AS e WHERE NOT c.deleted`)
		batch.Queue(q.sql.String(), q.args...)
	}
	if len(p.Types) > 0 {
		types := make([]string, len(p.Types))
		for k, t := range p.Types {
			types[k] = string(t)
		}
		q := digestPage(&p.List)
		q.sql.WriteString(`SELECT a.*, t.k FROM page AS c CROSS JOIN unnest(` + q.arg(types) + `::text[]) WITH ORDINALITY AS t(typ, k)
			CROSS JOIN LATERAL (SELECT ` + artifactColumns + ` FROM artifacts
				WHERE tenant_id = $1 AND conversation_id = c.id AND type = t.typ ORDER BY id DESC LIMIT 1) AS a
			WHERE NOT c.deleted`)
		batch.Queue(q.sql.String(), q.args...)
	}
	if p.Authors {
		// As AuthorList and AuthorPendingIn, over the page.
		q := digestPage(&p.List)
		q.sql.WriteString(`SELECT a.conversation_id, a.message_id, a.name, a.user_id FROM page AS c
			JOIN conversation_authors AS a ON a.tenant_id = $1 AND a.conversation_id = c.id
			WHERE NOT c.deleted ORDER BY a.conversation_id, a.message_id`)
		batch.Queue(q.sql.String(), q.args...)
		q = digestPage(&p.List)
		q.sql.WriteString(`SELECT w.conversation_id FROM page AS c
			JOIN conversation_authors_pending AS w ON w.tenant_id = $1 AND w.conversation_id = c.id
			WHERE NOT c.deleted`)
		batch.Queue(q.sql.String(), q.args...)
	}
	if own {
		batch.Queue("COMMIT")
	}
	out := &driver.ConversationDigestRows{Ends: map[convstore.ID]*driver.MessageEnds{}}
	br := b.SendBatch(ctx, batch)
	err := func() error {
		if own {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		out.Conversations = []*driver.ConversationRow{}
		scan := scanConversation
		if keptOn(&p.List) {
			scan = scanConversationKept
		}
		for rows.Next() {
			c, err := scan(rows)
			if err != nil {
				rows.Close()
				return err
			}
			out.Conversations = append(out.Conversations, c)
		}
		if rows.Close(); rows.Err() != nil {
			return rows.Err()
		}
		if wantEnds {
			if rows, err = br.Query(); err != nil {
				return err
			}
			if err := scanEnds(rows, out.Ends); err != nil {
				return err
			}
		}
		if len(p.Types) > 0 {
			if err := scanNewest(br, out, len(p.Types)); err != nil {
				return err
			}
		}
		if p.Authors {
			if err := scanDigestAuthors(br, out); err != nil {
				return err
			}
		}
		if own {
			_, err = br.Exec()
		}
		return err
	}()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scanNewest reads the newest artifacts' rows of a digest batch into
// out.Newest, by conversation.
func scanNewest(br pgx.BatchResults, out *driver.ConversationDigestRows, types int) error {
	at := make(map[convstore.ID]int, len(out.Conversations))
	out.Newest = make([][]*convstore.Artifact, len(out.Conversations))
	for i, c := range out.Conversations {
		at[c.ID] = i
		out.Newest[i] = make([]*convstore.Artifact, types)
	}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k int64
		a, err := scanArtifact(rows, &k)
		if err != nil {
			return err
		}
		if i, ok := at[a.ConversationID]; ok {
			out.Newest[i][k-1] = a
		}
	}
	return rows.Err()
}

// scanDigestAuthors reads the author rows and pending marks of a digest
// batch into out.
func scanDigestAuthors(br pgx.BatchResults, out *driver.ConversationDigestRows) error {
	out.Authors = map[convstore.ID][]*driver.AuthorRow{}
	rows, err := br.Query()
	if err != nil {
		return err
	}
	for rows.Next() {
		var conv convstore.ID
		a := &driver.AuthorRow{}
		if err := rows.Scan(scanID(&conv), scanID(&a.MessageID), scanSealed(&a.Name), scanSealed(&a.UserID)); err != nil {
			rows.Close()
			return err
		}
		out.Authors[conv] = append(out.Authors[conv], a)
	}
	if rows.Close(); rows.Err() != nil {
		return rows.Err()
	}
	if rows, err = br.Query(); err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id convstore.ID
		if err := rows.Scan(scanID(&id)); err != nil {
			return err
		}
		out.Pending = append(out.Pending, id)
	}
	return rows.Err()
}
