package sqlite

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"math/bits"
	"slices"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// A ranged list reads many (conversation, cursor, limit) ranges in a few
// fixed statements, prepared once: the ranges are one JSON argument
// (json_each), and for each, a correlated subquery picks the rowids of its
// page by an index range search of (tenant_id, conversation_id, id),
// which the outer query then reads; the cost follows the rows returned,
// not the conversations' sizes. SQLite allows no correlated LIMIT, so the
// limit is an argument: ranges are read in groups of one direction whose
// limits round up to the same power of two, and each range is cut to its
// own limit in Go (at most twice the rows read). A compound statement of
// one SELECT per range would need parsing on every call, its text
// changing with the ranges: most of the time of a list.

// rangesSQL is the statement of a ranged list over table.
func rangesSQL(columns, table, typeCond string, desc bool) string {
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	return stmt(`SELECT m.` + strings.ReplaceAll(columns, ", ", ", m.") + `, r.key FROM json_each(?) AS r JOIN ` + table +
		` AS m ON m.rowid IN (SELECT rowid FROM ` + table + ` WHERE tenant_id = ? AND conversation_id = unhex(r.value->>0)` + live(table) +
		` AND id ` + op + ` unhex(r.value->>1)` + typeCond + ` ORDER BY id ` + dir + ` LIMIT ?)`)
}

// The statements of a ranged list, by [typed][desc]: ranges of one type
// of artifact have their own, whose plain type condition lets each range
// search the (tenant_id, conversation_id, type, id) index; a condition
// that also took "every type" (an OR) left SQLite walking each
// conversation's artifacts of every type.
var (
	qMessageRanges  = [2][2]string{{rangesSQL(messageColumns, "messages", "", false), rangesSQL(messageColumns, "messages", "", true)}}
	qArtifactRanges = [2][2]string{
		{rangesSQL(artifactColumns, "artifacts", "", false), rangesSQL(artifactColumns, "artifacts", "", true)},
		{rangesSQL(artifactColumns, "artifacts", ` AND type = r.value->>2`, false), rangesSQL(artifactColumns, "artifacts", ` AND type = r.value->>2`, true)},
	}
)

// idAboveAll bounds every 16-byte id from above (SQLite compares blobs as
// memcmp does, a prefix first); the empty blob bounds them from below.
var idAboveAll = strings.Repeat("ff", 17)

// rangeArm is one range of a ranged list.
type rangeArm struct {
	conv convstore.ID
	typ  string // artifacts: "" for every type
	page driver.Page
}

// listRanges reads every arm, a statement per group of arms (see above),
// and puts each row in its arm's page, in order by id.
func listRanges[T any](ctx context.Context, o *ops, q [2][2]string, tenant []byte, arms []rangeArm,
	scan func(scanner, *int) (T, error), id func(T) convstore.ID) ([][]T, error) {
	out := make([][]T, len(arms))
	type group struct {
		typed bool
		desc  bool
		limit int
	}
	groups := map[group][]int{}
	for i, a := range arms {
		out[i] = []T{}
		if a.page.Limit > 0 {
			g := group{a.typ != "", a.page.Desc, 1 << bits.Len(uint(a.page.Limit-1))}
			groups[g] = append(groups[g], i)
		}
	}
	for g, members := range groups {
		spec := make([][3]string, len(members))
		for j, i := range members {
			a := arms[i]
			after := ""
			if g.desc {
				after = idAboveAll
			}
			if !a.page.After.IsZero() {
				after = hex.EncodeToString(idArg(a.page.After))
			}
			spec[j] = [3]string{hex.EncodeToString(idArg(a.conv)), after, a.typ}
		}
		js, err := json.Marshal(spec)
		if err != nil {
			return nil, err
		}
		typed, dir := 0, 0
		if g.typed {
			typed = 1
		}
		if g.desc {
			dir = 1
		}
		if err := o.rangeRows(ctx, q[typed][dir], string(js), tenant, g.limit, func(row scanner) error {
			var j int
			v, err := scan(row, &j)
			if err == nil {
				out[members[j]] = append(out[members[j]], v)
			}
			return err
		}); err != nil {
			return nil, err
		}
	}
	for i, a := range arms {
		slices.SortFunc(out[i], func(x, y T) int {
			if a.page.Desc {
				x, y = y, x
			}
			ix, iy := id(x), id(y)
			return bytes.Compare(ix[:], iy[:])
		})
		out[i] = out[i][:min(len(out[i]), max(a.page.Limit, 0))]
	}
	return out, nil
}

// rangeRows runs one group's statement and calls fn with each row.
func (o *ops) rangeRows(ctx context.Context, q, spec string, tenant []byte, limit int, fn func(scanner) error) error {
	rows, err := o.run.query(ctx, q, spec, tenant, limit)
	if err != nil {
		return o.db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return o.db.translate(err)
		}
	}
	return o.db.translate(rows.Err())
}

// MessageListRanges reads every range in a few fixed statements (see
// listRanges).
func (o *ops) MessageListRanges(ctx context.Context, p *driver.MessageListRangesParams) ([][]*driver.MessageRow, error) {
	arms := make([]rangeArm, len(p.Ranges))
	for i, r := range p.Ranges {
		arms[i] = rangeArm{conv: r.ConversationID, page: r.Page}
	}
	return listRanges(ctx, o, qMessageRanges, idArg(p.TenantID), arms,
		func(row scanner, i *int) (*driver.MessageRow, error) { return scanMessage(row, i) },
		func(m *driver.MessageRow) convstore.ID { return m.ID })
}

// ArtifactListRanges reads every range in a few fixed statements (see
// listRanges).
func (o *ops) ArtifactListRanges(ctx context.Context, p *driver.ArtifactListRangesParams) ([][]*convstore.Artifact, error) {
	arms := make([]rangeArm, len(p.Ranges))
	for i, r := range p.Ranges {
		arms[i] = rangeArm{conv: r.ConversationID, typ: string(r.Type), page: r.Page}
	}
	return listRanges(ctx, o, qArtifactRanges, idArg(p.TenantID), arms,
		func(row scanner, i *int) (*convstore.Artifact, error) { return scanArtifact(row, i) },
		func(a *convstore.Artifact) convstore.ID { return a.ID })
}

// ArtifactNewest reads one range per conversation of its newest artifacts
// of any type (most conversations hold few), then, for those whose range
// was full without every type, one range per type still missing: a range
// per conversation and type from the start doubles the index searches of
// a list, which is what a list of small artifacts pays for.
func (o *ops) ArtifactNewest(ctx context.Context, p *driver.ArtifactNewestParams) ([][]*convstore.Artifact, error) {
	out := make([][]*convstore.Artifact, len(p.ConversationIDs))
	for i := range out {
		out[i] = make([]*convstore.Artifact, len(p.Types))
	}
	if len(out) == 0 || len(p.Types) == 0 {
		return out, nil
	}
	newest := &driver.ArtifactListRangesParams{TenantID: p.TenantID, Ranges: make([]driver.ArtifactRange, len(out))}
	for i, id := range p.ConversationIDs {
		newest.Ranges[i] = driver.ArtifactRange{ConversationID: id, Page: driver.Page{Desc: true, Limit: 2 * len(p.Types)}}
	}
	pages, err := o.ArtifactListRanges(ctx, newest)
	if err != nil {
		return nil, err
	}
	missing := &driver.ArtifactListRangesParams{TenantID: p.TenantID}
	var where [][2]int // (conversation, type) of each missing range
	for i, pg := range pages {
		for k, t := range p.Types {
			for _, a := range pg {
				if a.Type == t {
					out[i][k] = a
					break
				}
			}
			if out[i][k] == nil && len(pg) == newest.Ranges[i].Page.Limit {
				missing.Ranges = append(missing.Ranges, driver.ArtifactRange{ConversationID: p.ConversationIDs[i], Type: t, Page: driver.Page{Desc: true, Limit: 1}})
				where = append(where, [2]int{i, k})
			}
		}
	}
	if len(missing.Ranges) == 0 {
		return out, nil
	}
	if pages, err = o.ArtifactListRanges(ctx, missing); err != nil {
		return nil, err
	}
	for j, pg := range pages {
		if len(pg) > 0 {
			out[where[j][0]][where[j][1]] = pg[0]
		}
	}
	return out, nil
}
