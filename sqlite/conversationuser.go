package sqlite

import (
	"context"
	"strings"

	"github.com/convstore/convstore/driver"
)

// ConversationUserList groups the selected conversations by the blind
// index of their user id (a row stored before sealing has none: by its
// plaintext, as a BLOB so that a TEXT and a BLOB of the same id group
// together), pages the groups by their sort key and newest id, and joins
// each group's newest conversation: one statement, one snapshot.
func (o *ops) ConversationUserList(ctx context.Context, p *driver.ConversationUserListParams) ([]*driver.ConversationUserRow, error) {
	var sb strings.Builder
	sb.WriteString(`SELECT max(id) AS latest, count(*) AS n, min(created_at) AS first, max(created_at) AS last FROM conversations`)
	args := conversationWhere(&sb, &p.List)
	sb.WriteString(` AND (user_idx IS NOT NULL OR length(user_id) > 0) GROUP BY coalesce(user_idx, CAST(user_id AS BLOB))`)
	key := "max(created_at)"
	var at any = micros(p.AfterLast)
	if p.ByCount {
		key, at = "count(*)", p.AfterCount
	}
	op, dir := ">", "ASC"
	if p.Desc {
		op, dir = "<", "DESC"
	}
	if !p.After.IsZero() {
		sb.WriteString(` HAVING ` + key + ` ` + op + ` ? OR ` + key + ` = ? AND max(id) ` + op + ` ?`)
		args = append(args, at, at, idArg(p.After))
	}
	sb.WriteString(` ORDER BY ` + key + ` ` + dir + `, max(id) ` + dir + ` LIMIT ?`)
	args = append(args, p.Limit, idArg(p.List.TenantID))
	outer := "g.last"
	if p.ByCount {
		outer = "g.n"
	}
	q := `SELECT ` + digestColumns("c", conversationColumns) + `, g.n, g.first, g.last FROM (` + sb.String() +
		`) AS g JOIN conversations AS c ON c.tenant_id = ? AND c.id = g.latest ORDER BY ` + outer + ` ` + dir + `, g.latest ` + dir
	return list(ctx, o, q, args, func(row scanner) (*driver.ConversationUserRow, error) {
		u := &driver.ConversationUserRow{}
		var err error
		u.Latest, err = scanConversation(extraScan{row, []any{&u.Count, timeScan{&u.First}, timeScan{&u.Last}}})
		return u, err
	})
}

// extraScan scans a row of columns a scan function knows followed by
// extra ones.
type extraScan struct {
	row   scanner
	extra []any
}

func (s extraScan) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }
