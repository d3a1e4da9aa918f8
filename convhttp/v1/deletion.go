package v1

import (
	"net/http"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// listDeletions serves GET /v1/deletions: receipts, newest first by
// default, optionally for one conversation id (which need not exist any
// more: receipts outlive their conversations), of one erasure job, one door
// ("retention" for what retention erased) and one retention policy.
func (d *Door) listDeletions(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, withPage("conversation_id", "erasure_id", "door", "policy", "state")...)
	if err != nil {
		return err
	}
	var f convstore.DeletionFilter
	if f.ConversationID, _, err = q.ID("conversation_id", convstore.PrefixConversation); err != nil {
		return err
	}
	if f.ErasureID, _, err = q.ID("erasure_id", convstore.PrefixErasure); err != nil {
		return err
	}
	if f.Door, err = q.Text("door", convstore.MaxExternalLen); err != nil {
		return err
	}
	if f.Policy, err = q.Text("policy", convstore.MaxExternalLen+len("agent:")); err != nil {
		return err
	}
	// pending: waiting on some processor (overdue included); overdue:
	// some confirmation past due; complete: every one recorded.
	if f.State, _, err = q.Enum("state", convstore.DeletionPending, convstore.DeletionOverdue, convstore.DeletionComplete); err != nil {
		return err
	}
	if f.PageFilter, err = page(q, convstore.PrefixDeletion, convstore.OrderDesc); err != nil {
		return err
	}
	dels, more, err := d.store.FindDeletions(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	return ok(w, newList(dels, more, api.FromDeletion, func(d *api.Deletion) string { return d.ID }))
}

// getDeletion serves GET /v1/deletions/{deletion_id}.
func (d *Door) getDeletion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "deletion_id", convstore.PrefixDeletion)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	del, err := d.store.FindDeletionByID(r.Context(), convhttp.Tenant(r), id)
	if err != nil {
		return err
	}
	return ok(w, api.FromDeletion(del))
}

// auditParams are the filters of GET /v1/audit.
var auditParams = []string{"action", "actor_key_id", "conversation_id", "target_id", "door", "created_after", "created_before"}

// listAudit serves GET /v1/audit: audit entries, newest first by default,
// filtered in the store.
func (d *Door) listAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, withPage(auditParams...)...)
	if err != nil {
		return err
	}
	var f convstore.AuditFilter
	if f.Action, err = q.Text("action", convstore.MaxAuditActionLen); err != nil {
		return err
	}
	if f.ActorKeyID, _, err = q.ID("actor_key_id", convstore.PrefixKey); err != nil {
		return err
	}
	if f.ConversationID, _, err = q.ID("conversation_id", convstore.PrefixConversation); err != nil {
		return err
	}
	if t, _, _ := q.String("target_id"); t != "" {
		// A target's prefix says its kind (msg_, att_, key_, …): any is
		// taken, the id alone selects.
		prefix, _, _ := strings.Cut(t, "_")
		if f.TargetID, _, err = q.ID("target_id", prefix); err != nil {
			return err
		}
	}
	if f.Door, err = q.Text("door", convstore.MaxExternalLen); err != nil {
		return err
	}
	if f.CreatedAfter, err = unix(q, "created_after"); err != nil {
		return err
	}
	if f.CreatedAfter != nil {
		// Whole seconds on the wire, as for conversations: after the
		// second T.
		after := f.CreatedAfter.Add(time.Second - time.Nanosecond)
		f.CreatedAfter = &after
	}
	if f.CreatedBefore, err = unix(q, "created_before"); err != nil {
		return err
	}
	if f.PageFilter, err = page(q, convstore.PrefixAudit, convstore.OrderDesc); err != nil {
		return err
	}
	entries, more, err := d.store.FindAuditEntries(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	return ok(w, newList(entries, more, api.FromAuditEntry, func(e *api.AuditEntry) string { return e.ID }))
}
