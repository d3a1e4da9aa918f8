package v1

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// createKey serves POST /v1/keys: 201 with the new key, whose secret is
// shown this once.
func (d *Door) createKey(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in api.KeyCreate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c := &convstore.KeyCreate{Name: in.Name, Processor: in.Processor}
	for _, s := range in.Scopes {
		c.Scopes = append(c.Scopes, convstore.Scope(s))
	}
	if err := c.Validate(); err != nil {
		return err
	}
	nk, err := d.store.CreateKey(r.Context(), convhttp.Tenant(r), c, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	out := api.FromAPIKey(&nk.APIKey)
	out.Secret = nk.Secret
	return created(w, out)
}

// listKeys serves GET /v1/keys: every key of the tenant, oldest first, in
// one unpaginated list (a tenant has few keys).
func (d *Door) listKeys(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	keys, err := d.store.FindKeys(r.Context(), convhttp.Tenant(r))
	if err != nil {
		return err
	}
	return ok(w, newList(keys, false, api.FromAPIKey, func(k *api.APIKey) string { return k.ID }))
}

// deleteKey serves DELETE /v1/keys/{key_id}: the key stops working at once.
// Revoking the tenant's last admin key is a 409 conflict.
func (d *Door) deleteKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "key_id", convstore.PrefixKey)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	if err := d.store.DeleteKey(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName)); err != nil {
		return err
	}
	return ok(w, api.Deleted{ID: id.Format(convstore.PrefixKey), Object: api.ObjectAPIKeyDeleted, Deleted: true})
}

// getMe serves GET /v1/me: the calling key and its tenant. Every valid key
// may ask, whatever its scopes.
func (d *Door) getMe(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	return ok(w, api.FromIdentity(convhttp.Key(r.Context())))
}
