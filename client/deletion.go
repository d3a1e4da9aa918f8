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

// ListDeletions returns a page of deletion receipts (newest first unless
// f.Order says otherwise), of one conversation if f.ConversationID is set,
// and whether more follow.
func (c *Client) ListDeletions(ctx context.Context, f convstore.DeletionFilter) ([]*convstore.Deletion, bool, error) {
	q := url.Values{}
	if !f.ConversationID.IsZero() {
		q.Set("conversation_id", f.ConversationID.Format(convstore.PrefixConversation))
	}
	q = pageQuery(q, f.PageFilter, convstore.PrefixDeletion)
	var out api.List[api.Deletion]
	if err := c.doJSON(ctx, http.MethodGet, "/v1/deletions", q, nil, &out); err != nil {
		return nil, false, err
	}
	dels := make([]*convstore.Deletion, len(out.Data))
	for i := range out.Data {
		dels[i] = api.ToDeletion(&out.Data[i])
	}
	return dels, out.HasMore, nil
}

// GetDeletion returns one deletion receipt. ENOTFOUND if missing.
func (c *Client) GetDeletion(ctx context.Context, id convstore.ID) (*convstore.Deletion, error) {
	var out api.Deletion
	if err := c.doJSON(ctx, http.MethodGet, pathf("/v1/deletions/%s", id.Format(convstore.PrefixDeletion)), nil, nil, &out); err != nil {
		return nil, err
	}
	return api.ToDeletion(&out), nil
}

// ListAudit returns a page of the tenant's audit log (newest first unless
// f.Order says otherwise) and whether more follow.
func (c *Client) ListAudit(ctx context.Context, f convstore.AuditFilter) ([]*convstore.AuditEntry, bool, error) {
	var out api.List[api.AuditEntry]
	q := pageQuery(nil, f.PageFilter, convstore.PrefixAudit)
	if err := c.doJSON(ctx, http.MethodGet, "/v1/audit", q, nil, &out); err != nil {
		return nil, false, err
	}
	entries := make([]*convstore.AuditEntry, len(out.Data))
	for i := range out.Data {
		entries[i] = toAuditEntry(&out.Data[i])
	}
	return entries, out.HasMore, nil
}

// toAuditEntry converts a wire audit entry to the domain type. The api
// package has no ToAuditEntry because the target id's prefix depends on the
// action; any native prefix is accepted here.
func toAuditEntry(w *api.AuditEntry) *convstore.AuditEntry {
	e := &convstore.AuditEntry{
		ID: anyID(w.ID), Action: w.Action, Door: w.Door, RequestID: w.RequestID,
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
