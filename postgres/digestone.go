package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// A digest of at most one message from each end, without authors, is one
// statement: the page (a CTE) with, for each conversation, its first and
// last message and its newest artifact of each type, each a lateral index
// search with LIMIT 1, as a row per conversation. One statement is one
// snapshot, so it needs no transaction: one round trip whose page is
// searched once, where the batch (BEGIN, the list, the ends and the
// artifacts over the page searched again, COMMIT) made the server search
// it three times and run four more statements.

// oneRowDigest reports whether p's digest fits one row per conversation.
func oneRowDigest(p *driver.ConversationDigestListParams) bool {
	deleted := p.List.Filter != nil && p.List.Filter.Deleted // the ends of live conversations only, as MessageListEnds
	return p.First <= 1 && p.Last <= 1 && !p.Authors && !deleted
}

// Column counts of the parts of a one-row digest's row.
var (
	conversationColumnCount = strings.Count(conversationColumns, ",") + 1
	messageColumnCount      = strings.Count(messageColumns, ",") + 1
	artifactColumnCount     = strings.Count(artifactColumns, ",") + 1
)

// digestOneRow reads p's digest (see oneRowDigest) in one statement.
func (o *ops) digestOneRow(ctx context.Context, p *driver.ConversationDigestListParams) (*driver.ConversationDigestRows, error) {
	q := conversationQuery(`WITH page AS (SELECT `+listColumns(&p.List)+` FROM conversations`, &p.List).page(p.List.Page)
	var joins strings.Builder
	q.sql.WriteString(`) SELECT page.*`)
	ends := []struct {
		n   int
		dir string
	}{{p.First, "ASC"}, {p.Last, "DESC"}}
	for i, end := range ends {
		if end.n > 0 {
			fmt.Fprintf(&q.sql, `, m%d.*`, i)
			fmt.Fprintf(&joins, ` LEFT JOIN LATERAL (SELECT %s FROM messages
				WHERE tenant_id = $1 AND conversation_id = page.id ORDER BY id %s LIMIT 1) AS m%d ON true`, messageColumns, end.dir, i)
		}
	}
	for k, t := range p.Types {
		fmt.Fprintf(&q.sql, `, a%d.*`, k)
		fmt.Fprintf(&joins, ` LEFT JOIN LATERAL (SELECT %s FROM artifacts
			WHERE tenant_id = $1 AND conversation_id = page.id AND type = %s ORDER BY id DESC LIMIT 1) AS a%d ON true`,
			artifactColumns, q.arg(string(t)), k)
	}
	order := "ASC"
	if p.List.Page.Desc {
		order = "DESC"
	}
	q.sql.WriteString(` FROM page` + joins.String() + ` ORDER BY page.id ` + order)

	rows, err := o.q.Query(ctx, q.sql.String(), q.args...)
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	defer rows.Close()
	out := &driver.ConversationDigestRows{Conversations: []*driver.ConversationRow{}, Ends: map[convstore.ID]*driver.MessageEnds{}}
	if len(p.Types) > 0 {
		out.Newest = [][]*convstore.Artifact{}
	}
	r := &partRow{rows: rows, dst: make([]any, len(rows.FieldDescriptions()))}
	for rows.Next() {
		r.at = 0
		c, err := scanConversation(r.next(conversationColumnCount))
		if err != nil {
			return nil, o.fail(ctx, err)
		}
		if keptOn(&p.List) {
			if c.Kept, err = scanKept(r); err != nil {
				return nil, o.fail(ctx, err)
			}
		}
		out.Conversations = append(out.Conversations, c)
		var e driver.MessageEnds
		for i, dst := range []*[]*driver.MessageRow{&e.First, &e.Last} {
			if ends[i].n <= 0 {
				continue
			}
			if part := r.next(messageColumnCount); part.present() {
				m, err := scanMessage(part)
				if err != nil {
					return nil, o.fail(ctx, err)
				}
				*dst = []*driver.MessageRow{m}
			}
		}
		if e.First != nil || e.Last != nil {
			out.Ends[c.ID] = &e
		}
		if len(p.Types) > 0 {
			newest := make([]*convstore.Artifact, len(p.Types))
			for k := range newest {
				if part := r.next(artifactColumnCount); part.present() {
					if newest[k], err = scanArtifact(part); err != nil {
						return nil, o.fail(ctx, err)
					}
				}
			}
			out.Newest = append(out.Newest, newest)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, o.fail(ctx, err)
	}
	return out, nil
}

// partRow reads the current row a joined table's columns at a time.
type partRow struct {
	rows pgx.Rows
	at   int   // the next part's first column
	dst  []any // a destination per column, nil but for the part scanned
}

// next returns the next n columns.
func (r *partRow) next(n int) rowPart {
	p := rowPart{r: r, from: r.at, n: n}
	r.at += n
	return p
}

// rowPart is the columns [from, from+n) of the current row: a pgx.Row
// that scans them (pgx skips the columns of a nil destination).
type rowPart struct {
	r       *partRow
	from, n int
}

// present reports whether a left join found the part's row: its first
// column (a key) is not NULL.
func (p rowPart) present() bool { return p.r.rows.RawValues()[p.from] != nil }

// Scan scans the part's columns into dst.
func (p rowPart) Scan(dst ...any) error {
	if len(dst) != p.n {
		return fmt.Errorf("postgres: %d columns scanned into %d destinations", p.n, len(dst))
	}
	part := p.r.dst[p.from : p.from+p.n]
	copy(part, dst)
	err := p.r.rows.Scan(p.r.dst...)
	clear(part)
	return err
}
