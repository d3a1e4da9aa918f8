package postgres

import (
	"bytes"
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// idBelowAll and idAboveAll bound every 16-byte id (bytea compares byte by
// byte, a prefix first): a range without a cursor compares with one of
// them, so one statement text serves every range.
var (
	idBelowAll = []byte{}
	idAboveAll = bytes.Repeat([]byte{0xff}, 17)
)

// rangeArrays are the ranges of a ranged list as parallel arrays, one
// argument each.
type rangeArrays struct {
	convs, afters [][]byte
	desc          []bool
	limits        []int32
	types         []string
}

func newRangeArrays(n int) *rangeArrays {
	return &rangeArrays{convs: make([][]byte, 0, n), afters: make([][]byte, 0, n), desc: make([]bool, 0, n),
		limits: make([]int32, 0, n), types: make([]string, 0, n)}
}

func (a *rangeArrays) add(conv convstore.ID, p driver.Page, typ string) {
	after := idBelowAll
	if p.Desc {
		after = idAboveAll
	}
	if !p.After.IsZero() {
		after = idBytes(p.After)
	}
	a.convs, a.afters, a.desc = append(a.convs, idBytes(conv)), append(a.afters, after), append(a.desc, p.Desc)
	a.limits, a.types = append(a.limits, int32(max(p.Limit, 0))), append(a.types, typ)
}

// rangesSQL is the statement of a ranged list over table: for each range
// (unnest of the arrays, numbered), two LATERAL subqueries ordered by id
// with a limit, of which the range's direction runs the one and skips the
// other, each an index range scan of the primary key: the cost follows the
// rows returned, not the conversations' sizes. typ = ” reads every type.
func rangesSQL(columns, table, typeCond string) string {
	arm := func(dir, op, descending string) string {
		return `(SELECT ` + columns + `, r.n FROM ` + table + ` WHERE tenant_id = $1 AND conversation_id = r.cid` + live("$1", "r.cid") + typeCond +
			` AND ` + descending + `r.descending AND id ` + op + ` r.after ORDER BY id ` + dir + ` LIMIT r.lim)`
	}
	return `SELECT e.* FROM unnest($2::bytea[], $3::bytea[], $4::bool[], $5::int[], $6::text[]) WITH ORDINALITY AS r(cid, after, descending, lim, typ, n)
		CROSS JOIN LATERAL (` + arm("ASC", ">", "NOT ") + ` UNION ALL ` + arm("DESC", "<", "") + `) AS e`
}

var (
	qMessageRanges  = rangesSQL(messageColumns, "messages", "")
	qArtifactRanges = rangesSQL(artifactColumns, "artifacts", ` AND (r.typ = '' OR type = r.typ)`)
	// Ranges that each name a type get a statement of their own: the OR
	// of "every type" keeps the planner off the (conversation, type, id)
	// index, and each range walked every artifact of its conversation.
	qArtifactTypedRanges = rangesSQL(artifactColumns, "artifacts", ` AND type = r.typ`)
)

// listRanges runs a ranged list and puts each row in its range's page, in
// order by id (sorted in Go rather than trusting the join's order).
func listRanges[T any](ctx context.Context, o *ops, q string, tenantID convstore.ID, a *rangeArrays,
	scan func(pgx.Row, *int64) (T, error), id func(T) convstore.ID) ([][]T, error) {
	out := make([][]T, len(a.convs))
	for i := range out {
		out[i] = []T{}
	}
	if len(out) == 0 {
		return out, nil
	}
	rows, err := o.q.Query(ctx, q, idArg(tenantID), a.convs, a.afters, a.desc, a.limits, a.types)
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	defer rows.Close()
	for rows.Next() {
		var n int64
		v, err := scan(rows, &n)
		if err != nil {
			return nil, o.fail(ctx, err)
		}
		out[n-1] = append(out[n-1], v)
	}
	if err := rows.Err(); err != nil {
		return nil, o.fail(ctx, err)
	}
	for i := range out {
		desc := a.desc[i]
		slices.SortFunc(out[i], func(x, y T) int {
			if desc {
				x, y = y, x
			}
			ix, iy := id(x), id(y)
			return bytes.Compare(ix[:], iy[:])
		})
	}
	return out, nil
}

// MessageListRanges reads every range in one statement (see rangesSQL).
func (o *ops) MessageListRanges(ctx context.Context, p *driver.MessageListRangesParams) ([][]*driver.MessageRow, error) {
	a := newRangeArrays(len(p.Ranges))
	for _, r := range p.Ranges {
		a.add(r.ConversationID, r.Page, "")
	}
	return listRanges(ctx, o, qMessageRanges, p.TenantID, a,
		func(row pgx.Row, n *int64) (*driver.MessageRow, error) { return scanMessage(row, n) },
		func(m *driver.MessageRow) convstore.ID { return m.ID })
}

// ArtifactListRanges reads every range in one statement (see rangesSQL).
func (o *ops) ArtifactListRanges(ctx context.Context, p *driver.ArtifactListRangesParams) ([][]*convstore.Artifact, error) {
	a := newRangeArrays(len(p.Ranges))
	q := qArtifactTypedRanges
	for _, r := range p.Ranges {
		a.add(r.ConversationID, r.Page, string(r.Type))
		if r.Type == "" {
			q = qArtifactRanges
		}
	}
	return listRanges(ctx, o, q, p.TenantID, a,
		func(row pgx.Row, n *int64) (*convstore.Artifact, error) { return scanArtifact(row, n) },
		func(a *convstore.Artifact) convstore.ID { return a.ID })
}

// qArtifactNewest reads the newest artifact of each type of each
// conversation: a LATERAL search of the (conversation, type, id) index
// with LIMIT 1 per pair, its conversation checked once (a join) rather
// than in each search. A range of the newest of every type per
// conversation, then a range per type still missing (SQLite's way), cost
// here two statements and a check of the conversation in each range.
const qArtifactNewest = `SELECT a.*, c.n, t.k FROM unnest($2::bytea[]) WITH ORDINALITY AS c(cid, n)
	JOIN conversations AS lc ON lc.tenant_id = $1 AND lc.id = c.cid AND NOT lc.deleted
	CROSS JOIN unnest($3::text[]) WITH ORDINALITY AS t(typ, k)
	CROSS JOIN LATERAL (SELECT ` + artifactColumns + ` FROM artifacts
		WHERE tenant_id = $1 AND conversation_id = c.cid AND type = t.typ ORDER BY id DESC LIMIT 1) AS a`

// ArtifactNewest reads every conversation's newest artifacts in one
// statement (see qArtifactNewest).
func (o *ops) ArtifactNewest(ctx context.Context, p *driver.ArtifactNewestParams) ([][]*convstore.Artifact, error) {
	out := make([][]*convstore.Artifact, len(p.ConversationIDs))
	for i := range out {
		out[i] = make([]*convstore.Artifact, len(p.Types))
	}
	if len(out) == 0 || len(p.Types) == 0 {
		return out, nil
	}
	types := make([]string, len(p.Types))
	for k, t := range p.Types {
		types[k] = string(t)
	}
	rows, err := o.q.Query(ctx, qArtifactNewest, idArg(p.TenantID), idsArg(p.ConversationIDs), types)
	if err != nil {
		return nil, o.fail(ctx, err)
	}
	defer rows.Close()
	for rows.Next() {
		var n, k int64
		a, err := scanArtifact(rows, &n, &k)
		if err != nil {
			return nil, o.fail(ctx, err)
		}
		out[n-1][k-1] = a
	}
	if err := rows.Err(); err != nil {
		return nil, o.fail(ctx, err)
	}
	return out, nil
}
