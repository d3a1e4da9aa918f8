package v1_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// routeScopes is, written by hand and kept apart from the route table,
// the scope each native route requires ("" for a public one). Reading is
// read, adding or changing is write, deleting a record is delete, keys
// and the audit log are admin, and who am I is any valid key's. A route's scope changes only by
// changing this table too.
var routeScopes = map[string]convstore.Scope{
	"GET /healthz":         "",
	"GET /readyz":          "",
	"GET /v1/openapi.json": "",

	"POST /v1/conversations":                           convstore.ScopeWrite,
	"GET /v1/conversations":                            convstore.ScopeRead,
	"GET /v1/conversations/{conversation_id}":          convstore.ScopeRead,
	"PATCH /v1/conversations/{conversation_id}":        convstore.ScopeWrite,
	"DELETE /v1/conversations/{conversation_id}":       convstore.ScopeDelete,
	"POST /v1/conversations/{conversation_id}/restore": convstore.ScopeDelete,
	"GET /v1/conversations/lookup":                     convstore.ScopeRead,
	"GET /v1/conversations/count":                      convstore.ScopeRead,

	"POST /v1/conversations/{conversation_id}/messages":                convstore.ScopeWrite,
	"GET /v1/conversations/{conversation_id}/messages":                 convstore.ScopeRead,
	"GET /v1/conversations/{conversation_id}/messages/{message_id}":    convstore.ScopeRead,
	"DELETE /v1/conversations/{conversation_id}/messages/{message_id}": convstore.ScopeDelete,
	"GET /v1/messages/{message_id}":                                    convstore.ScopeRead,

	"POST /v1/conversations/{conversation_id}/artifacts":                 convstore.ScopeWrite,
	"GET /v1/conversations/{conversation_id}/artifacts":                  convstore.ScopeRead,
	"GET /v1/conversations/{conversation_id}/artifacts/{artifact_id}":    convstore.ScopeRead,
	"DELETE /v1/conversations/{conversation_id}/artifacts/{artifact_id}": convstore.ScopeDelete,
	"GET /v1/artifacts/{artifact_id}":                                    convstore.ScopeRead,

	"GET /v1/conversations/{conversation_id}/attachments":           convstore.ScopeRead,
	"PUT /v1/conversations/{conversation_id}/attachments/{name}":    convstore.ScopeWrite,
	"GET /v1/conversations/{conversation_id}/attachments/{name}":    convstore.ScopeRead,
	"DELETE /v1/conversations/{conversation_id}/attachments/{name}": convstore.ScopeDelete,

	"GET /v1/deletions":               convstore.ScopeRead,
	"GET /v1/deletions/{deletion_id}": convstore.ScopeRead,
	// A processor's key (or an admin's) records a confirmation.
	"POST /v1/deletions/{deletion_id}/confirmations": convstore.ScopeConfirm,
	"POST /v1/processors":                            convstore.ScopeAdmin,
	"GET /v1/processors":                             convstore.ScopeAdmin,
	"GET /v1/processors/{processor}":                 convstore.ScopeAdmin,
	"PATCH /v1/processors/{processor}":               convstore.ScopeAdmin,
	"DELETE /v1/processors/{processor}":              convstore.ScopeAdmin,
	"GET /v1/audit":                                  convstore.ScopeAdmin,
	"GET /v1/events":                                 convstore.ScopeAdmin,

	"GET /v1/retention":          convstore.ScopeRead,
	"PUT /v1/retention":          convstore.ScopeAdmin,
	"GET /v1/cors":               convstore.ScopeRead,
	"PUT /v1/cors":               convstore.ScopeAdmin,
	"GET /v1/retention/preview":  convstore.ScopeRead,
	"POST /v1/retention/preview": convstore.ScopeAdmin,
	// One erasure job may delete a whole user, agent or period: admin.
	"POST /v1/erasures":                     convstore.ScopeAdmin,
	"GET /v1/erasures":                      convstore.ScopeRead,
	"GET /v1/erasures/{erasure_id}":         convstore.ScopeRead,
	"POST /v1/erasures/{erasure_id}/cancel": convstore.ScopeAdmin,

	"POST /v1/keys":            convstore.ScopeAdmin,
	"GET /v1/keys":             convstore.ScopeAdmin,
	"DELETE /v1/keys/{key_id}": convstore.ScopeAdmin,

	"POST /v1/holds":             convstore.ScopeAdmin,
	"GET /v1/holds":              convstore.ScopeAdmin,
	"GET /v1/holds/{hold_id}":    convstore.ScopeAdmin,
	"DELETE /v1/holds/{hold_id}": convstore.ScopeAdmin,

	"POST /v1/webhooks":                                              convstore.ScopeAdmin,
	"GET /v1/webhooks":                                               convstore.ScopeAdmin,
	"GET /v1/webhooks/{webhook_id}":                                  convstore.ScopeAdmin,
	"PATCH /v1/webhooks/{webhook_id}":                                convstore.ScopeAdmin,
	"DELETE /v1/webhooks/{webhook_id}":                               convstore.ScopeAdmin,
	"POST /v1/webhooks/{webhook_id}/rotate_secret":                   convstore.ScopeAdmin,
	"POST /v1/webhooks/{webhook_id}/test":                            convstore.ScopeAdmin,
	"GET /v1/webhooks/{webhook_id}/deliveries":                       convstore.ScopeAdmin,
	"GET /v1/webhooks/{webhook_id}/deliveries/{delivery_id}":         convstore.ScopeAdmin,
	"POST /v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay": convstore.ScopeAdmin,

	// Every valid key may learn who it is, whatever its scopes.
	"GET /v1/me": convhttp.AnyScope,
}

// TestRouteScopes compares the hand-written table with the scopes the
// server registered and the x-scope of the OpenAPI document, so that a
// route downgraded in the code and the document alike still fails.
func TestRouteScopes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	registered := map[string]convstore.Scope{}
	for _, rt := range e.srv.Routes() { // the probes too
		registered[rt.Method+" "+rt.Path] = rt.Scope
	}
	documented := map[string]convstore.Scope{}
	for k, op := range loadOpenAPI(t) {
		documented[k] = convstore.Scope(op.Scope)
	}
	for name, got := range map[string]map[string]convstore.Scope{"registered": registered, "documented": documented} {
		for _, k := range slices.Sorted(maps.Keys(routeScopes)) {
			if s, ok := got[k]; !ok {
				t.Errorf("%s: %s is missing", name, k)
			} else if s != routeScopes[k] {
				t.Errorf("%s: %s requires scope %q, want %q", name, k, s, routeScopes[k])
			}
		}
		for k := range got {
			if _, ok := routeScopes[k]; !ok {
				t.Errorf("%s: %s has no scope in the test's table: add it", name, k)
			}
		}
	}
}

// TestDeleteRoutesRefuseLesserKeys sends every DELETE route, for a record
// that exists, with each single-scope key whose scope is not the route's
// (read-only and write-only keys on every route; a delete-only key on the
// admin routes). Every answer is 403, and nothing is deleted: the record
// still reads back, and no receipt or audit entry was written.
func TestDeleteRoutesRefuseLesserKeys(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ids := e.populate()
	receipts, audit := len(e.deletions()), len(e.audit(""))
	n := 0
	for _, k := range slices.Sorted(maps.Keys(routeScopes)) {
		method, path, _ := strings.Cut(k, " ")
		if method != "DELETE" {
			continue
		}
		for _, s := range allScopes {
			if s == routeScopes[k] || s == convstore.ScopeAdmin {
				continue
			}
			r := e.do("DELETE", ids.path(path), e.Scoped[s], nil)
			problem(t, r, 403, "forbidden", "")
			n++
		}
		// The record is still there.
		if path == "/v1/keys/{key_id}" {
			var keys api.List[api.APIKey]
			e.must(200, "GET", "/v1/keys", e.KeyA, nil, &keys)
			if !slices.ContainsFunc(keys.Data, func(k api.APIKey) bool { return k.ID == ids.key }) {
				t.Errorf("%s: the key is gone", k)
			}
			continue
		}
		if r := e.do("GET", ids.path(path), e.KeyA, nil); r.Status != 200 {
			t.Errorf("%s: after forbidden deletes, GET answers %v", k, r)
		}
	}
	if n != 20 {
		t.Errorf("%d forbidden deletes sent, want 20 (read and write on 6 routes, and delete too on the key, hold, processor and webhook routes)", n)
	}
	if got := len(e.deletions()); got != receipts {
		t.Errorf("forbidden deletes wrote %d receipts", got-receipts)
	}
	if got := len(e.audit("")); got != audit {
		t.Errorf("forbidden deletes wrote %d audit entries", got-audit)
	}
}

// deletions returns tenant A's receipts (at most 100).
func (e *env) deletions() []api.Deletion {
	e.TB.Helper()
	var l api.List[api.Deletion]
	e.must(200, "GET", "/v1/deletions?limit=100", e.KeyA, nil, &l)
	return l.Data
}
