package drivertest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var keyTests = []test{
	{"InsertAndFind", testKeys},
	{"Conflicts", testKeyConflicts},
	{"Touch", testKeyTouch},
	{"DeleteScopedAndCascading", testKeyDelete},
}

// key returns a stored key row of the tenant.
func (f *fixture) key(tb testing.TB, tenantID convstore.ID, prefix string, scopes ...convstore.Scope) *driver.KeyRow {
	tb.Helper()
	secret := prefix + convstore.NewID().Base32()
	k := &driver.KeyRow{APIKey: convstore.APIKey{ID: convstore.NewID(), TenantID: tenantID, Name: "k", Prefix: prefix,
		Scopes: scopes, CreatedAt: now()}, Hash: convstore.HashKeySecret(secret)}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.KeyInsert(ctx, k) })
	return k
}

func testKeys(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	ka := f.key(t, a.ID, "csk_same", convstore.ScopeRead, convstore.ScopeWrite)
	kb := f.key(t, b.ID, "csk_same", convstore.ScopeAdmin)
	f.key(t, a.ID, "csk_othr", convstore.ScopeAdmin)

	rows, err := f.drv.Reads().KeyListByPrefix(f.ctx, "csk_same")
	must(t, err)
	if len(rows) != 2 {
		t.Fatalf("KeyListByPrefix found %d keys, want both tenants' 2", len(rows))
	}
	for _, r := range rows {
		want := ka
		if r.ID == kb.ID {
			want = kb
		}
		if r.TenantID != want.TenantID || !bytes.Equal(r.Hash, want.Hash) || r.Prefix != "csk_same" ||
			len(r.Scopes) != len(want.Scopes) || r.LastUsedAt != nil || !r.CreatedAt.Equal(want.CreatedAt) {
			t.Errorf("key row %+v, want %+v", r, want)
		}
	}
	list, err := f.drv.Reads().KeyList(f.ctx, a.ID)
	must(t, err)
	if len(list) != 2 || list[0].ID != ka.ID || list[1].Prefix != "csk_othr" {
		t.Errorf("KeyList(a) = %+v, want a's two keys oldest first", list)
	}
	if none, err := f.drv.Reads().KeyList(f.ctx, convstore.NewID()); err != nil || none == nil || len(none) != 0 {
		t.Errorf("KeyList of a missing tenant = %v, %v; want an empty list", none, err)
	}
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.KeyLock(ctx, b.ID, ka.ID) })
	wantCode(t, "KeyLock of another tenant's key", err, convstore.ENOTFOUND, "key")
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.KeyLock(ctx, a.ID, ka.ID) })
}

func testKeyConflicts(t *testing.T, f *fixture) {
	a := f.tenant(t)
	k := f.key(t, a.ID, "csk_abcd", convstore.ScopeAdmin)
	again := *k
	again.ID = convstore.NewID()
	err := f.try(func(ctx context.Context, tx driver.Tx) error { return tx.KeyInsert(ctx, &again) })
	wantErr(t, "a key with a taken hash", err, driver.ErrKeyTaken())
	orphan := *k
	orphan.ID, orphan.TenantID, orphan.Hash = convstore.NewID(), convstore.NewID(), convstore.HashKeySecret("other")
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.KeyInsert(ctx, &orphan) })
	wantCode(t, "a key of a missing tenant", err, convstore.ENOTFOUND, "tenant")
}

func testKeyTouch(t *testing.T, f *fixture) {
	a := f.tenant(t)
	k := f.key(t, a.ID, "csk_tuch", convstore.ScopeRead)
	t1 := now()
	touch := func(tenantID convstore.ID, at time.Time) {
		t.Helper()
		f.write(t, func(ctx context.Context, tx driver.Tx) error {
			return tx.KeyTouch(ctx, []driver.KeyUse{{TenantID: tenantID, KeyID: k.ID, At: at}, {TenantID: a.ID, KeyID: convstore.NewID(), At: at}})
		})
	}
	lastUsed := func() *time.Time {
		t.Helper()
		list, err := f.drv.Reads().KeyList(f.ctx, a.ID)
		must(t, err)
		return list[0].LastUsedAt
	}
	touch(convstore.NewID(), t1) // another tenant's id: not this key
	if lu := lastUsed(); lu != nil {
		t.Fatalf("touched through another tenant: %v", lu)
	}
	touch(a.ID, t1)
	if lu := lastUsed(); lu == nil || !lu.Equal(t1) {
		t.Fatalf("last use %v, want %v", lu, t1)
	}
	touch(a.ID, t1.Add(-time.Hour)) // an older use never moves it back
	if lu := lastUsed(); !lu.Equal(t1) {
		t.Errorf("an older use moved the last use to %v", lu)
	}
	touch(a.ID, t1.Add(time.Minute))
	if lu := lastUsed(); !lu.Equal(t1.Add(time.Minute)) {
		t.Errorf("last use %v, want a minute later", lu)
	}
}

func testKeyDelete(t *testing.T, f *fixture) {
	a, b := f.tenant(t), f.tenant(t)
	k := f.key(t, a.ID, "csk_dele", convstore.ScopeRead)
	tok := f.token(t, k, time.Hour)
	err := f.try(func(ctx context.Context, tx driver.Tx) error { return tx.KeyDelete(ctx, b.ID, k.ID) })
	wantCode(t, "KeyDelete of another tenant's key", err, convstore.ENOTFOUND, "key")
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.KeyDelete(ctx, a.ID, k.ID) })
	_, _, err = f.drv.Reads().AccessTokenKey(f.ctx, tok.Hash, convstore.AudienceSymbl, now())
	wantCode(t, "the token of a deleted key", err, convstore.ENOTFOUND, "access token")
	if f.RowCounts != nil {
		counts, err := f.RowCounts(f.ctx)
		must(t, err)
		if counts["access_tokens"] != 0 {
			t.Errorf("%d access tokens left after their key's delete", counts["access_tokens"])
		}
	}
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.KeyDelete(ctx, a.ID, k.ID) })
	wantCode(t, "KeyDelete twice", err, convstore.ENOTFOUND, "key")
}
