package client

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// FindDeletionByID returns one deletion receipt (GET /v1/deletions/{id}).
// ENOTFOUND if missing.
func (c *Client) FindDeletionByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Deletion, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("deletion")
	}
	var out api.Deletion
	if err := c.do(ctx, request{method: http.MethodGet, path: pathf("/v1/deletions/%s", id.Format(convstore.PrefixDeletion)), out: &out}); err != nil {
		return nil, err
	}
	return c.toDeletion(ctx, &out)
}

// FindDeletions returns a page of deletion receipts (GET /v1/deletions),
// newest first unless f.Order says otherwise, of one conversation if
// f.ConversationID is set, and whether more follow.
func (c *Client) FindDeletions(ctx context.Context, tenantID convstore.ID, f convstore.DeletionFilter) ([]*convstore.Deletion, bool, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil || !ok {
		return nil, false, err
	}
	q := url.Values{}
	if !f.ConversationID.IsZero() {
		q.Set("conversation_id", f.ConversationID.Format(convstore.PrefixConversation))
	}
	if !f.ErasureID.IsZero() {
		q.Set("erasure_id", f.ErasureID.Format(convstore.PrefixErasure))
	}
	if f.Door != "" {
		q.Set("door", f.Door)
	}
	if f.Policy != "" {
		q.Set("policy", f.Policy)
	}
	if f.State != "" {
		q.Set("state", f.State)
	}
	var out api.List[api.Deletion]
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/deletions", query: pageQuery(q, f.PageFilter, convstore.PrefixDeletion), out: &out}); err != nil {
		return nil, false, err
	}
	own, err := c.TenantID(ctx)
	if err != nil {
		return nil, false, err
	}
	dels := make([]*convstore.Deletion, len(out.Data))
	for i := range out.Data {
		dels[i] = api.ToDeletion(&out.Data[i])
		dels[i].TenantID = own
	}
	return dels, out.HasMore, nil
}

// FindAuditEntries returns a page of the tenant's audit log (GET
// /v1/audit, admin scope), newest first unless f.Order says otherwise, and
// whether more follow.
func (c *Client) FindAuditEntries(ctx context.Context, tenantID convstore.ID, f convstore.AuditFilter) ([]*convstore.AuditEntry, bool, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil || !ok {
		return nil, false, err
	}
	var out api.List[api.AuditEntry]
	q := url.Values{}
	if f.Action != "" {
		q.Set("action", f.Action)
	}
	if !f.ActorKeyID.IsZero() {
		q.Set("actor_key_id", f.ActorKeyID.Format(convstore.PrefixKey))
	}
	if !f.ConversationID.IsZero() {
		q.Set("conversation_id", f.ConversationID.Format(convstore.PrefixConversation))
	}
	if !f.TargetID.IsZero() {
		q.Set("target_id", f.TargetID.Format("obj")) // the server takes any prefix: the id selects
	}
	if f.Door != "" {
		q.Set("door", f.Door)
	}
	if f.CreatedAfter != nil {
		q.Set("created_after", unixSeconds(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		q.Set("created_before", unixSeconds(*f.CreatedBefore))
	}
	q = pageQuery(q, f.PageFilter, convstore.PrefixAudit)
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/audit", query: q, out: &out}); err != nil {
		return nil, false, err
	}
	own, err := c.TenantID(ctx)
	if err != nil {
		return nil, false, err
	}
	entries := make([]*convstore.AuditEntry, len(out.Data))
	for i := range out.Data {
		entries[i] = toAuditEntry(&out.Data[i], own)
	}
	return entries, out.HasMore, nil
}

// toDeletion converts a wire receipt of the key's tenant.
func (c *Client) toDeletion(ctx context.Context, w *api.Deletion) (*convstore.Deletion, error) {
	own, err := c.TenantID(ctx)
	if err != nil {
		return nil, err
	}
	d := api.ToDeletion(w)
	d.TenantID = own
	return d, nil
}

// toAuditEntry converts a wire audit entry of the tenant own. The api
// package has no ToAuditEntry because the target id's prefix depends on
// the action; any native prefix is accepted here.
func toAuditEntry(w *api.AuditEntry, own convstore.ID) *convstore.AuditEntry {
	e := &convstore.AuditEntry{
		ID: anyID(w.ID), TenantID: own, Action: w.Action, Door: w.Door, RequestID: w.RequestID,
		TargetID: anyID(w.TargetID), CreatedAt: time.Unix(w.CreatedAt, 0).UTC(),
	}
	if w.ActorKeyID != nil {
		e.ActorKeyID = anyID(*w.ActorKeyID)
	}
	if w.ClientRequestID != nil {
		e.ClientRequestID = *w.ClientRequestID
	}
	if w.ConversationID != nil {
		e.ConversationID = anyID(*w.ConversationID)
	}
	if w.Policy != nil {
		e.Policy = *w.Policy
	}
	return e
}

// anyID parses a native id whatever its prefix; malformed ids yield the
// zero ID, as in the api conversions.
func anyID(s string) convstore.ID {
	_, rest, ok := strings.Cut(s, "_")
	if !ok {
		return convstore.ID{}
	}
	id, _ := convstore.ParseBase32(rest)
	return id
}
