package v1

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// getCORS serves GET /v1/cors: the web origins the tenant allows.
func (d *Door) getCORS(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	origins, err := d.store.FindCORSOrigins(r.Context(), convhttp.Tenant(r))
	if err != nil {
		return err
	}
	return ok(w, api.CORS{Object: api.ObjectCORS, AllowedOrigins: origins})
}

// putCORS serves PUT /v1/cors: the body's origins replace the tenant's.
func (d *Door) putCORS(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in struct {
		AllowedOrigins *[]string `json:"allowed_origins"`
	}
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.AllowedOrigins == nil {
		return convstore.Invalidf("allowed_origins", "allowed_origins is required: a list of origins, empty to allow none")
	}
	origins, err := d.store.SetCORSOrigins(r.Context(), convhttp.Tenant(r), *in.AllowedOrigins, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return ok(w, api.CORS{Object: api.ObjectCORS, AllowedOrigins: origins})
}
