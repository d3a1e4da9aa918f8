package symbl_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// oldToken builds a token in the stateless format of earlier versions:
// "symbl." + base64url(8-byte expiry + key secret). It must be refused.
func oldToken(secret string, exp time.Time) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(exp.Unix()))
	return "symbl." + base64.RawURLEncoding.EncodeToString(append(b, secret...))
}

// generate calls the token route with appId, appSecret and optional
// extra fields.
func (f *fixture) generate(appID, appSecret string, extra ...any) *doortest.Response {
	body := map[string]any{"type": "application", "appId": appID, "appSecret": appSecret}
	for i := 0; i+1 < len(extra); i += 2 {
		body[extra[i].(string)] = extra[i+1]
	}
	return f.own.Do("POST", "/oauth2/token:generate", body)
}

// tokenOf checks a token answer and returns the token and its expiresIn.
func tokenOf(t *testing.T, r *doortest.Response) (string, float64) {
	t.Helper()
	doortest.Expect(t, r, 200, "application/json")
	m := hasKeys(t, "token", r.Body, "accessToken", "expiresIn")
	tok, _ := m["accessToken"].(string)
	exp, _ := m["expiresIn"].(float64)
	if len(m) != 2 || !strings.HasPrefix(tok, convstore.AccessTokenPrefix) || len(tok) != convstore.AccessTokenLength {
		t.Fatalf("token: %s", r.Body)
	}
	return tok, exp
}

func TestTokenFlow(t *testing.T) {
	t.Parallel()
	f := setup(t)
	appID := f.env.KeyAID.Format(convstore.PrefixKey)
	tok, exp := tokenOf(t, f.generate(appID, f.env.KeyA))
	if exp != 86400 {
		t.Fatalf("expiresIn %v, want 86400", exp)
	}
	// Opaque: nothing of the key is in it.
	if strings.Contains(tok, f.env.KeyA[convstore.KeyPrefixLength:]) || strings.Contains(tok, convstore.KeyPrefix(f.env.KeyA)) {
		t.Fatalf("token %q carries the key", tok)
	}
	// Bearer and the deprecated x-api-key both work, on every server over
	// the store (as on every node sharing a database).
	doortest.Expect(t, f.own.Do("GET", "/v1/conversations", nil, bearer(tok)...), 200, "application/json")
	doortest.Expect(t, f.own.Do("GET", "/v1/conversations", nil, "x-api-key", tok), 200, "application/json")
	doortest.Expect(t, f.main.Do("GET", "/compat/symbl/v1/conversations", nil, bearer(tok)...), 200, "application/json")
	// The token is for the Symbl door only.
	doortest.Expect(t, f.main.Do("GET", "/v1/conversations", nil, bearer(tok)...), 401, "application/problem+json")
	// A raw key secret is a token too.
	doortest.Expect(t, f.do("GET", "/v1/conversations", f.env.KeyA, nil), 200, "application/json")
	doortest.Expect(t, f.own.Do("GET", "/v1/conversations", nil, "x-api-key", f.env.KeyA), 200, "application/json")

	// Bad credentials are 401: the app id must be the secret's key id.
	for name, body := range map[string][2]string{
		"wrong secret":         {appID, f.env.KeyA + "x"},
		"key prefix as app id": {convstore.KeyPrefix(f.env.KeyA), f.env.KeyA},
		"old 12-character id":  {f.env.KeyA[:12], f.env.KeyA},
		"the secret as app id": {f.env.KeyA, f.env.KeyA},
		"another key's id":     {f.env.KeyAID.Format(convstore.PrefixKey), f.env.KeyB},
		"a missing key's id":   {"key_00000000000000000000000000", f.env.KeyA},
		"unknown everything":   {"abc", "def"},
		"a token as secret":    {appID, tok},
	} {
		r := f.generate(body[0], body[1])
		t.Run(name, func(t *testing.T) { expectError(t, r, 401, msgBadCreds) })
	}
	// Malformed requests are 400.
	for _, body := range []any{
		map[string]any{"appId": "a", "appSecret": "b"},
		map[string]any{"type": "user", "appId": "a", "appSecret": "b"},
		map[string]any{"type": "application", "appSecret": "b"},
		map[string]any{"type": "application", "appId": "a"},
		map[string]any{"type": "application", "appId": 5, "appSecret": "b"},
		map[string]any{"type": "application", "appId": appID, "appSecret": f.env.KeyA, "expiresIn": 0},
		map[string]any{"type": "application", "appId": appID, "appSecret": f.env.KeyA, "expiresIn": -60},
		map[string]any{"type": "application", "appId": appID, "appSecret": f.env.KeyA, "expiresIn": 1.5},
		map[string]any{"type": "application", "appId": appID, "appSecret": f.env.KeyA, "expiresIn": "60"},
		`{"type":`, `[]`, `{} {}`, ``,
	} {
		expectError(t, f.own.Do("POST", "/oauth2/token:generate", body), 400, "")
	}

	// Missing, wrong, malformed, hand-made and expired tokens are 401 with
	// one body.
	// A token that lived one microsecond, the store's resolution.
	_, expiredSecret, err := f.env.Store.CreateAccessToken(context.Background(), f.env.TenantA, f.env.KeyAID, convstore.AudienceSymbl, time.Microsecond)
	if err != nil {
		t.Fatal(err)
	}
	for name, hdr := range map[string][]string{
		"missing":                 nil,
		"wrong":                   bearer("csk_not_a_real_key_at_all_000000"),
		"malformed token":         bearer(convstore.AccessTokenPrefix + "!!!"),
		"empty token":             bearer(convstore.AccessTokenPrefix),
		"never issued":            bearer(convstore.NewAccessTokenSecret()),
		"token with a byte more":  bearer(tok + "0"),
		"expired":                 bearer(expiredSecret),
		"old format, far expiry":  bearer(oldToken(f.env.KeyA, time.Unix(0x7fffffff, 0))),
		"old format, next minute": bearer(oldToken(f.env.KeyA, time.Now().Add(time.Minute))),
		"old format x-api":        {"x-api-key", oldToken(f.env.KeyA, time.Unix(0x7fffffff, 0))},
		"wrong scheme":            {"Authorization", "Token " + f.env.KeyA},
	} {
		r := f.own.Do("GET", "/v1/conversations", nil, hdr...)
		t.Run(name, func(t *testing.T) {
			expectError(t, r, 401, msgUnauthorized)
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("%v: no WWW-Authenticate", r)
			}
		})
	}
}

// TestTokenLifetime checks that expiresIn asks for a shorter life and is
// cut to the maximum, and that the token expires when the answer says.
func TestTokenLifetime(t *testing.T) {
	t.Parallel()
	f := setup(t)
	appID := f.env.KeyAID.Format(convstore.PrefixKey)
	for _, c := range []struct {
		asked any
		want  float64
	}{{60, 60}, {3600, 3600}, {86400, 86400}, {86401, 86400}, {10_000_000_000, 86400}} {
		tok, exp := tokenOf(t, f.generate(appID, f.env.KeyA, "expiresIn", c.asked))
		if exp != c.want {
			t.Errorf("expiresIn %v: granted %v, want %v", c.asked, exp, c.want)
		}
		doortest.Expect(t, f.do("GET", "/v1/conversations", tok, nil), 200, "application/json")
	}
	// The door's token is the store's.
	tok, _ := tokenOf(t, f.generate(appID, f.env.KeyA, "expiresIn", 60))
	k, err := f.env.Store.AuthenticateAccessToken(context.Background(), tok, convstore.AudienceSymbl)
	if err != nil || k.ID != f.env.KeyAID {
		t.Fatalf("the door's token in the store: %v, %v", k, err)
	}
}

// TestTokenDiesWithItsKey revokes a key through the native API: its
// tokens stop working at once, other keys' tokens do not.
func TestTokenDiesWithItsKey(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	k, err := f.env.Store.CreateKey(ctx, f.env.TenantA, &convstore.KeyCreate{Name: "symbl app", Scopes: []convstore.Scope{convstore.ScopeRead}},
		convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	doomed, _ := tokenOf(t, f.generate(k.ID.Format(convstore.PrefixKey), k.Secret))
	kept, _ := tokenOf(t, f.generate(f.env.KeyAID.Format(convstore.PrefixKey), f.env.KeyA))
	doortest.Expect(t, f.do("GET", "/v1/conversations", doomed, nil), 200, "application/json")
	doortest.Expect(t, f.main.Do("DELETE", "/v1/keys/"+k.ID.Format(convstore.PrefixKey), nil, bearer(f.env.KeyA)...), 200, "application/json")
	expectError(t, f.do("GET", "/v1/conversations", doomed, nil), 401, msgUnauthorized)
	expectError(t, f.generate(k.ID.Format(convstore.PrefixKey), k.Secret), 401, msgBadCreds)
	doortest.Expect(t, f.do("GET", "/v1/conversations", kept, nil), 200, "application/json")
}
