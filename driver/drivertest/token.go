package drivertest

import (
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

var tokenTests = []test{
	{"KeyOfToken", testTokenKey},
	{"TrimAndExpire", testTokenTrim},
}

// token stores an access token of k expiring after ttl.
func (f *fixture) token(tb testing.TB, k *driver.KeyRow, ttl time.Duration) *driver.AccessTokenRow {
	tb.Helper()
	return f.tokenAt(tb, k, now(), ttl)
}

// tokenAt stores an access token of k created at t.
func (f *fixture) tokenAt(tb testing.TB, k *driver.KeyRow, t time.Time, ttl time.Duration) *driver.AccessTokenRow {
	tb.Helper()
	tok := &driver.AccessTokenRow{AccessToken: convstore.AccessToken{TenantID: k.TenantID, KeyID: k.ID, Audience: convstore.AudienceSymbl, CreatedAt: t, ExpiresAt: t.Add(ttl)},
		Hash: convstore.HashKeySecret(convstore.NewAccessTokenSecret())}
	f.write(tb, func(ctx context.Context, tx driver.Tx) error { return tx.AccessTokenInsert(ctx, tok) })
	return tok
}

func testTokenKey(t *testing.T, f *fixture) {
	a := f.tenant(t)
	k := f.key(t, a.ID, "csk_toks", convstore.ScopeRead)
	tok := f.token(t, k, time.Hour)
	got, expires, err := f.drv.Reads().AccessTokenKey(f.ctx, tok.Hash, convstore.AudienceSymbl, now())
	must(t, err)
	if got.ID != k.ID || got.TenantID != a.ID || !expires.Equal(tok.ExpiresAt) {
		t.Errorf("AccessTokenKey = %+v expiring %v, want key %v expiring %v", got, expires, k.ID, tok.ExpiresAt)
	}
	_, _, err = f.drv.Reads().AccessTokenKey(f.ctx, tok.Hash, convstore.AudienceSymbl, tok.ExpiresAt)
	wantCode(t, "a token at its expiry", err, convstore.ENOTFOUND, "access token")
	// The audience is part of the lookup: a Symbl token is no console
	// session, and a console session no Symbl token.
	_, _, err = f.drv.Reads().AccessTokenKey(f.ctx, tok.Hash, convstore.AudienceConsole, now())
	wantCode(t, "a Symbl token asked for as a console session", err, convstore.ENOTFOUND, "access token")
	session := &driver.AccessTokenRow{AccessToken: convstore.AccessToken{TenantID: a.ID, KeyID: k.ID, Audience: convstore.AudienceConsole,
		CreatedAt: now(), ExpiresAt: now().Add(time.Hour)}, Hash: convstore.HashKeySecret(convstore.NewAccessTokenSecret())}
	f.write(t, func(ctx context.Context, tx driver.Tx) error { return tx.AccessTokenInsert(ctx, session) })
	if got, _, err := f.drv.Reads().AccessTokenKey(f.ctx, session.Hash, convstore.AudienceConsole, now()); err != nil || got.ID != k.ID {
		t.Errorf("AccessTokenKey of a console session = %v, %v; want key %v", got, err, k.ID)
	}
	_, _, err = f.drv.Reads().AccessTokenKey(f.ctx, session.Hash, convstore.AudienceSymbl, now())
	wantCode(t, "a console session asked for as a Symbl token", err, convstore.ENOTFOUND, "access token")
	dup := *tok
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.AccessTokenInsert(ctx, &dup) })
	wantErr(t, "a token with a taken hash", err, driver.ErrTokenTaken())
	orphan := *tok
	orphan.KeyID, orphan.Hash = convstore.NewID(), convstore.HashKeySecret("x")
	err = f.try(func(ctx context.Context, tx driver.Tx) error { return tx.AccessTokenInsert(ctx, &orphan) })
	wantCode(t, "a token of a missing key", err, convstore.ENOTFOUND, "key")
}

func testTokenTrim(t *testing.T, f *fixture) {
	a := f.tenant(t)
	k, other := f.key(t, a.ID, "csk_trim", convstore.ScopeRead), f.key(t, a.ID, "csk_trm2", convstore.ScopeRead)
	var toks []*driver.AccessTokenRow
	base := now()
	for i := range 4 {
		toks = append(toks, f.tokenAt(t, k, base.Add(time.Duration(i)*time.Second), time.Hour))
	}
	kept := f.token(t, other, time.Hour)
	var n int
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		n, err = tx.AccessTokenTrim(ctx, a.ID, k.ID, 2)
		return err
	})
	if n != 2 {
		t.Errorf("AccessTokenTrim deleted %d, want 2", n)
	}
	for i, tok := range toks {
		_, _, err := f.drv.Reads().AccessTokenKey(f.ctx, tok.Hash, convstore.AudienceSymbl, now())
		if gone := convstore.ErrorCode(err) == convstore.ENOTFOUND; gone != (i < 2) {
			t.Errorf("token %d: %v; want the two oldest gone", i, err)
		}
	}
	expired := f.token(t, other, time.Microsecond)
	f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
		n, err = tx.AccessTokenDeleteExpired(ctx, expired.ExpiresAt, 10)
		return err
	})
	if n != 1 {
		t.Errorf("AccessTokenDeleteExpired deleted %d, want the expired one", n)
	}
	if _, _, err := f.drv.Reads().AccessTokenKey(f.ctx, kept.Hash, convstore.AudienceSymbl, now()); err != nil {
		t.Errorf("a live token of another key: %v", err)
	}
	// A sign-out deletes exactly the one token, once.
	signedOut := f.token(t, other, time.Hour)
	for i, want := range []bool{true, false} {
		var gone bool
		f.write(t, func(ctx context.Context, tx driver.Tx) (err error) {
			gone, err = tx.AccessTokenDelete(ctx, signedOut.Hash)
			return err
		})
		if gone != want {
			t.Errorf("AccessTokenDelete #%d = %v, want %v", i+1, gone, want)
		}
	}
	if _, _, err := f.drv.Reads().AccessTokenKey(f.ctx, signedOut.Hash, convstore.AudienceSymbl, now()); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("a deleted token still authenticates: %v", err)
	}
	if _, _, err := f.drv.Reads().AccessTokenKey(f.ctx, kept.Hash, convstore.AudienceSymbl, now()); err != nil {
		t.Errorf("deleting one token took another: %v", err)
	}
}
