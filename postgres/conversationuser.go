package postgres

import (
	"context"
	"encoding/hex"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore/driver"
)

// ConversationUserList groups the selected conversations by the blind
// index of their user id (a row stored before sealing has none: by its
// plaintext), pages the groups by their sort key and newest id, and joins
// each group's newest conversation: one statement, one snapshot. bytea
// has no max, so the newest id is the max of its hex (in the C collation,
// the byte order of ids).
func (o *ops) ConversationUserList(ctx context.Context, p *driver.ConversationUserListParams) ([]*driver.ConversationUserRow, error) {
	const latest = `max(encode(id, 'hex') COLLATE "C")`
	q := conversationQuery(`SELECT `+latest+` AS latest, count(*) AS n, min(created_at) AS first, max(created_at) AS last FROM conversations`, &p.List)
	q.and(`(user_idx IS NOT NULL OR length(user_id) > 0)`)
	q.sql.WriteString(` GROUP BY coalesce(user_idx, user_id)`)
	key := "max(created_at)"
	var at any = p.AfterLast
	if p.ByCount {
		key, at = "count(*)", int64(p.AfterCount)
	}
	op, dir := ">", "ASC"
	if p.Desc {
		op, dir = "<", "DESC"
	}
	if !p.After.IsZero() {
		q.sql.WriteString(` HAVING ` + key + ` ` + op + ` ` + q.arg(at) + ` OR ` + key + ` = ` + q.arg(at) +
			` AND ` + latest + ` ` + op + ` (` + q.arg(hex.EncodeToString(p.After[:])) + `::text COLLATE "C")`)
	}
	q.sql.WriteString(` ORDER BY ` + key + ` ` + dir + `, latest ` + dir + ` LIMIT ` + q.arg(p.Limit))
	outer := "g.last"
	if p.ByCount {
		outer = "g.n"
	}
	full := newQuery(`SELECT `+prefixed("c.", conversationColumns)+`, g.n, g.first, g.last FROM (`+q.sql.String()+
		`) AS g JOIN conversations AS c ON c.tenant_id = $1 AND c.id = decode(g.latest, 'hex') ORDER BY `+outer+` `+dir+`, g.latest `+dir, q.args...)
	return list(ctx, o, full, func(row pgx.Row) (*driver.ConversationUserRow, error) {
		u := &driver.ConversationUserRow{}
		var n int64
		var err error
		u.Latest, err = scanConversation(extraScan{row, []any{&n, &u.First, &u.Last}})
		u.Count = int(n)
		u.First, u.Last = u.First.UTC(), u.Last.UTC()
		return u, err
	})
}

// extraScan scans a row of columns a scan function knows followed by
// extra ones.
type extraScan struct {
	row   pgx.Row
	extra []any
}

func (s extraScan) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }
