package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// A digest of at most one message from each end, without authors, reads
// the page as ConversationList does, then its children in one fixed
// statement (prepared once): each conversation of the page, a JSON array
// of hex ids, joined to its first and last message and its newest
// artifact of each type, each found by an index search for its rowid (a
// correlated subquery the index covers), then read by rowid. The ranged lists of
// MessageListEnds and ArtifactNewest (see listRanges) build a row set per
// conversation and check each row's conversation is live: for the one
// row a list view wants of each, most of its time. The page's
// conversations are live in the snapshot both statements read.

// oneRowDigest reports whether p's children fit one row per
// conversation.
func oneRowDigest(p *driver.ConversationDigestListParams) bool {
	deleted := p.List.Filter != nil && p.List.Filter.Deleted // the ends of live conversations only: see live
	return p.First <= 1 && p.Last <= 1 && len(p.Types) <= maxDigestJoins && !p.Authors && !deleted
}

// maxDigestJoins bounds the artifact types of a one-row digest (the
// domain's DigestOptions allow two).
const maxDigestJoins = 2

// digestColumns prefixes each of columns with alias.
func digestColumns(alias, columns string) string {
	return alias + "." + strings.ReplaceAll(columns, ", ", ", "+alias+".")
}

// digestChildrenSQL is the statement of a page's children: first and
// last say whether it joins the first and the last message, types how
// many artifact types (each an argument after the ids and the tenant).
func digestChildrenSQL(first, last bool, types int) string {
	var cols, joins strings.Builder
	cols.WriteString(`SELECT r.key`)
	for _, end := range []struct {
		on         bool
		alias, dir string
	}{{first, "f", "ASC"}, {last, "l", "DESC"}} {
		if end.on {
			cols.WriteString(`, ` + digestColumns(end.alias, messageColumns))
			joins.WriteString(` LEFT JOIN messages AS ` + end.alias + ` ON ` + end.alias + `.rowid = (SELECT rowid FROM messages
				WHERE tenant_id = ?2 AND conversation_id = r.id ORDER BY id ` + end.dir + ` LIMIT 1)`)
		}
	}
	for k := range types {
		a := fmt.Sprintf("a%d", k)
		cols.WriteString(`, ` + digestColumns(a, artifactColumns))
		joins.WriteString(fmt.Sprintf(` LEFT JOIN artifacts AS %s ON %s.rowid = (SELECT rowid FROM artifacts
			WHERE tenant_id = ?2 AND conversation_id = r.id AND type = ?%d ORDER BY id DESC LIMIT 1)`, a, a, 3+k))
	}
	return cols.String() + ` FROM (SELECT key, unhex(value) AS id FROM json_each(?1)) AS r` + joins.String()
}

// qDigestChildren are the statements of digestChildrenSQL, by
// [first][last][types].
var qDigestChildren = func() (q [2][2][maxDigestJoins + 1]string) {
	for f := range 2 {
		for l := range 2 {
			for t := range maxDigestJoins + 1 {
				if f+l+t > 0 {
					q[f][l][t] = stmt(digestChildrenSQL(f == 1, l == 1, t))
				}
			}
		}
	}
	return q
}()

// Column counts of the rows a digest statement joins.
var (
	messageColumnCount  = strings.Count(messageColumns, ",") + 1
	artifactColumnCount = strings.Count(artifactColumns, ",") + 1
)

// digestOneRow reads p's digest (see oneRowDigest) in a snapshot:
// ConversationList, then the page's children.
func (o *ops) digestOneRow(ctx context.Context, p *driver.ConversationDigestListParams) (*driver.ConversationDigestRows, error) {
	convs, err := o.ConversationList(ctx, &p.List)
	if err != nil {
		return nil, err
	}
	out := &driver.ConversationDigestRows{Conversations: convs, Ends: map[convstore.ID]*driver.MessageEnds{}}
	if len(p.Types) > 0 {
		out.Newest = make([][]*convstore.Artifact, len(convs))
		for i := range out.Newest {
			out.Newest[i] = make([]*convstore.Artifact, len(p.Types))
		}
	}
	first, last := min(p.First, 1), min(p.Last, 1)
	if len(convs) == 0 || first+last+len(p.Types) == 0 {
		return out, nil
	}
	ids := make([]string, len(convs))
	for i, c := range convs {
		ids[i] = hex.EncodeToString(idArg(c.ID))
	}
	js, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	args := []any{string(js), idArg(p.List.TenantID)}
	for _, t := range p.Types {
		args = append(args, string(t))
	}
	rows, err := o.run.query(ctx, qDigestChildren[first][last][len(p.Types)], args...)
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	vals := make([]any, 1+(first+last)*messageColumnCount+len(p.Types)*artifactColumnCount)
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, o.db.translate(err)
		}
		if err := digestRow(out, p, vals); err != nil {
			return nil, o.db.translate(err)
		}
	}
	return out, o.db.translate(rows.Err())
}

// digestRow adds a row of the children statement, as values, to out:
// the index of its conversation in the page, then its joined rows.
func digestRow(out *driver.ConversationDigestRows, p *driver.ConversationDigestListParams, vals []any) error {
	i, ok := vals[0].(int64)
	if !ok || i < 0 || int(i) >= len(out.Conversations) {
		return fmt.Errorf("sqlite: digest row of conversation %v", vals[0])
	}
	r := &valueRow{vals: vals[1:]}
	var e driver.MessageEnds
	for _, end := range []struct {
		n   int
		dst *[]*driver.MessageRow
	}{{p.First, &e.First}, {p.Last, &e.Last}} {
		if end.n <= 0 {
			continue
		}
		if m := r.next(messageColumnCount); m.present() {
			row, err := scanMessage(m)
			if err != nil {
				return err
			}
			*end.dst = []*driver.MessageRow{row}
		}
	}
	if e.First != nil || e.Last != nil {
		out.Ends[out.Conversations[i].ID] = &e
	}
	for k := range p.Types {
		if a := r.next(artifactColumnCount); a.present() {
			var err error
			if out.Newest[i][k], err = scanArtifact(a); err != nil {
				return err
			}
		}
	}
	return nil
}

// valueRow is a row scanned as values, read a joined table's columns at
// a time.
type valueRow struct {
	vals []any
}

// next returns the next n columns.
func (r *valueRow) next(n int) values {
	v := values(r.vals[:n])
	r.vals = r.vals[n:]
	return v
}

// values are the columns of one joined table, a scanner of them.
type values []any

// present reports whether the left join found a row: its id is not NULL.
func (v values) present() bool { return v[0] != nil }

// Scan assigns the values to dst as database/sql would for the types the
// scan functions use.
func (v values) Scan(dst ...any) error {
	if len(dst) != len(v) {
		return fmt.Errorf("sqlite: %d values scanned into %d destinations", len(v), len(dst))
	}
	for i, d := range dst {
		switch d := d.(type) {
		case sql.Scanner:
			if err := d.Scan(v[i]); err != nil {
				return err
			}
		case *string:
			switch x := v[i].(type) {
			case string:
				*d = x
			case []byte:
				*d = string(x)
			default:
				return fmt.Errorf("sqlite: cannot scan %T into a string", v[i])
			}
		case *int64:
			x, ok := v[i].(int64)
			if !ok {
				return fmt.Errorf("sqlite: cannot scan %T into an integer", v[i])
			}
			*d = x
		case *int:
			x, ok := v[i].(int64)
			if !ok {
				return fmt.Errorf("sqlite: cannot scan %T into an integer", v[i])
			}
			*d = int(x)
		default:
			return fmt.Errorf("sqlite: cannot scan into %T", d)
		}
	}
	return nil
}
