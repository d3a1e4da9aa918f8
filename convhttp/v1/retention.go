package v1

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// getRetention serves GET /v1/retention: the tenant's policies, the
// default (agent_id null) first.
func (d *Door) getRetention(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	policies, err := d.store.FindRetention(r.Context(), convhttp.Tenant(r))
	if err != nil {
		return err
	}
	out := api.FromRetention(policies)
	if out.RestoreWindowDays, err = d.store.FindRestoreWindow(r.Context(), convhttp.Tenant(r)); err != nil {
		return err
	}
	return ok(w, out)
}

// putRetention serves PUT /v1/retention: the body's policies replace the
// tenant's (an empty list keeps everything). The runner applies them at
// its next interval; GET /v1/retention/preview shows what it will erase.
func (d *Door) putRetention(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in struct {
		Policies *[]api.RetentionPolicy `json:"policies"`
		// Absent is 0 (off): the PUT replaces the whole object.
		RestoreWindowDays int `json:"restore_window_days"`
	}
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Policies == nil {
		return convstore.Invalidf("policies", "policies is required: a list of policies, empty to keep everything")
	}
	for i, p := range *in.Policies {
		if p.UpdatedAt != 0 {
			return convstore.Invalidf("policies", "policies[%d].updated_at is set by the server", i)
		}
	}
	// Checked first, so a bad window changes nothing.
	if err := convstore.ValidateRestoreWindow(in.RestoreWindowDays); err != nil {
		return err
	}
	p := convhttp.DeleteParams(r, DoorName)
	policies, err := d.store.ReplaceRetention(r.Context(), convhttp.Tenant(r), api.ToRetention(*in.Policies), p)
	if err != nil {
		return err
	}
	if err := d.store.SetRestoreWindow(r.Context(), convhttp.Tenant(r), in.RestoreWindowDays, p); err != nil {
		return err
	}
	out := api.FromRetention(policies)
	out.RestoreWindowDays = in.RestoreWindowDays
	return ok(w, out)
}

// previewRetention serves GET /v1/retention/preview: what a retention run
// would erase now.
func (d *Door) previewRetention(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	p, err := d.store.PreviewRetention(r.Context(), convhttp.Tenant(r))
	if err != nil {
		return err
	}
	return ok(w, api.FromRetentionPreview(p))
}

// previewRetentionDraft serves POST /v1/retention/preview: what a
// retention run would erase now if the body's policies replaced the
// tenant's, saving nothing (admin: it shows what any policy would erase).
func (d *Door) previewRetentionDraft(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in struct {
		Policies *[]api.RetentionPolicy `json:"policies"`
	}
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Policies == nil {
		return convstore.Invalidf("policies", "policies is required: the draft's list of policies, empty to keep everything")
	}
	for i, p := range *in.Policies {
		if p.UpdatedAt != 0 {
			return convstore.Invalidf("policies", "policies[%d].updated_at is set by the server", i)
		}
	}
	p, err := d.store.PreviewRetentionDraft(r.Context(), convhttp.Tenant(r), api.ToRetention(*in.Policies))
	if err != nil {
		return err
	}
	return ok(w, api.FromRetentionPreview(p))
}
