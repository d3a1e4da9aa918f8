package servicetest

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

var tenantTests = []subtest{
	{"CreateTenant", testCreateTenant},
	{"DuplicateName", testTenantDuplicateName},
	{"InvalidName", testTenantInvalidName},
	{"CreateTenantWithKey", testCreateTenantWithKey},
	{"FindTenantsOldestFirst", testFindTenants},
}

var keyTests = []subtest{
	{"AuthenticateRejects", testAuthenticateRejects},
	{"AuthenticateRecordsLastUse", testAuthenticateLastUse},
	{"CreateKey", testCreateKey},
	{"CreateKeyValidation", testCreateKeyValidation},
	{"FindKeysHidesSecrets", testFindKeys},
	{"DeleteKeyRevokes", testDeleteKey},
	{"DeleteLastAdminKey", testDeleteLastAdminKey},
	{"DeleteForeignKey", testDeleteForeignKey},
}

// checkNewKey checks a freshly issued key and that its secret authenticates
// as that key of that tenant.
func checkNewKey(t *testing.T, f *fixture, tenantID convstore.ID, k *convstore.NewKey, scopes []convstore.Scope) {
	t.Helper()
	if k.ID.IsZero() || k.TenantID != tenantID {
		t.Errorf("new key: ID %s, TenantID %s; want non-zero ID and tenant %s", k.ID.UUID(), k.TenantID.UUID(), tenantID.UUID())
	}
	if k.Prefix != convstore.KeyPrefix(k.Secret) {
		t.Errorf("new key Prefix = %q, want KeyPrefix(secret) = %q", k.Prefix, convstore.KeyPrefix(k.Secret))
	}
	if !slices.Equal(k.Scopes, scopes) {
		t.Errorf("new key Scopes = %v, want %v", k.Scopes, scopes)
	}
	checkRecent(t, "new key CreatedAt", k.CreatedAt)
	got, err := f.Store.Authenticate(f.ctx, k.Secret)
	if err != nil {
		t.Fatalf("Authenticate with a fresh secret: %v", err)
	}
	if got.ID != k.ID || got.TenantID != tenantID || got.Prefix != k.Prefix || !slices.Equal(got.Scopes, scopes) {
		t.Errorf("Authenticate returned %+v, want key %s of tenant %s with prefix %q and scopes %v", got, k.ID.UUID(), tenantID.UUID(), k.Prefix, scopes)
	}
	checkNoContent(t, "authenticated key", got, k.Secret)
}

func testCreateTenant(t *testing.T, f *fixture) {
	name := uniqueName("acme")
	tenant, key := MustCreateTenant(t, f.ctx, f.Store, name)
	if tenant.ID.IsZero() || tenant.Name != name {
		t.Errorf("CreateTenant returned %+v, want non-zero ID and name %q", tenant, name)
	}
	checkRecent(t, "tenant CreatedAt", tenant.CreatedAt)
	if !strings.HasPrefix(key.Secret, convstore.KeySecretPrefix) || len(key.Secret) != len(convstore.KeySecretPrefix)+40 {
		t.Errorf("generated secret %q: want %q followed by 40 characters", key.Secret, convstore.KeySecretPrefix)
	}
	checkNewKey(t, f, tenant.ID, key, []convstore.Scope{convstore.ScopeAdmin})
	got, err := f.Store.Authenticate(f.ctx, key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Has(convstore.ScopeAdmin) || !got.Has(convstore.ScopeDelete) {
		t.Errorf("bootstrap key does not grant admin scope: %v", got.Scopes)
	}
	if got.TenantID == f.tenant.ID {
		t.Errorf("new tenant's key authenticates as the fixture tenant")
	}
}

func testTenantDuplicateName(t *testing.T, f *fixture) {
	before, err := f.Store.FindTenants(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = f.Store.CreateTenant(f.ctx, f.tenant.Name, operator)
	wantCode(t, err, convstore.ECONFLICT, "CreateTenant with a taken name")
	_, _, err = f.Store.CreateTenantWithKey(f.ctx, f.tenant.Name, convstore.NewKeySecret(), operator)
	wantCode(t, err, convstore.ECONFLICT, "CreateTenantWithKey with a taken name")
	after, err := f.Store.FindTenants(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("tenants after duplicate creates: %d, want %d", len(after), len(before))
	}
}

func testTenantInvalidName(t *testing.T, f *fixture) {
	_, _, err := f.Store.CreateTenant(f.ctx, "", operator)
	wantCode(t, err, convstore.EINVALID, "CreateTenant with an empty name")
}

func testCreateTenantWithKey(t *testing.T, f *fixture) {
	secret := convstore.NewKeySecret()
	name := uniqueName("boot")
	tenant, key, err := f.Store.CreateTenantWithKey(f.ctx, name, secret, operator)
	if err != nil {
		t.Fatalf("CreateTenantWithKey: %v", err)
	}
	if key.Secret != secret {
		t.Errorf("CreateTenantWithKey returned secret %q, want the chosen %q", key.Secret, secret)
	}
	checkNewKey(t, f, tenant.ID, key, []convstore.Scope{convstore.ScopeAdmin})

	// A custom (non-csk_) secret with enough randomness is fine: 64 hex
	// digits, as openssl rand -hex 32 prints.
	custom := randomHex(t, 32)
	tenant2, key2, err := f.Store.CreateTenantWithKey(f.ctx, uniqueName("boot"), custom, operator)
	if err != nil {
		t.Fatalf("CreateTenantWithKey with 64 random hex digits: %v", err)
	}
	checkNewKey(t, f, tenant2.ID, key2, []convstore.Scope{convstore.ScopeAdmin})
	if len(key2.Prefix) != convstore.KeyPrefixLength || key2.Prefix != custom[:convstore.KeyPrefixLength] {
		t.Errorf("custom key prefix %q, want its first %d characters", key2.Prefix, convstore.KeyPrefixLength)
	}

	// Short, weak and already used secrets are refused and create nothing.
	before, err := f.Store.FindTenants(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	refusedName := uniqueName("refused")
	for what, c := range map[string]struct {
		secret, code string
	}{
		"an empty secret":                    {"", convstore.EINVALID},
		"a short secret":                     {randomHex(t, 32)[:convstore.MinKeyLength-1], convstore.EINVALID},
		"one repeated letter":                {strings.Repeat("a", convstore.MinKeyLength), convstore.EINVALID},
		"one repeated letter, long":          {strings.Repeat("a", convstore.MaxKeyLength), convstore.EINVALID},
		"a readable phrase":                  {"csk_demo_key_0123456789abcdefghij", convstore.EINVALID},
		"a repeated chunk":                   {strings.Repeat("k3y-", 40), convstore.EINVALID},
		"16 random bytes: 128 bits in all":   {randomHex(t, 16), convstore.EINVALID},
		"random, except for its prefix":      {custom[:convstore.KeyPrefixLength] + strings.Repeat("0", 56), convstore.EINVALID},
		"the secret of another tenant's key": {secret, convstore.ECONFLICT},
	} {
		_, _, err := f.Store.CreateTenantWithKey(f.ctx, refusedName, c.secret, operator)
		if !checkCode(t, err, c.code, "CreateTenantWithKey with "+what) {
			continue
		}
		if c.code == convstore.EINVALID && convstore.ErrorField(err) != "key" {
			t.Errorf("CreateTenantWithKey with %s: field %q, want \"key\"", what, convstore.ErrorField(err))
		}
		if len(c.secret) >= convstore.KeyPrefixLength && strings.Contains(err.Error(), c.secret[convstore.KeyPrefixLength:]) {
			t.Errorf("CreateTenantWithKey with %s: the error repeats the secret: %v", what, err)
		}
	}
	_, _, err = f.Store.CreateTenantWithKey(f.ctx, refusedName, strings.Repeat("a", 64), operator)
	if msg := convstore.ErrorMessage(err); !strings.Contains(msg, "openssl rand -hex 32") || !strings.HasPrefix(msg, "key ") {
		t.Errorf("a weak key's message %q does not start with \"key \" and tell how to make a good one", msg)
	}
	after, err := f.Store.FindTenants(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("a rejected CreateTenantWithKey left a tenant: %d tenants, want %d", len(after), len(before))
	}
	_, err = f.Store.Authenticate(f.ctx, strings.Repeat("a", convstore.MinKeyLength))
	wantCode(t, err, convstore.EUNAUTHORIZED, "Authenticate with a rejected bootstrap secret")
	MustCreateTenant(t, f.ctx, f.Store, refusedName) // the name stayed free
}

// randomHex returns n random bytes in hexadecimal.
func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func testFindTenants(t *testing.T, f *fixture) {
	var made []convstore.ID
	for i := 0; i < 3; i++ {
		ten, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("t"))
		made = append(made, ten.ID)
	}
	all, err := f.Store.FindTenants(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []convstore.ID
	for _, ten := range all {
		if ten.ID == f.tenant.ID || slices.Contains(made, ten.ID) {
			got = append(got, ten.ID)
		}
	}
	want := append([]convstore.ID{f.tenant.ID}, made...)
	if !slices.Equal(got, want) {
		t.Errorf("FindTenants order: got %s, want oldest first %s", fmtIDs(got), fmtIDs(want))
	}
}

func testAuthenticateRejects(t *testing.T, f *fixture) {
	last := f.key.Secret[len(f.key.Secret)-1]
	changed := f.key.Secret[:len(f.key.Secret)-1] + string(map[bool]byte{true: 'a', false: 'b'}[last != 'a'])
	bad := map[string]string{
		"never issued":       convstore.NewKeySecret(),
		"empty":              "",
		"garbage":            "not a key at all \x00\xff",
		"prefix only":        f.key.Prefix,
		"secret plus a byte": f.key.Secret + "x",
		"last byte changed":  changed,
		"upper-cased":        strings.ToUpper(f.key.Secret),
		"too long":           strings.Repeat("x", convstore.MaxKeyLength+1),
	}
	var ref error
	for what, secret := range bad {
		k, err := f.Store.Authenticate(f.ctx, secret)
		if !checkCode(t, err, convstore.EUNAUTHORIZED, "Authenticate "+what) {
			continue
		}
		if k != nil {
			t.Errorf("Authenticate %s returned a key with its error", what)
		}
		if ref == nil {
			ref = err
		} else if convstore.ErrorMessage(err) != convstore.ErrorMessage(ref) {
			t.Errorf("Authenticate %s: message %q differs from %q (one message for all)", what, convstore.ErrorMessage(err), convstore.ErrorMessage(ref))
		}
	}
}

func testAuthenticateLastUse(t *testing.T, f *fixture) {
	start := time.Now()
	if _, err := f.Store.Authenticate(f.ctx, f.key.Secret); err != nil {
		t.Fatal(err)
	}
	keys, err := f.Store.FindKeys(f.ctx, f.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].ID != f.key.ID {
		t.Fatalf("FindKeys = %d keys, want the bootstrap key", len(keys))
	}
	if keys[0].LastUsedAt == nil {
		t.Fatalf("LastUsedAt is nil after Authenticate")
	}
	if keys[0].LastUsedAt.Before(start.Add(-time.Second)) {
		t.Errorf("LastUsedAt = %v, before the Authenticate call at %v", *keys[0].LastUsedAt, start)
	}
}

func testCreateKey(t *testing.T, f *fixture) {
	c := &convstore.KeyCreate{Name: "reader", Scopes: []convstore.Scope{convstore.ScopeWrite, convstore.ScopeRead, convstore.ScopeWrite}}
	k, err := f.Store.CreateKey(f.ctx, f.tenant.ID, c, f.params)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	if k.Name != "reader" || k.ID == f.key.ID {
		t.Errorf("CreateKey returned %+v", k.APIKey)
	}
	if !strings.HasPrefix(k.Secret, convstore.KeySecretPrefix) {
		t.Errorf("CreateKey secret %q lacks prefix %q", k.Secret, convstore.KeySecretPrefix)
	}
	checkNewKey(t, f, f.tenant.ID, k, []convstore.Scope{convstore.ScopeRead, convstore.ScopeWrite})
	got, err := f.Store.Authenticate(f.ctx, k.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if got.Has(convstore.ScopeAdmin) || got.Has(convstore.ScopeDelete) || !got.Has(convstore.ScopeWrite) {
		t.Errorf("read+write key has scopes %v", got.Scopes)
	}
	k2, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: "reader", Scopes: []convstore.Scope{convstore.ScopeRead}}, f.params)
	if err != nil {
		t.Fatalf("CreateKey with a repeated name: %v", err)
	}
	if k2.Secret == k.Secret || k2.ID == k.ID {
		t.Errorf("two keys share a secret or ID")
	}
}

func testCreateKeyValidation(t *testing.T, f *fixture) {
	cases := []struct {
		what  string
		c     convstore.KeyCreate
		field string
	}{
		{"unknown scope", convstore.KeyCreate{Name: "x", Scopes: []convstore.Scope{convstore.ScopeRead, "superuser"}}, "scopes"},
		{"no scopes", convstore.KeyCreate{Name: "x"}, "scopes"},
		{"long name", convstore.KeyCreate{Name: strings.Repeat("n", 129), Scopes: []convstore.Scope{convstore.ScopeRead}}, "name"},
	}
	for _, tc := range cases {
		_, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &tc.c, f.params)
		wantInvalid(t, err, tc.field, "CreateKey with "+tc.what)
	}
	keys, err := f.Store.FindKeys(f.ctx, f.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 {
		t.Errorf("rejected CreateKey calls left keys: %d keys, want 1", len(keys))
	}
}

func testFindKeys(t *testing.T, f *fixture) {
	secrets := map[convstore.ID]string{f.key.ID: f.key.Secret}
	want := []convstore.ID{f.key.ID}
	for _, sc := range []convstore.Scope{convstore.ScopeRead, convstore.ScopeDelete, convstore.ScopeAdmin} {
		k, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: string(sc), Scopes: []convstore.Scope{sc}}, f.params)
		if err != nil {
			t.Fatal(err)
		}
		secrets[k.ID] = k.Secret
		want = append(want, k.ID)
	}
	keys, err := f.Store.FindKeys(f.ctx, f.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []convstore.ID
	for _, k := range keys {
		got = append(got, k.ID)
		secret := secrets[k.ID]
		if k.Prefix != convstore.KeyPrefix(secret) {
			t.Errorf("key %s: Prefix = %q, want %q", k.ID.UUID(), k.Prefix, convstore.KeyPrefix(secret))
		}
		if k.TenantID != f.tenant.ID {
			t.Errorf("key %s: TenantID = %s", k.ID.UUID(), k.TenantID.UUID())
		}
		checkNoContent(t, "listed key", k, secret, secret[convstore.KeyPrefixLength:])
	}
	if !slices.Equal(got, want) {
		t.Errorf("FindKeys: got %s, want oldest first %s", fmtIDs(got), fmtIDs(want))
	}
}

func testDeleteKey(t *testing.T, f *fixture) {
	k, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: "tmp", Scopes: []convstore.Scope{convstore.ScopeRead}}, f.params)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Store.Authenticate(f.ctx, k.Secret); err != nil {
		t.Fatal(err)
	}
	if err := f.Store.DeleteKey(f.ctx, f.tenant.ID, k.ID, f.params); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	_, err = f.Store.Authenticate(f.ctx, k.Secret)
	wantCode(t, err, convstore.EUNAUTHORIZED, "Authenticate with a revoked key")
	err = f.Store.DeleteKey(f.ctx, f.tenant.ID, k.ID, f.params)
	wantCode(t, err, convstore.ENOTFOUND, "DeleteKey twice")
	keys, err := f.Store.FindKeys(f.ctx, f.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range keys {
		if key.ID == k.ID {
			t.Errorf("FindKeys still lists the revoked key")
		}
	}
	if _, err := f.Store.Authenticate(f.ctx, f.key.Secret); err != nil {
		t.Errorf("revoking one key broke another: %v", err)
	}
}

func testDeleteLastAdminKey(t *testing.T, f *fixture) {
	reader, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: "r", Scopes: []convstore.Scope{convstore.ScopeRead, convstore.ScopeWrite, convstore.ScopeDelete}}, f.params)
	if err != nil {
		t.Fatal(err)
	}
	err = f.Store.DeleteKey(f.ctx, f.tenant.ID, f.key.ID, f.params)
	wantCode(t, err, convstore.ECONFLICT, "DeleteKey of the only admin key")
	if _, err := f.Store.Authenticate(f.ctx, f.key.Secret); err != nil {
		t.Fatalf("the refused admin key no longer authenticates: %v", err)
	}
	admin2, err := f.Store.CreateKey(f.ctx, f.tenant.ID, &convstore.KeyCreate{Name: "a2", Scopes: []convstore.Scope{convstore.ScopeAdmin}}, f.params)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Store.DeleteKey(f.ctx, f.tenant.ID, f.key.ID, f.params); err != nil {
		t.Fatalf("DeleteKey of one of two admin keys: %v", err)
	}
	err = f.Store.DeleteKey(f.ctx, f.tenant.ID, admin2.ID, f.params)
	wantCode(t, err, convstore.ECONFLICT, "DeleteKey of the remaining admin key")
	if _, err := f.Store.Authenticate(f.ctx, admin2.Secret); err != nil {
		t.Fatalf("the remaining admin key no longer authenticates: %v", err)
	}
	if err := f.Store.DeleteKey(f.ctx, f.tenant.ID, reader.ID, f.params); err != nil {
		t.Errorf("DeleteKey of a non-admin key: %v", err)
	}
}

func testDeleteForeignKey(t *testing.T, f *fixture) {
	other, otherKey := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	extra, err := f.Store.CreateKey(f.ctx, other.ID, &convstore.KeyCreate{Name: "x", Scopes: []convstore.Scope{convstore.ScopeRead}}, f.params)
	if err != nil {
		t.Fatal(err)
	}
	ref := f.Store.DeleteKey(f.ctx, f.tenant.ID, randomID(), f.params)
	wantCode(t, ref, convstore.ENOTFOUND, "DeleteKey of a never-existing key")
	for _, k := range []*convstore.NewKey{otherKey, extra} {
		err := f.Store.DeleteKey(f.ctx, f.tenant.ID, k.ID, f.params)
		wantCode(t, err, convstore.ENOTFOUND, "DeleteKey of another tenant's key")
		sameError(t, "DeleteKey", err, ref)
		if got, err := f.Store.Authenticate(f.ctx, k.Secret); err != nil || got.TenantID != other.ID {
			t.Errorf("another tenant's key after a foreign DeleteKey: %v, %v", got, err)
		}
	}
}
