package client_test

import (
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
)

func TestKeys(t *testing.T) {
	f := setup(t)
	nk, err := f.c.CreateKey(f.ctx, convstore.ID{}, &convstore.KeyCreate{Name: "reader", Scopes: []convstore.Scope{convstore.ScopeRead, convstore.ScopeRead}},
		convstore.DeleteParams{ClientRequestID: "new-reader"})
	if err != nil {
		t.Fatal(err)
	}
	if nk.ID.IsZero() || nk.TenantID != f.tenant.ID || nk.Name != "reader" || nk.Secret == "" || nk.Prefix != convstore.KeyPrefix(nk.Secret) ||
		len(nk.Scopes) != 1 || nk.Scopes[0] != convstore.ScopeRead {
		t.Fatalf("created %+v", nk)
	}
	keys, err := f.c.FindKeys(f.ctx, convstore.ID{})
	if err != nil || len(keys) != 2 || keys[0].ID != f.key.ID || keys[1].ID != nk.ID || keys[1].TenantID != f.tenant.ID {
		t.Fatalf("list: %v, %d keys", err, len(keys))
	}
	if keys[0].LastUsedAt == nil {
		t.Fatalf("admin key has no last use: %+v", keys[0])
	}
	entries, _, err := f.c.FindAuditEntries(f.ctx, convstore.ID{}, convstore.AuditFilter{})
	if e := entries[0]; err != nil || e.Action != convstore.AuditKeyCreate || e.TargetID != nk.ID || e.ClientRequestID != "new-reader" || e.ActorKeyID != f.key.ID {
		t.Fatalf("audit: %v %+v", err, entries)
	}

	// Any key can authenticate itself; the read key reads but may not
	// write, delete or manage keys.
	got, err := f.c.Authenticate(f.ctx, nk.Secret)
	if err != nil || got.ID != nk.ID || got.TenantID != f.tenant.ID || got.Prefix != nk.Prefix || len(got.Scopes) != 1 {
		t.Fatalf("Authenticate: %v %+v", err, got)
	}
	reader := client.New(f.srv.URL, nk.Secret)
	cv := f.mustConversation(t, "call", 0)
	if _, err := reader.FindConversationByID(f.ctx, convstore.ID{}, cv.ID); err != nil {
		t.Fatal(err)
	}
	_, err = reader.DeleteConversation(f.ctx, convstore.ID{}, cv.ID, convstore.DeleteParams{})
	wantCode(t, err, convstore.EFORBIDDEN, 403)
	_, err = reader.FindKeys(f.ctx, convstore.ID{})
	wantCode(t, err, convstore.EFORBIDDEN, 403)
	if err := f.c.DeleteKey(f.ctx, convstore.ID{}, nk.ID, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	_, err = reader.FindConversationByID(f.ctx, convstore.ID{}, cv.ID)
	wantCode(t, err, convstore.EUNAUTHORIZED, 401)
	err = f.c.DeleteKey(f.ctx, convstore.ID{}, nk.ID, convstore.DeleteParams{})
	wantCode(t, err, convstore.ENOTFOUND, 404)
	// The last admin key cannot be revoked.
	err = f.c.DeleteKey(f.ctx, convstore.ID{}, f.key.ID, convstore.DeleteParams{})
	wantCode(t, err, convstore.ECONFLICT, 409)
	_, err = f.c.CreateKey(f.ctx, convstore.ID{}, &convstore.KeyCreate{Scopes: []convstore.Scope{"root"}}, convstore.DeleteParams{})
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "scopes" {
		t.Fatalf("field = %q, want scopes", ce.Err.Field)
	}
}

// TestAuthenticate checks that every bad secret, even one that cannot be
// sent in a header, is refused with the server's one message.
func TestAuthenticate(t *testing.T) {
	f := setup(t)
	k, err := f.c.Authenticate(f.ctx, f.key.Secret)
	if err != nil || k.ID != f.key.ID || k.TenantID != f.tenant.ID || k.Scopes[0] != convstore.ScopeAdmin {
		t.Fatalf("Authenticate: %v %+v", err, k)
	}
	var first string
	for _, secret := range []string{"", convstore.NewKeySecret(), "not a key \x00\xff", f.key.Secret + "x", f.key.Prefix} {
		_, err := f.c.Authenticate(f.ctx, secret)
		wantCode(t, err, convstore.EUNAUTHORIZED, 401)
		if first == "" {
			first = convstore.ErrorMessage(err)
		} else if convstore.ErrorMessage(err) != first {
			t.Errorf("secret %q: %q, another bad secret: %q", secret, convstore.ErrorMessage(err), first)
		}
	}
}
