package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// Retention: policies, the runner's per-tenant lease, and the walks of
// expired rows (see driver.RetentionReader).

func (o *ops) RetentionPolicyList(ctx context.Context, tenantID convstore.ID) ([]*convstore.RetentionPolicy, error) {
	q := newQuery(`SELECT agent_id, conversation_days, conversation_since, attachment_days, artifact_days, updated_at
		FROM retention_policies WHERE tenant_id = $1 ORDER BY agent_id COLLATE "C"`, idArg(tenantID))
	return list(ctx, o, q, func(row pgx.Row) (*convstore.RetentionPolicy, error) {
		p := &convstore.RetentionPolicy{}
		var conv, att, art *int32
		var since string
		if err := row.Scan(&p.AgentID, &conv, &since, &att, &art, &p.UpdatedAt); err != nil {
			return nil, err
		}
		p.UpdatedAt = p.UpdatedAt.UTC()
		p.Conversations, p.Attachments, p.Artifacts = rule(conv, since), rule(att, ""), rule(art, "")
		return p, nil
	})
}

// rule is a stored rule: NULL days for none.
func rule(days *int32, since string) *convstore.RetentionRule {
	if days == nil {
		return nil
	}
	return &convstore.RetentionRule{Days: int(*days), Since: convstore.RetentionSince(since)}
}

// ruleDays is a rule's days to store: NULL for none.
func ruleDays(r *convstore.RetentionRule) *int32 {
	if r == nil {
		return nil
	}
	d := int32(r.Days)
	return &d
}

func (o *ops) RetentionPolicyReplace(ctx context.Context, tenantID convstore.ID, policies []*convstore.RetentionPolicy) error {
	if _, err := o.exec(ctx, `DELETE FROM retention_policies WHERE tenant_id = $1`, idArg(tenantID)); err != nil {
		return err
	}
	for _, p := range policies {
		since := convstore.SinceCreated
		if p.Conversations != nil && p.Conversations.Since != "" {
			since = p.Conversations.Since
		}
		if _, err := o.exec(ctx, `INSERT INTO retention_policies
			(tenant_id, agent_id, conversation_days, conversation_since, attachment_days, artifact_days, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, idArg(tenantID), p.AgentID, ruleDays(p.Conversations), string(since),
			ruleDays(p.Attachments), ruleDays(p.Artifacts), p.UpdatedAt); err != nil {
			return err
		}
	}
	return nil
}

func (o *ops) RetentionTenants(ctx context.Context) ([]convstore.ID, error) {
	return list(ctx, o, newQuery(`SELECT DISTINCT tenant_id FROM retention_policies ORDER BY tenant_id`),
		func(row pgx.Row) (convstore.ID, error) {
			var id convstore.ID
			return id, row.Scan(scanID(&id))
		})
}

func (o *ops) RetentionClaim(ctx context.Context, tenantID convstore.ID, now, until time.Time) (bool, error) {
	n, err := o.exec(ctx, `INSERT INTO retention_runs (tenant_id, leased_until) VALUES ($1, $2)
		ON CONFLICT (tenant_id) DO UPDATE SET leased_until = EXCLUDED.leased_until WHERE retention_runs.leased_until <= $3`,
		idArg(tenantID), until, now)
	return n == 1, err
}

func (o *ops) AttachmentDeleteByID(ctx context.Context, tenantID, conversationID, id convstore.ID) (*driver.AttachmentRow, error) {
	return one(ctx, o, "attachment", scanAttachmentStored, `
		DELETE FROM attachments WHERE tenant_id = $1 AND conversation_id = $2 AND id = $3
		RETURNING `+attachmentColumns+`, tenant_id, blob_key, name_idx`,
		idArg(tenantID), idArg(conversationID), idArg(id))
}

func (o *ops) ConversationExpired(ctx context.Context, p *driver.ExpiredParams) ([]*driver.ExpiredRow, error) {
	col := "created_at"
	if p.LastActivity {
		col = "updated_at"
	}
	return o.expired(ctx, p, `SELECT c.id, c.id, c.`+col+`, c.message_count, 0::bigint FROM conversations c`, "c."+col, "c.id")
}

func (o *ops) AttachmentExpired(ctx context.Context, p *driver.ExpiredParams) ([]*driver.ExpiredRow, error) {
	return o.expired(ctx, p, `SELECT t.conversation_id, t.id, t.created_at, 0, t.size FROM attachments t
		JOIN conversations c ON c.tenant_id = t.tenant_id AND c.id = t.conversation_id`, "t.created_at", "t.id")
}

func (o *ops) ArtifactExpired(ctx context.Context, p *driver.ExpiredParams) ([]*driver.ExpiredRow, error) {
	return o.expired(ctx, p, `SELECT t.conversation_id, t.id, t.created_at, 0, 0::bigint FROM artifacts t
		JOIN conversations c ON c.tenant_id = t.tenant_id AND c.id = t.conversation_id`, "t.created_at", "t.id")
}

// expired runs a walk of expired rows: base selects (conversation id, id,
// time, messages, size) with the conversation as c; at and id are the
// walk's order.
func (o *ops) expired(ctx context.Context, p *driver.ExpiredParams, base, at, id string) ([]*driver.ExpiredRow, error) {
	q := newQuery(base+` WHERE c.tenant_id = $1 AND NOT c.deleted`, idArg(p.TenantID))
	q.and(at+" < ?", p.Before)
	if !p.After.ID.IsZero() {
		q.and("("+at+", "+id+") > (?, ?)", p.After.At, idArg(p.After.ID))
	}
	if p.OnlyAgent {
		q.and("c.agent_id = ?", p.AgentID)
	} else if len(p.ExceptAgents) > 0 {
		q.and("c.agent_id <> ALL(?)", p.ExceptAgents)
	}
	q.sql.WriteString(" ORDER BY " + at + ", " + id + " LIMIT " + q.arg(p.Limit))
	return list(ctx, o, q, func(row pgx.Row) (*driver.ExpiredRow, error) {
		r := &driver.ExpiredRow{}
		var messages int32
		err := row.Scan(scanID(&r.ConversationID), scanID(&r.ID), &r.At, &messages, &r.Size)
		r.At, r.Messages = r.At.UTC(), int(messages)
		return r, err
	})
}
