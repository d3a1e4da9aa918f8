package servicetest

import (
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

var authTests = []subtest{
	{"RevokeHereIsImmediate", testRevokeHere},
	{"RevokeElsewhereWithinBound", testRevokeElsewhere},
	{"CachedTokenNotPastExpiry", testCachedTokenExpiry},
	{"SharedPrefix", testSharedPrefix},
	{"LastUseInBackground", testLastUse},
}

// A key revoked on this node stops authenticating at once, with its access
// tokens, however recently it authenticated.
func testRevokeHere(t *testing.T, f *fixture) {
	k, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: "r", Scopes: []convstore.Scope{convstore.ScopeRead}}, f.params)
	if err != nil {
		t.Fatal(err)
	}
	_, tok := mustToken(t, f, f.tenant.ID, k.ID, time.Hour)
	for range 2 { // the second from the cache, if the store has one
		if _, err := f.Store.Authenticate(f.ctx, k.Secret); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Store.AuthenticateAccessToken(f.ctx, tok, convstore.AudienceSymbl); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Store.DeleteKey(f.ctx, f.tenant.ID, k.ID, f.params); err != nil {
		t.Fatal(err)
	}
	_, err = f.Store.Authenticate(f.ctx, k.Secret)
	wantCode(t, err, convstore.EUNAUTHORIZED, "a key revoked on this node")
	_, err = f.Store.AuthenticateAccessToken(f.ctx, tok, convstore.AudienceSymbl)
	wantCode(t, err, convstore.EUNAUTHORIZED, "a token of a key revoked on this node")
}

// A key revoked on another node stops authenticating here within the
// store's stated bound (Harness.AuthCacheTTL), and not before the cache
// says it may: the cache does spare the lookups.
func testRevokeElsewhere(t *testing.T, f *fixture) {
	if f.NewNode == nil {
		t.Skip("the harness opens no second node")
	}
	node := f.NewNode(t)
	k, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: "r", Scopes: []convstore.Scope{convstore.ScopeRead}}, f.params)
	if err != nil {
		t.Fatal(err)
	}
	_, tok := mustToken(t, f, f.tenant.ID, k.ID, time.Hour)
	if _, err := node.Authenticate(f.ctx, k.Secret); err != nil {
		t.Fatal(err)
	}
	if _, err := node.AuthenticateAccessToken(f.ctx, tok, convstore.AudienceSymbl); err != nil {
		t.Fatal(err)
	}
	if err := f.Store.DeleteKey(f.ctx, f.tenant.ID, k.ID, f.params); err != nil {
		t.Fatal(err)
	}
	if f.AuthCacheTTL == 0 {
		_, err = node.Authenticate(f.ctx, k.Secret)
		wantCode(t, err, convstore.EUNAUTHORIZED, "a key revoked on another node, without a cache")
		return
	}
	clock := f.needClock(t)
	clock.Advance(f.AuthCacheTTL / 2)
	if _, err := node.Authenticate(f.ctx, k.Secret); err != nil {
		t.Errorf("within the cache's bound the other node answers from its cache: %v", err)
	}
	clock.Advance(f.AuthCacheTTL/2 + time.Millisecond)
	_, err = node.Authenticate(f.ctx, k.Secret)
	wantCode(t, err, convstore.EUNAUTHORIZED, "a key revoked on another node, past the bound")
	_, err = node.AuthenticateAccessToken(f.ctx, tok, convstore.AudienceSymbl)
	wantCode(t, err, convstore.EUNAUTHORIZED, "a token of a key revoked on another node, past the bound")
}

// A cached token is refused once it expires, even within the cache's
// bound.
func testCachedTokenExpiry(t *testing.T, f *fixture) {
	clock := f.needClock(t)
	if f.AuthCacheTTL <= time.Second {
		t.Skip("the store caches for a second or less")
	}
	_, tok := mustToken(t, f, f.tenant.ID, f.key.ID, f.AuthCacheTTL/2)
	if _, err := f.Store.AuthenticateAccessToken(f.ctx, tok, convstore.AudienceSymbl); err != nil {
		t.Fatal(err)
	}
	clock.Advance(f.AuthCacheTTL / 2)
	_, err := f.Store.AuthenticateAccessToken(f.ctx, tok, convstore.AudienceSymbl)
	wantCode(t, err, convstore.EUNAUTHORIZED, "a cached token past its expiry")
}

// Keys sharing a prefix (caller-chosen secrets) are told apart by their
// hashes, from the cache too.
func testSharedPrefix(t *testing.T, f *fixture) {
	secrets := []string{"same-pre" + strongHex(), "same-pre" + strongHex()}
	var tenants []convstore.ID
	for _, s := range secrets {
		tn, _, err := f.Store.CreateTenantWithKey(f.ctx, uniqueName("t"), s, operator)
		if err != nil {
			t.Fatal(err)
		}
		tenants = append(tenants, tn.ID)
	}
	for range 2 {
		for i, s := range secrets {
			k, err := f.Store.Authenticate(f.ctx, s)
			if err != nil || k.TenantID != tenants[i] || k.Prefix != "same-pre" {
				t.Errorf("Authenticate(%d) = %+v, %v", i, k, err)
			}
		}
	}
	_, err := f.Store.Authenticate(f.ctx, "same-pre"+strongHex())
	wantCode(t, err, convstore.EUNAUTHORIZED, "an unknown secret with a known prefix")
	_, _, err = f.Store.CreateTenantWithKey(f.ctx, uniqueName("t"), secrets[0], operator)
	wantCode(t, err, convstore.ECONFLICT, "a second tenant with a taken secret")
}

// strongHex returns 64 random hexadecimal digits, a strong custom key.
func strongHex() string {
	var b [32]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// A key's last use is recorded without a write on the request's path:
// this node shows it at once, the database gets it in the background, at
// most once per minute per key.
func testLastUse(t *testing.T, f *fixture) {
	lastUsed := func(s convstore.Store) *time.Time {
		t.Helper()
		keys, err := s.FindKeys(f.ctx, f.tenant.ID)
		if err != nil {
			t.Fatal(err)
		}
		return keys[0].LastUsedAt
	}
	if lu := lastUsed(f.Store); lu != nil {
		t.Fatalf("a key never used has a last use: %v", lu)
	}
	if _, err := f.Store.Authenticate(f.ctx, f.key.Secret); err != nil {
		t.Fatal(err)
	}
	first := lastUsed(f.Store)
	if first == nil {
		t.Fatal("this node does not show the use it recorded")
	}
	checkRecent(t, "last use", *first)
	f.skipLegacy(t, "the last use is written on the request's path")
	if f.NewNode == nil || f.FlushKeyUses == nil {
		t.Skip("the harness opens no second node or cannot flush")
	}
	clock := f.needClock(t)
	node := f.NewNode(t)
	if lu := lastUsed(node); lu != nil {
		t.Errorf("authentication wrote the last use on the request's path: another node reads %v", lu)
	}
	if err := f.FlushKeyUses(f.ctx); err != nil {
		t.Fatal(err)
	}
	if lu := lastUsed(node); lu == nil || !lu.Equal(*first) {
		t.Fatalf("after the background write another node reads %v, want %v", lu, first)
	}
	clock.Advance(10 * time.Second)
	if _, err := f.Store.Authenticate(f.ctx, f.key.Secret); err != nil {
		t.Fatal(err)
	}
	if err := f.FlushKeyUses(f.ctx); err != nil {
		t.Fatal(err)
	}
	if lu := lastUsed(node); !lu.Equal(*first) {
		t.Errorf("written again within the minute: %v -> %v", first, lu)
	}
	clock.Advance(time.Minute)
	if _, err := f.Store.Authenticate(f.ctx, f.key.Secret); err != nil {
		t.Fatal(err)
	}
	if err := f.FlushKeyUses(f.ctx); err != nil {
		t.Fatal(err)
	}
	if lu := lastUsed(node); lu == nil || lu.Sub(*first) < time.Minute {
		t.Errorf("a use a minute later: stored %v, first %v", lu, first)
	}
}
