package v1_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp/doortest"
)

func TestKeys(t *testing.T) {
	t.Parallel()
	e := setup(t)

	var k api.APIKey
	r := e.must(201, "POST", "/v1/keys", e.KeyA, map[string]any{"name": "ci", "scopes": []string{"write", "read", "read"}}, &k)
	hasKeys(t, "create", r.Body, append(keyKeys, "secret")...)
	if k.Object != "api_key" || k.Name != "ci" || strings.Join(k.Scopes, ",") != "read,write" ||
		!strings.HasPrefix(k.Secret, "csk_") || k.Prefix != k.Secret[:8] || k.LastUsedAt != nil {
		t.Fatalf("create: %s", r.Body)
	}

	// The new key works at once, with its scopes only.
	e.must(200, "GET", "/v1/conversations", k.Secret, nil, nil)
	problem(t, e.do("GET", "/v1/keys", k.Secret, nil), 403, "forbidden", "")

	// The list never shows secrets; oldest first.
	r = e.must(200, "GET", "/v1/keys", e.KeyA, nil, nil)
	if strings.Contains(string(r.Body), k.Secret) || strings.Contains(string(r.Body), `"secret"`) {
		t.Fatalf("list shows a secret: %s", r.Body)
	}
	var l api.List[api.APIKey]
	e.must(200, "GET", "/v1/keys", e.KeyA, nil, &l)
	var ids []string
	for _, key := range l.Data {
		ids = append(ids, key.ID)
	}
	checkList(t, r, keyKeys, ids, false)
	if len(l.Data) != 6 || l.Data[0].ID != e.KeyAID.Format("key") || l.Data[5].ID != k.ID {
		t.Fatalf("list: %s", r.Body)
	}

	// Revoke: the key stops working at once.
	r = e.must(200, "DELETE", "/v1/keys/"+k.ID, e.KeyA, nil, nil)
	if d := hasKeys(t, "delete", r.Body, deletedKeys...); d["id"] != k.ID || d["object"] != "api_key.deleted" || d["deleted"] != true {
		t.Fatalf("delete: %s", r.Body)
	}
	problem(t, e.do("GET", "/v1/conversations", k.Secret, nil), 401, "unauthorized", "")
	problem(t, e.do("DELETE", "/v1/keys/"+k.ID, e.KeyA, nil), 404, "not_found", "")

	// The last admin key cannot be revoked: 409. Tenant A has two admin
	// keys (the first and the admin-only one); revoke one, then the other.
	var all api.List[api.APIKey]
	e.must(200, "GET", "/v1/keys", e.KeyA, nil, &all)
	for _, key := range all.Data {
		if key.Name == "only admin" {
			e.must(200, "DELETE", "/v1/keys/"+key.ID, e.KeyA, nil, nil)
		}
	}
	problem(t, e.do("DELETE", "/v1/keys/"+e.KeyAID.Format("key"), e.KeyA, nil), 409, "conflict", "-")

	// Validation.
	problem(t, e.do("POST", "/v1/keys", e.KeyA, map[string]any{"name": "x", "scopes": []string{}}), 422, "invalid", "scopes")
	problem(t, e.do("POST", "/v1/keys", e.KeyA, map[string]any{"scopes": []string{"root"}}), 422, "invalid", "scopes")
	problem(t, e.do("POST", "/v1/keys", e.KeyA, map[string]any{"name": strings.Repeat("n", 129), "scopes": []string{"read"}}), 422, "invalid", "name")
}

func TestDeletionsAndAudit(t *testing.T) {
	t.Parallel()
	e := setup(t)
	f := e.populate()

	// The fixture deleted one conversation; delete a message too.
	e.must(200, "DELETE", "/v1/conversations/"+f.conv+"/messages/"+f.msg, e.KeyA, nil, nil)

	r := e.must(200, "GET", "/v1/deletions/"+f.del, e.KeyA, nil, nil)
	d := hasKeys(t, "get", r.Body, deletionKeys...)
	if d["object"] != "deletion" || d["door"] != "native" || d["deleted_by"] != e.KeyAID.Format("key") {
		t.Fatalf("receipt: %s", r.Body)
	}
	conv := d["conversation_id"].(string)
	r = e.must(200, "GET", "/v1/deletions", e.KeyA, nil, nil)
	checkList(t, r, deletionKeys, []string{f.del}, false)
	r = e.must(200, "GET", "/v1/deletions?conversation_id="+conv, e.Scoped["read"], nil, nil)
	checkList(t, r, deletionKeys, []string{f.del}, false)
	r = e.must(200, "GET", "/v1/deletions?conversation_id="+f.conv, e.KeyA, nil, nil)
	checkList(t, r, deletionKeys, nil, false)

	// Audit: newest first, admin only. The fixture's last actions were the
	// conversation delete and a key's creation; the tenant's creation (an
	// operator's, through the test's door) came first of all.
	var l api.List[api.AuditEntry]
	r = e.must(200, "GET", "/v1/audit", e.KeyA, nil, &l)
	ids := make([]string, len(l.Data))
	for i, a := range l.Data {
		ids[i] = a.ID
	}
	checkList(t, r, auditKeys, ids, false)
	admin := e.KeyAID.Format("key")
	if len(l.Data) < 5 || l.Data[0].Action != "message.delete" || l.Data[0].TargetID != f.msg || *l.Data[0].ActorKeyID != admin ||
		l.Data[1].Action != "erasure.create" || l.Data[1].TargetID != f.erasure || *l.Data[1].ActorKeyID != admin || l.Data[1].ConversationID != nil ||
		l.Data[2].Action != "key.create" || l.Data[2].TargetID != f.key || *l.Data[2].ActorKeyID != admin || l.Data[2].ConversationID != nil ||
		l.Data[3].Action != "conversation.delete" || l.Data[3].TargetID != f.del || *l.Data[3].ConversationID != conv {
		t.Fatalf("audit: %s", r.Body)
	}
	oldest := l.Data[len(l.Data)-1]
	if oldest.Action != "tenant.create" || oldest.ActorKeyID != nil || oldest.Door != "test" {
		t.Fatalf("oldest audit entry: %s", mustJSON(t, oldest))
	}
	r = e.must(200, "GET", "/v1/audit?order=asc&limit=1", e.KeyA, nil, nil)
	checkList(t, r, auditKeys, []string{oldest.ID}, true)
	problem(t, e.do("GET", "/v1/audit", e.Scoped["read"], nil), 403, "forbidden", "")
}

func TestPublicEndpoints(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.do("GET", "/healthz", "", nil)
	if r.Status != 200 || string(r.Body) != "{\"status\":\"ok\"}\n" {
		t.Fatalf("%v", r)
	}
	r = e.do("GET", "/readyz", "", nil)
	if r.Status != 200 || string(r.Body) != "{\"status\":\"ready\"}\n" {
		t.Fatalf("%v", r)
	}
	r = e.do("GET", "/v1/openapi.json", "", nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/json" || string(r.Body) != string(api.OpenAPI) {
		t.Fatalf("openapi: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
}

func TestMe(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	tenantA, err := e.Store.Authenticate(ctx, e.KeyA)
	if err != nil {
		t.Fatal(err)
	}
	// Every key may ask, whatever its scopes, and learns its own id,
	// scopes and tenant, never its secret.
	for _, s := range allScopes {
		var me api.Identity
		r := e.must(200, "GET", "/v1/me", e.Scoped[s], nil, &me)
		m := hasKeys(t, "me", r.Body, "object", "tenant_id", "key")
		hasKeys(t, "me.key", mustJSON(t, m["key"]), keyKeys...)
		want, err := e.Store.Authenticate(ctx, e.Scoped[s])
		if err != nil {
			t.Fatal(err)
		}
		if me.Object != "identity" || me.TenantID != tenantA.TenantID.Format("ten") || me.Key.ID != want.ID.Format("key") ||
			!slices.Equal(me.Key.Scopes, []string{string(s)}) {
			t.Errorf("%s key: %s", s, r.Body)
		}
	}
	var b api.Identity
	e.must(200, "GET", "/v1/me", e.KeyB, nil, &b)
	if b.TenantID == tenantA.TenantID.Format("ten") || b.Key.Scopes[0] != "admin" {
		t.Errorf("tenant B's key: %+v", b)
	}
	problem(t, e.do("GET", "/v1/me?verbose=1", e.KeyA, nil), 400, "invalid_parameter", "verbose")
	problem(t, e.do("GET", "/v1/me", "", nil), 401, "unauthorized", "")

	// Every answer to an authenticated request names the caller's
	// tenant, errors included; an unauthenticated one names none.
	for key, tenant := range map[string]string{e.KeyA: tenantA.TenantID.Format("ten"), e.KeyB: b.TenantID} {
		for _, r := range []*doortest.Response{
			e.do("GET", "/v1/conversations", key, nil),
			e.do("GET", "/v1/conversations/"+convstore.NewID().Format("conv"), key, nil),
			e.do("POST", "/v1/conversations", key, map[string]any{"title": strings.Repeat("t", 600)}),
		} {
			if got := r.Header.Get(api.TenantHeader); got != tenant {
				t.Errorf("%v: %s %q, want %q", r, api.TenantHeader, got, tenant)
			}
		}
	}
	for _, r := range []*doortest.Response{e.do("GET", "/v1/conversations", "", nil), e.do("GET", "/v1/openapi.json", "", nil), e.do("GET", "/v1/conversations", "csk_nobody", nil)} {
		if got := r.Header.Get(api.TenantHeader); got != "" {
			t.Errorf("%v: %s %q, want none", r, api.TenantHeader, got)
		}
	}

	// A revoked key is no one.
	var k api.APIKey
	e.must(201, "POST", "/v1/keys", e.KeyA, map[string]any{"name": "brief", "scopes": []string{"write"}}, &k)
	e.must(200, "GET", "/v1/me", k.Secret, nil, nil)
	e.must(200, "DELETE", "/v1/keys/"+k.ID, e.KeyA, nil, nil)
	problem(t, e.do("GET", "/v1/me", k.Secret, nil), 401, "unauthorized", "")
}
