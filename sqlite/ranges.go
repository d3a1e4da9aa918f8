package sqlite

import (
	"bytes"
	"context"
	"slices"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// idBelowAll and idAboveAll bound every 16-byte id: SQLite compares blobs
// as memcmp does, a prefix first. A range without a cursor compares with
// one of them, so that an arm's text depends only on its direction.
var (
	idBelowAll = []byte{}
	idAboveAll = []byte(strings.Repeat("\xff", 17))
)

// rangeArm is one range of a ranged list: a conversation, an optional
// extra condition with its argument, and a page.
type rangeArm struct {
	conv  convstore.ID
	cond  string // "" or " AND …" with one ?
	arg   any
	page  driver.Page
	index int
}

// listRanges reads every arm in one compound statement: per arm, a
// subquery ordered by id with a limit, each an index range scan of
// (tenant_id, conversation_id, id), so the cost follows the rows returned,
// not the conversations' sizes. Each row carries its arm's index, and
// rows are put back in order by id in Go rather than trusting the
// compound's order.
func listRanges[T any](ctx context.Context, o *ops, columns, table string, tenant []byte, arms []rangeArm,
	scan func(scanner, *int) (T, error), id func(T) convstore.ID) ([][]T, error) {
	out := make([][]T, len(arms))
	for i := range out {
		out[i] = []T{}
	}
	var parts []string
	var args []any
	for i, a := range arms {
		if a.page.Limit <= 0 {
			continue
		}
		op, dir, after := ">", "ASC", any(idBelowAll)
		if a.page.Desc {
			op, dir, after = "<", "DESC", idAboveAll
		}
		if !a.page.After.IsZero() {
			after = idArg(a.page.After)
		}
		parts = append(parts, `SELECT * FROM (SELECT `+columns+`, ? FROM `+table+
			` WHERE tenant_id = ? AND conversation_id = ?`+a.cond+` AND id `+op+` ? ORDER BY id `+dir+` LIMIT ?)`)
		args = append(args, i, tenant, idArg(a.conv))
		if a.cond != "" {
			args = append(args, a.arg)
		}
		args = append(args, after, a.page.Limit)
	}
	if len(parts) == 0 {
		return out, nil
	}
	rows, err := o.run.query(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		v, err := scan(rows, &i)
		if err != nil {
			return nil, o.db.translate(err)
		}
		out[i] = append(out[i], v)
	}
	if err := rows.Err(); err != nil {
		return nil, o.db.translate(err)
	}
	for i, a := range arms {
		slices.SortFunc(out[i], func(x, y T) int {
			if a.page.Desc {
				x, y = y, x
			}
			ix, iy := id(x), id(y)
			return bytes.Compare(ix[:], iy[:])
		})
	}
	return out, nil
}

// MessageListRanges reads every range in one statement (see listRanges).
func (o *ops) MessageListRanges(ctx context.Context, p *driver.MessageListRangesParams) ([][]*convstore.Message, error) {
	arms := make([]rangeArm, len(p.Ranges))
	for i, r := range p.Ranges {
		arms[i] = rangeArm{conv: r.ConversationID, page: r.Page}
	}
	return listRanges(ctx, o, messageColumns, "messages", idArg(p.TenantID), arms,
		func(row scanner, i *int) (*convstore.Message, error) { return scanMessage(row, i) },
		func(m *convstore.Message) convstore.ID { return m.ID })
}

// ArtifactListRanges reads every range in one statement (see listRanges).
func (o *ops) ArtifactListRanges(ctx context.Context, p *driver.ArtifactListRangesParams) ([][]*convstore.Artifact, error) {
	arms := make([]rangeArm, len(p.Ranges))
	for i, r := range p.Ranges {
		arms[i] = rangeArm{conv: r.ConversationID, page: r.Page}
		if r.Type != "" {
			arms[i].cond, arms[i].arg = " AND type = ?", string(r.Type)
		}
	}
	return listRanges(ctx, o, artifactColumns, "artifacts", idArg(p.TenantID), arms,
		func(row scanner, i *int) (*convstore.Artifact, error) { return scanArtifact(row, i) },
		func(a *convstore.Artifact) convstore.ID { return a.ID })
}
