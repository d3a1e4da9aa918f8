package client_test

import (
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
)

func TestKeys(t *testing.T) {
	f := setup(t)
	nk, err := f.c.CreateKey(f.ctx, &convstore.KeyCreate{Name: "reader", Scopes: []convstore.Scope{convstore.ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	if nk.ID.IsZero() || nk.Name != "reader" || nk.Secret == "" || nk.Prefix != convstore.KeyPrefix(nk.Secret) ||
		len(nk.Scopes) != 1 || nk.Scopes[0] != convstore.ScopeRead {
		t.Fatalf("created %+v", nk)
	}
	keys, err := f.c.ListKeys(f.ctx)
	if err != nil || len(keys) != 2 || keys[0].ID != f.key.ID || keys[1].ID != nk.ID {
		t.Fatalf("list: %v, %d keys", err, len(keys))
	}
	if keys[0].LastUsedAt == nil {
		t.Fatalf("admin key has no last use: %+v", keys[0])
	}

	// The read key reads but may not write, delete or manage keys.
	reader := client.New(f.srv.URL, nk.Secret)
	cv := f.mustConversation(t, "call", 0)
	if _, err := reader.GetConversation(f.ctx, cv.ID); err != nil {
		t.Fatal(err)
	}
	_, err = reader.DeleteConversation(f.ctx, cv.ID)
	wantCode(t, err, convstore.EFORBIDDEN, 403)
	_, err = reader.ListKeys(f.ctx)
	wantCode(t, err, convstore.EFORBIDDEN, 403)

	if err := f.c.DeleteKey(f.ctx, nk.ID); err != nil {
		t.Fatal(err)
	}
	_, err = reader.GetConversation(f.ctx, cv.ID)
	wantCode(t, err, convstore.EUNAUTHORIZED, 401)
	err = f.c.DeleteKey(f.ctx, nk.ID)
	wantCode(t, err, convstore.ENOTFOUND, 404)
	// The last admin key cannot be revoked.
	err = f.c.DeleteKey(f.ctx, f.key.ID)
	wantCode(t, err, convstore.ECONFLICT, 409)

	_, err = f.c.CreateKey(f.ctx, &convstore.KeyCreate{Scopes: []convstore.Scope{"root"}})
	if ce := wantCode(t, err, convstore.EINVALID, 422); ce.Err.Field != "scopes" {
		t.Fatalf("field = %q, want scopes", ce.Err.Field)
	}
}
