package servicetest

import (
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

var tokenTests = []subtest{
	{"IssueAndAuthenticate", testTokenIssue},
	{"Lifetime", testTokenLifetime},
	{"Expired", testTokenExpired},
	{"SweepRemovesExpired", testTokenSweep},
	{"RevokingTheKeyRevokesItsTokens", testTokenRevokedKey},
	{"RevokeOneToken", testTokenRevoke},
	{"Malformed", testTokenMalformed},
	{"AnotherTenantsKey", testTokenForeignKey},
	{"AtMostMaxPerKey", testTokenCap},
	{"AudiencesApart", testTokenAudience},
}

// testTokenAudience: a token is accepted only for the audience it was
// issued for, both ways, even once the first check is cached; an unknown
// audience is refused on issue.
func testTokenAudience(t *testing.T, f *fixture) {
	_, symbl := mustToken(t, f, f.tenant.ID, f.key.ID, time.Hour)
	_, session, err := f.Store.CreateAccessToken(f.ctx, f.tenant.ID, f.key.ID, convstore.AudienceConsole, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second round answers from the cache
		for _, c := range []struct{ secret, ok, wrong string }{
			{symbl, convstore.AudienceSymbl, convstore.AudienceConsole},
			{session, convstore.AudienceConsole, convstore.AudienceSymbl},
		} {
			if got, err := f.Store.AuthenticateAccessToken(f.ctx, c.secret, c.ok); err != nil || got.ID != f.key.ID {
				t.Errorf("a %s token for %s = %v, %v; want the key", c.ok, c.ok, got, err)
			}
			_, err := f.Store.AuthenticateAccessToken(f.ctx, c.secret, c.wrong)
			wantCode(t, err, convstore.EUNAUTHORIZED, "a "+c.ok+" token for "+c.wrong)
		}
	}
	for _, a := range []string{"", "native", "Console"} {
		_, _, err := f.Store.CreateAccessToken(f.ctx, f.tenant.ID, f.key.ID, a, time.Hour)
		wantCode(t, err, convstore.EINVALID, "a token of audience "+a)
	}
	// A sign-out revokes the session whatever audience cached it.
	if err := f.Store.RevokeAccessToken(f.ctx, session); err != nil {
		t.Fatal(err)
	}
	_, err = f.Store.AuthenticateAccessToken(f.ctx, session, convstore.AudienceConsole)
	wantCode(t, err, convstore.EUNAUTHORIZED, "a revoked console session")
}

// mustToken issues a token for key of tenant and fails the test on error.
func mustToken(tb testing.TB, f *fixture, tenantID, keyID convstore.ID, ttl time.Duration) (*convstore.AccessToken, string) {
	tb.Helper()
	tok, secret, err := f.Store.CreateAccessToken(f.ctx, tenantID, keyID, convstore.AudienceSymbl, ttl)
	if err != nil {
		tb.Fatalf("CreateAccessToken: %v", err)
	}
	if tok == nil || secret == "" {
		tb.Fatalf("CreateAccessToken returned token %v and secret %q without error", tok, secret)
	}
	return tok, secret
}

// tokenRows returns how many access tokens the store holds.
func tokenRows(tb testing.TB, f *fixture) int {
	tb.Helper()
	return MustRowCounts(tb, f.ctx, f.Harness)["access_tokens"]
}

func testTokenIssue(t *testing.T, f *fixture) {
	reader, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: "reader", Scopes: []convstore.Scope{convstore.ScopeRead}}, f.params)
	if err != nil {
		t.Fatal(err)
	}
	tok, secret := mustToken(t, f, f.tenant.ID, reader.ID, time.Hour)
	if tok.TenantID != f.tenant.ID || tok.KeyID != reader.ID || tok.ExpiresAt.Sub(tok.CreatedAt) != time.Hour {
		t.Errorf("token %+v: want tenant %s, key %s, one hour", tok, f.tenant.ID.UUID(), reader.ID.UUID())
	}
	checkRecent(t, "token CreatedAt", tok.CreatedAt)
	if !strings.HasPrefix(secret, convstore.AccessTokenPrefix) || !convstore.IsAccessTokenSecret(secret) {
		t.Errorf("token secret %q is not of the access token form", secret)
	}
	// Opaque: nothing of the key is in it.
	checkNoContent(t, "token secret", secret, reader.Secret, reader.Secret[convstore.KeyPrefixLength:], reader.Prefix)
	got, err := f.Store.AuthenticateAccessToken(f.ctx, secret, convstore.AudienceSymbl)
	if err != nil {
		t.Fatalf("AuthenticateAccessToken: %v", err)
	}
	if got.ID != reader.ID || got.TenantID != f.tenant.ID || got.Has(convstore.ScopeWrite) || !got.Has(convstore.ScopeRead) {
		t.Errorf("AuthenticateAccessToken returned %+v, want the read key %s", got, reader.ID.UUID())
	}
	// Tokens and keys do not stand in for each other.
	_, err = f.Store.Authenticate(f.ctx, secret)
	wantCode(t, err, convstore.EUNAUTHORIZED, "Authenticate with an access token")
	_, err = f.Store.AuthenticateAccessToken(f.ctx, reader.Secret, convstore.AudienceSymbl)
	wantCode(t, err, convstore.EUNAUTHORIZED, "AuthenticateAccessToken with a key secret")
	// Every token is new; only hashes are stored.
	_, again := mustToken(t, f, f.tenant.ID, reader.ID, time.Hour)
	if again == secret {
		t.Errorf("two tokens share a secret")
	}
	if n := tokenRows(t, f); n != 2 {
		t.Errorf("%d access token rows after issuing 2", n)
	}
}

func testTokenLifetime(t *testing.T, f *fixture) {
	tok, _ := mustToken(t, f, f.tenant.ID, f.key.ID, 7*24*time.Hour)
	if got := tok.ExpiresAt.Sub(tok.CreatedAt); got != convstore.MaxAccessTokenTTL {
		t.Errorf("a week's token lasts %v, want it cut to %v", got, convstore.MaxAccessTokenTTL)
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		_, _, err := f.Store.CreateAccessToken(f.ctx, f.tenant.ID, f.key.ID, convstore.AudienceSymbl, ttl)
		wantInvalid(t, err, "ttl", "CreateAccessToken with ttl "+ttl.String())
	}
	if n := tokenRows(t, f); n != 1 {
		t.Errorf("%d access token rows, want the one issued", n)
	}
}

// testTokenExpired issues a token that lives one microsecond, the
// engines' time resolution: the next call already finds it expired.
func testTokenExpired(t *testing.T, f *fixture) {
	tok, secret := mustToken(t, f, f.tenant.ID, f.key.ID, time.Microsecond)
	if !tok.ExpiresAt.After(tok.CreatedAt) {
		t.Fatalf("token %+v expires before it is made", tok)
	}
	_, err := f.Store.AuthenticateAccessToken(f.ctx, secret, convstore.AudienceSymbl)
	wantCode(t, err, convstore.EUNAUTHORIZED, "AuthenticateAccessToken with an expired token")
}

func testTokenSweep(t *testing.T, f *fixture) {
	_, expired := mustToken(t, f, f.tenant.ID, f.key.ID, time.Microsecond)
	_, live := mustToken(t, f, f.tenant.ID, f.key.ID, time.Hour)
	n, err := f.SweepAccessTokens(f.ctx)
	if err != nil {
		t.Fatalf("SweepAccessTokens: %v", err)
	}
	if n != 1 || tokenRows(t, f) != 1 {
		t.Errorf("SweepAccessTokens removed %d, left %d rows; want 1 removed and the live token kept", n, tokenRows(t, f))
	}
	if _, err := f.Store.AuthenticateAccessToken(f.ctx, live, convstore.AudienceSymbl); err != nil {
		t.Errorf("the live token after a sweep: %v", err)
	}
	_, err = f.Store.AuthenticateAccessToken(f.ctx, expired, convstore.AudienceSymbl)
	wantCode(t, err, convstore.EUNAUTHORIZED, "AuthenticateAccessToken with a swept token")
	if n, err := f.SweepAccessTokens(f.ctx); n != 0 || err != nil {
		t.Errorf("a second sweep: %d, %v; want 0, nil", n, err)
	}
}

func testTokenRevokedKey(t *testing.T, f *fixture) {
	k, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: "doomed", Scopes: []convstore.Scope{convstore.ScopeRead}}, f.params)
	if err != nil {
		t.Fatal(err)
	}
	_, doomed := mustToken(t, f, f.tenant.ID, k.ID, time.Hour)
	_, kept := mustToken(t, f, f.tenant.ID, f.key.ID, time.Hour)
	if _, err := f.Store.AuthenticateAccessToken(f.ctx, doomed, convstore.AudienceSymbl); err != nil {
		t.Fatal(err)
	}
	if err := f.Store.DeleteKey(f.ctx, f.tenant.ID, k.ID, f.params); err != nil {
		t.Fatal(err)
	}
	_, err = f.Store.AuthenticateAccessToken(f.ctx, doomed, convstore.AudienceSymbl)
	wantCode(t, err, convstore.EUNAUTHORIZED, "AuthenticateAccessToken after the key was revoked")
	if n := tokenRows(t, f); n != 1 {
		t.Errorf("%d access token rows after revoking a key, want only the other key's token", n)
	}
	if got, err := f.Store.AuthenticateAccessToken(f.ctx, kept, convstore.AudienceSymbl); err != nil || got.ID != f.key.ID {
		t.Errorf("another key's token after a revoke: %v, %v", got, err)
	}
	_, _, err = f.Store.CreateAccessToken(f.ctx, f.tenant.ID, k.ID, convstore.AudienceSymbl, time.Hour)
	wantCode(t, err, convstore.ENOTFOUND, "CreateAccessToken for a revoked key")
}

// testTokenRevoke: a sign-out ends one token at once (the cached
// authentication included), leaves the key's other tokens, and revoking
// again, or revoking nonsense, is silently nothing.
func testTokenRevoke(t *testing.T, f *fixture) {
	_, gone := mustToken(t, f, f.tenant.ID, f.key.ID, time.Hour)
	_, kept := mustToken(t, f, f.tenant.ID, f.key.ID, time.Hour)
	if _, err := f.Store.AuthenticateAccessToken(f.ctx, gone, convstore.AudienceSymbl); err != nil {
		t.Fatal(err) // now cached
	}
	if err := f.Store.RevokeAccessToken(f.ctx, gone); err != nil {
		t.Fatalf("RevokeAccessToken: %v", err)
	}
	_, err := f.Store.AuthenticateAccessToken(f.ctx, gone, convstore.AudienceSymbl)
	wantCode(t, err, convstore.EUNAUTHORIZED, "AuthenticateAccessToken after RevokeAccessToken")
	if got, err := f.Store.AuthenticateAccessToken(f.ctx, kept, convstore.AudienceSymbl); err != nil || got.ID != f.key.ID {
		t.Errorf("the key's other token after a revoke: %v, %v", got, err)
	}
	if n := tokenRows(t, f); n != 1 {
		t.Errorf("%d access token rows after revoking one of two, want 1", n)
	}
	for _, s := range []string{gone, "", "cst_nonsense", strings.Repeat("x", 300)} {
		if err := f.Store.RevokeAccessToken(f.ctx, s); err != nil {
			t.Errorf("RevokeAccessToken(%q): %v, want nil", s, err)
		}
	}
}

func testTokenMalformed(t *testing.T, f *fixture) {
	_, secret := mustToken(t, f, f.tenant.ID, f.key.ID, time.Hour)
	// The stateless format of earlier versions: "symbl." + base64(expiry
	// + key secret), with the largest 32-bit expiry.
	changed := byte('0')
	if secret[len(secret)-1] == '0' {
		changed = '1'
	}
	oldStyle := "symbl." + base64.RawURLEncoding.EncodeToString(append(binary.BigEndian.AppendUint64(nil, 0x7fffffff), f.key.Secret...))
	bad := map[string]string{
		"empty":             "",
		"prefix only":       convstore.AccessTokenPrefix,
		"one short":         secret[:len(secret)-1],
		"one long":          secret + "0",
		"upper-cased":       convstore.AccessTokenPrefix + strings.ToUpper(secret[len(convstore.AccessTokenPrefix):]),
		"last char changed": secret[:len(secret)-1] + string(changed),
		"never issued":      convstore.NewAccessTokenSecret(),
		"a key secret":      f.key.Secret,
		"old symbl format":  oldStyle,
		"NUL":               convstore.AccessTokenPrefix + strings.Repeat("\x00", 40),
	}
	var ref error
	for what, s := range bad {
		k, err := f.Store.AuthenticateAccessToken(f.ctx, s, convstore.AudienceSymbl)
		if !checkCode(t, err, convstore.EUNAUTHORIZED, "AuthenticateAccessToken with "+what) {
			continue
		}
		if k != nil {
			t.Errorf("AuthenticateAccessToken with %s returned a key with its error", what)
		}
		if ref == nil {
			ref = err
		} else if convstore.ErrorMessage(err) != convstore.ErrorMessage(ref) {
			t.Errorf("AuthenticateAccessToken with %s: message %q differs from %q (one message for all)", what, convstore.ErrorMessage(err), convstore.ErrorMessage(ref))
		}
	}
}

func testTokenForeignKey(t *testing.T, f *fixture) {
	other, otherKey := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	ref := func() error {
		_, _, err := f.Store.CreateAccessToken(f.ctx, f.tenant.ID, randomID(), convstore.AudienceSymbl, time.Hour)
		return err
	}()
	wantCode(t, ref, convstore.ENOTFOUND, "CreateAccessToken for a never-existing key")
	_, _, err := f.Store.CreateAccessToken(f.ctx, f.tenant.ID, otherKey.ID, convstore.AudienceSymbl, time.Hour)
	wantCode(t, err, convstore.ENOTFOUND, "CreateAccessToken for another tenant's key")
	sameError(t, "CreateAccessToken", err, ref)
	_, _, err = f.Store.CreateAccessToken(f.ctx, other.ID, f.key.ID, convstore.AudienceSymbl, time.Hour)
	wantCode(t, err, convstore.ENOTFOUND, "CreateAccessToken in another tenant for this tenant's key")
	if n := tokenRows(t, f); n != 0 {
		t.Errorf("refused CreateAccessToken calls left %d rows", n)
	}
}

// testTokenCap issues one token more than a key may have: the oldest goes.
func testTokenCap(t *testing.T, f *fixture) {
	if testing.Short() {
		t.Skip("issues 1001 tokens")
	}
	_, first := mustToken(t, f, f.tenant.ID, f.key.ID, time.Hour)
	_, other := mustToken(t, f, f.tenant.ID, mustCreateKey(t, f, convstore.ScopeRead).ID, time.Hour)
	var last string
	for range convstore.MaxAccessTokensPerKey {
		_, last = mustToken(t, f, f.tenant.ID, f.key.ID, time.Hour)
	}
	if n := tokenRows(t, f); n != convstore.MaxAccessTokensPerKey+1 {
		t.Errorf("%d access token rows, want %d of the key and 1 of another", n, convstore.MaxAccessTokensPerKey+1)
	}
	_, err := f.Store.AuthenticateAccessToken(f.ctx, first, convstore.AudienceSymbl)
	wantCode(t, err, convstore.EUNAUTHORIZED, "the key's oldest token past the cap")
	for what, s := range map[string]string{"the newest token": last, "another key's token": other} {
		if _, err := f.Store.AuthenticateAccessToken(f.ctx, s, convstore.AudienceSymbl); err != nil {
			t.Errorf("%s past the cap: %v", what, err)
		}
	}
}

// mustCreateKey creates a key with the given scopes in the fixture's
// tenant and fails the test on error.
func mustCreateKey(tb testing.TB, f *fixture, scopes ...convstore.Scope) *convstore.NewKey {
	tb.Helper()
	k, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: uniqueName("key"), Scopes: scopes}, f.params)
	if err != nil {
		tb.Fatalf("CreateKey: %v", err)
	}
	return k
}
