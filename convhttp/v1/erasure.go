package v1

import (
	"net/http"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// Erasure jobs take the admin scope to create and cancel: one job may
// delete every conversation of a user, an agent or a period, a reach no
// key made for an application's own deletes (the delete scope) should
// have. Reading them takes the read scope, like receipts.

// createErasure serves POST /v1/erasures: 201 with the job, queued (or
// succeeded, with its totals, for a dry run).
func (d *Door) createErasure(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in api.ErasureCreate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c := &convstore.ErasureCreate{
		Selector: convstore.ErasureSelector{UserID: in.Selector.UserID, AgentID: in.Selector.AgentID,
			ExternalIDs: in.Selector.ExternalIDs, Metadata: convstore.Metadata(in.Selector.Metadata)},
		DryRun: in.DryRun, IncludeNew: in.IncludeNew,
	}
	if in.Selector.CreatedBefore != nil {
		s := *in.Selector.CreatedBefore
		if s < 0 || s > maxUnixSeconds {
			return convstore.Invalidf("selector.created_before", "selector.created_before must be Unix seconds between 0 and %d", maxUnixSeconds)
		}
		t := time.Unix(s, 0).UTC()
		c.Selector.CreatedBefore = &t
	}
	if err := c.Validate(); err != nil {
		return err
	}
	e, err := d.store.CreateErasure(r.Context(), convhttp.Tenant(r), c, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return created(w, api.FromErasure(e))
}

// maxUnixSeconds bounds a created_before (year 9999), which both engines
// store.
const maxUnixSeconds = 253402300799

// listErasures serves GET /v1/erasures: jobs, newest first by default.
func (d *Door) listErasures(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, pageParams...)
	if err != nil {
		return err
	}
	var f convstore.ErasureFilter
	if f.PageFilter, err = page(q, convstore.PrefixErasure, convstore.OrderDesc); err != nil {
		return err
	}
	list, more, err := d.store.FindErasures(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	return ok(w, newList(list, more, api.FromErasure, func(e *api.Erasure) string { return e.ID }))
}

// getErasure serves GET /v1/erasures/{erasure_id}.
func (d *Door) getErasure(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "erasure_id", convstore.PrefixErasure)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	e, err := d.store.FindErasureByID(r.Context(), convhttp.Tenant(r), id)
	if err != nil {
		return err
	}
	return ok(w, api.FromErasure(e))
}

// cancelErasure serves POST /v1/erasures/{erasure_id}/cancel: 200 with
// the job, which stops before its next conversation (a queued job is
// canceled at once; a final one is left as it is).
func (d *Door) cancelErasure(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "erasure_id", convstore.PrefixErasure)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	e, err := d.store.CancelErasure(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return ok(w, api.FromErasure(e))
}
