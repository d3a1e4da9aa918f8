package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

const holdColumns = `id, tenant_id, conversation_id, user_idx, user_idx_alt, index_root, agent_id, reason, actor_key_id, created_at`

var (
	qHoldInsert = stmt(`INSERT INTO holds (` + holdColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	qHoldGet    = stmt(`SELECT ` + holdColumns + ` FROM holds WHERE tenant_id = ? AND id = ?`)
	qHoldList   = pagedStmt(`SELECT ` + holdColumns + ` FROM holds WHERE tenant_id = ?`)
	qHoldDelete = stmt(`DELETE FROM holds WHERE tenant_id = ? AND id = ?`)
	// qHoldsOn takes the ids as one JSON argument (json_each), like
	// qConvKeyGetMany. Each kind of hold is one probe of its own partial
	// index, in the order of precedence HoldsOn documents.
	qHoldsOn = stmt(`SELECT c.id, COALESCE(
		(SELECT h.id FROM holds h WHERE h.tenant_id = c.tenant_id AND h.conversation_id = c.id ORDER BY h.id LIMIT 1),
		(SELECT h.id FROM holds h WHERE h.tenant_id = c.tenant_id AND h.user_idx = c.user_idx ORDER BY h.id LIMIT 1),
		(SELECT h.id FROM holds h WHERE h.tenant_id = c.tenant_id AND h.user_idx_alt = c.user_idx ORDER BY h.id LIMIT 1),
		(SELECT h.id FROM holds h WHERE h.tenant_id = c.tenant_id AND h.agent_id = c.agent_id ORDER BY h.id LIMIT 1))
		FROM conversations c WHERE c.tenant_id = ? AND c.id IN (SELECT unhex(value) FROM json_each(?))`)
)

func scanHold(row scanner) (*driver.HoldRow, error) {
	h := &driver.HoldRow{}
	var agent sql.NullString
	var root int64
	err := row.Scan(idScan{&h.ID}, idScan{&h.TenantID}, idScan{&h.ConversationID}, &h.UserIndex, &h.UserIndexAlt, &root, &agent,
		&h.Reason, idScan{&h.ActorKeyID}, timeScan{&h.CreatedAt})
	if err != nil {
		return nil, err
	}
	h.IndexRoot, h.AgentID = uint32(root), agent.String
	return h, nil
}

func (o *ops) HoldInsert(ctx context.Context, h *driver.HoldRow) error {
	var agent any
	if h.AgentID != "" {
		agent = h.AgentID
	}
	_, err := o.run.exec(ctx, qHoldInsert, idArg(h.ID), idArg(h.TenantID), nullID(h.ConversationID), bytesArg(h.UserIndex),
		bytesArg(h.UserIndexAlt), int64(h.IndexRoot), agent, h.Reason, nullID(h.ActorKeyID), micros(h.CreatedAt))
	return o.db.translate(err)
}

func (o *ops) HoldGet(ctx context.Context, tenantID, id convstore.ID) (*driver.HoldRow, error) {
	return one(ctx, o, qHoldGet, []any{idArg(tenantID), idArg(id)}, "hold", scanHold)
}

func (o *ops) HoldList(ctx context.Context, tenantID convstore.ID, page driver.Page) ([]*driver.HoldRow, error) {
	q, args := qHoldList.sql(page, []any{idArg(tenantID)})
	return list(ctx, o, q, args, scanHold)
}

func (o *ops) HoldDelete(ctx context.Context, tenantID, id convstore.ID) error {
	res, err := o.run.exec(ctx, qHoldDelete, idArg(tenantID), idArg(id))
	return o.db.affectedOne(res, err, "hold")
}

func (o *ops) HoldsOn(ctx context.Context, tenantID convstore.ID, ids []convstore.ID) (map[convstore.ID]convstore.ID, error) {
	out := map[convstore.ID]convstore.ID{}
	if len(ids) == 0 {
		return out, nil
	}
	hexIDs := make([]string, len(ids))
	for i, id := range ids {
		hexIDs[i] = hex.EncodeToString(idArg(id))
	}
	js, err := json.Marshal(hexIDs)
	if err != nil {
		return nil, err
	}
	rows, err := o.run.query(ctx, qHoldsOn, idArg(tenantID), string(js))
	if err != nil {
		return nil, o.db.translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var conv, hold convstore.ID
		if err := rows.Scan(idScan{&conv}, idScan{&hold}); err != nil {
			return nil, o.db.translate(err)
		}
		if !hold.IsZero() {
			out[conv] = hold
		}
	}
	return out, o.db.translate(rows.Err())
}

var (
	qHoldUserIndexCarry = stmt(`UPDATE holds SET user_idx_alt = user_idx, user_idx = ?, index_root = ?
		WHERE tenant_id = ? AND user_idx = ?`)
	qHoldUserIndexDropAlt = stmt(`UPDATE holds SET user_idx_alt = NULL WHERE user_idx_alt IS NOT NULL`)
	qHoldUserIndexStale   = stmt(`SELECT count(*) FROM holds WHERE user_idx IS NOT NULL AND index_root < ?`)
)

func (o *ops) HoldUserIndexCarry(ctx context.Context, tenantID convstore.ID, from, to []byte, root uint32) (int, error) {
	res, err := o.run.exec(ctx, qHoldUserIndexCarry, to, int64(root), idArg(tenantID), from)
	if err != nil {
		return 0, o.db.translate(err)
	}
	n, err := res.RowsAffected()
	return int(n), o.db.translate(err)
}

func (o *ops) HoldUserIndexDropAlt(ctx context.Context, root uint32) (int, error) {
	if _, err := o.run.exec(ctx, qHoldUserIndexDropAlt); err != nil {
		return 0, o.db.translate(err)
	}
	var n int
	err := o.run.queryRow(ctx, qHoldUserIndexStale, int64(root)).Scan(&n)
	return n, o.db.translate(err)
}
