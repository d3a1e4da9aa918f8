package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Retention: policies, the runner's per-tenant lease, and the walks of
// expired rows (see driver.RetentionReader).
var (
	qRetentionList = stmt(`SELECT agent_id, conversation_days, conversation_since, attachment_days, artifact_days, updated_at
		FROM retention_policies WHERE tenant_id = ? ORDER BY agent_id`)
	qRetentionDelete  = stmt(`DELETE FROM retention_policies WHERE tenant_id = ?`)
	qRetentionInsert  = stmt(`INSERT INTO retention_policies (tenant_id, agent_id, conversation_days, conversation_since, attachment_days, artifact_days, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`)
	qRetentionTenants = stmt(`SELECT DISTINCT tenant_id FROM retention_policies ORDER BY tenant_id`)
	qRetentionClaim   = stmt(`INSERT INTO retention_runs (tenant_id, leased_until) VALUES (?1, ?2)
		ON CONFLICT (tenant_id) DO UPDATE SET leased_until = excluded.leased_until WHERE retention_runs.leased_until <= ?3`)
	qAttachmentDeleteByID = stmt(`DELETE FROM attachments WHERE tenant_id = ? AND conversation_id = ? AND id = ?
		RETURNING ` + attachmentColumns + `, tenant_id, blob_key, name_idx`)
)

func (o *ops) RetentionPolicyList(ctx context.Context, tenantID convstore.ID) ([]*convstore.RetentionPolicy, error) {
	return list(ctx, o, qRetentionList, []any{idArg(tenantID)}, func(row scanner) (*convstore.RetentionPolicy, error) {
		p := &convstore.RetentionPolicy{}
		var conv, att, art sql.NullInt64
		var since string
		if err := row.Scan(&p.AgentID, &conv, &since, &att, &art, timeScan{&p.UpdatedAt}); err != nil {
			return nil, err
		}
		p.Conversations, p.Attachments, p.Artifacts = rule(conv, since), rule(att, ""), rule(art, "")
		return p, nil
	})
}

// rule is a stored rule: NULL days for none.
func rule(days sql.NullInt64, since string) *convstore.RetentionRule {
	if !days.Valid {
		return nil
	}
	return &convstore.RetentionRule{Days: int(days.Int64), Since: convstore.RetentionSince(since)}
}

// ruleDays is a rule's days to store: NULL for none.
func ruleDays(r *convstore.RetentionRule) any {
	if r == nil {
		return nil
	}
	return r.Days
}

func (o *ops) RetentionPolicyReplace(ctx context.Context, tenantID convstore.ID, policies []*convstore.RetentionPolicy) error {
	if _, err := o.run.exec(ctx, qRetentionDelete, idArg(tenantID)); err != nil {
		return o.db.translate(err)
	}
	for _, p := range policies {
		since := convstore.SinceCreated
		if p.Conversations != nil && p.Conversations.Since != "" {
			since = p.Conversations.Since
		}
		if _, err := o.run.exec(ctx, qRetentionInsert, idArg(tenantID), p.AgentID, ruleDays(p.Conversations), string(since),
			ruleDays(p.Attachments), ruleDays(p.Artifacts), micros(p.UpdatedAt)); err != nil {
			return o.db.translate(err)
		}
	}
	return nil
}

func (o *ops) RetentionTenants(ctx context.Context) ([]convstore.ID, error) {
	return list(ctx, o, qRetentionTenants, nil, func(row scanner) (convstore.ID, error) {
		var id convstore.ID
		return id, row.Scan(idScan{&id})
	})
}

func (o *ops) RetentionClaim(ctx context.Context, tenantID convstore.ID, now, until time.Time) (bool, error) {
	res, err := o.run.exec(ctx, qRetentionClaim, idArg(tenantID), micros(until), micros(now))
	if err != nil {
		return false, o.db.translate(err)
	}
	n, err := res.RowsAffected()
	return n == 1, o.db.translate(err)
}

func (o *ops) AttachmentDeleteByID(ctx context.Context, tenantID, conversationID, id convstore.ID) (*driver.AttachmentRow, error) {
	return one(ctx, o, qAttachmentDeleteByID, []any{idArg(tenantID), idArg(conversationID), idArg(id)}, "attachment", scanAttachmentRow)
}

func (o *ops) ConversationExpired(ctx context.Context, p *driver.ExpiredParams) ([]*driver.ExpiredRow, error) {
	col := "created_at"
	if p.LastActivity {
		col = "updated_at"
	}
	return o.expired(ctx, p, `SELECT c.id, c.id, c.`+col+`, c.message_count, 0 FROM conversations c`, "c."+col, "c.id")
}

func (o *ops) AttachmentExpired(ctx context.Context, p *driver.ExpiredParams) ([]*driver.ExpiredRow, error) {
	return o.expired(ctx, p, `SELECT t.conversation_id, t.id, t.created_at, 0, t.size FROM attachments t
		JOIN conversations c ON c.tenant_id = t.tenant_id AND c.id = t.conversation_id`, "t.created_at", "t.id")
}

func (o *ops) ArtifactExpired(ctx context.Context, p *driver.ExpiredParams) ([]*driver.ExpiredRow, error) {
	return o.expired(ctx, p, `SELECT t.conversation_id, t.id, t.created_at, 0, 0 FROM artifacts t
		JOIN conversations c ON c.tenant_id = t.tenant_id AND c.id = t.conversation_id`, "t.created_at", "t.id")
}

// expired runs a walk of expired rows: base selects (conversation id, id,
// time, messages, size) with the conversation as c; at and id are the
// walk's order.
func (o *ops) expired(ctx context.Context, p *driver.ExpiredParams, base, at, id string) ([]*driver.ExpiredRow, error) {
	where := fmt.Sprintf(` WHERE c.tenant_id = ? AND c.deleted = 0 AND %s < ?`, at)
	args := []any{idArg(p.TenantID), micros(p.Before)}
	if !p.After.ID.IsZero() {
		where += fmt.Sprintf(` AND (%s, %s) > (?, ?)`, at, id)
		args = append(args, micros(p.After.At), idArg(p.After.ID))
	}
	if p.OnlyAgent {
		where += ` AND c.agent_id = ?`
		args = append(args, p.AgentID)
	} else if len(p.ExceptAgents) > 0 {
		except, err := json.Marshal(p.ExceptAgents)
		if err != nil {
			return nil, err
		}
		where += ` AND c.agent_id NOT IN (SELECT value FROM json_each(?))`
		args = append(args, string(except))
	}
	q := base + where + fmt.Sprintf(` ORDER BY %s, %s LIMIT ?`, at, id)
	return list(ctx, o, q, append(args, p.Limit), func(row scanner) (*driver.ExpiredRow, error) {
		r := &driver.ExpiredRow{}
		return r, row.Scan(idScan{&r.ConversationID}, idScan{&r.ID}, timeScan{&r.At}, &r.Messages, &r.Size)
	})
}
