package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres/pgtest"
)

// TestTwoNodesAccessTokens issues a token on one node and uses it on
// another: tokens live in the database, so every node accepts them, and a
// revoke or a sweep on one node holds for all.
func TestTwoNodesAccessTokens(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t)
	ctx := testCtx(t)
	op := convstore.DeleteParams{Door: "test"}
	tenant, admin, err := a.CreateTenant(ctx, "tokens-"+convstore.NewID().Base32(), op)
	if err != nil {
		t.Fatal(err)
	}
	k, err := a.CreateKey(ctx, tenant.ID, &convstore.KeyCreate{Name: "app", Scopes: []convstore.Scope{convstore.ScopeRead}}, op)
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := a.CreateAccessToken(ctx, tenant.ID, k.ID, convstore.AudienceSymbl, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.AuthenticateAccessToken(ctx, tok, convstore.AudienceSymbl); err != nil || got.ID != k.ID {
		t.Fatalf("node b with node a's token: %v, %v", got, err)
	}
	_, expired, err := b.CreateAccessToken(ctx, tenant.ID, admin.ID, convstore.AudienceSymbl, time.Microsecond)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := a.SweepAccessTokens(ctx); err != nil || n != 1 {
		t.Errorf("node a swept %d, %v; want node b's expired token", n, err)
	}
	if _, err := b.AuthenticateAccessToken(ctx, expired, convstore.AudienceSymbl); convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
		t.Errorf("a swept token on node b: %v", err)
	}
	if err := b.DeleteKey(ctx, tenant.ID, k.ID, op); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AuthenticateAccessToken(ctx, tok, convstore.AudienceSymbl); convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
		t.Errorf("node a with a token whose key node b revoked: %v, want EUNAUTHORIZED", err)
	}
	if n := count(t, a, `SELECT count(*) FROM access_tokens`); n != 0 {
		t.Errorf("%d token rows after the revoke, want 0", n)
	}
}

// TestTokenVsRevoke races token issuing against the key's revocation:
// every token issued is dead once the revoke has committed, and nothing
// is left behind.
func TestTokenVsRevoke(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t)
	ctx := testCtx(t)
	op := convstore.DeleteParams{Door: "test"}
	tenant, _, err := a.CreateTenant(ctx, "race-"+convstore.NewID().Base32(), op)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		k, err := a.CreateKey(ctx, tenant.ID, &convstore.KeyCreate{Name: "app", Scopes: []convstore.Scope{convstore.ScopeRead}}, op)
		if err != nil {
			t.Fatal(err)
		}
		issued := make(chan string, 1)
		go func() {
			_, tok, err := a.CreateAccessToken(ctx, tenant.ID, k.ID, convstore.AudienceSymbl, time.Hour)
			if err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND {
				t.Errorf("round %d: CreateAccessToken racing a revoke: %v", round, err)
			}
			issued <- tok
		}()
		if err := b.DeleteKey(ctx, tenant.ID, k.ID, op); err != nil {
			t.Fatal(err)
		}
		if tok := <-issued; tok != "" {
			if _, err := b.AuthenticateAccessToken(ctx, tok, convstore.AudienceSymbl); convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
				t.Errorf("round %d: a token of a revoked key: %v", round, err)
			}
		}
	}
	if n := count(t, a, `SELECT count(*) FROM access_tokens`); n != 0 {
		t.Errorf("%d token rows of revoked keys", n)
	}
}

// TestMigration0003KeepsOldKeys: a key made before migration 0003, with
// the 12-character prefix of that time, still authenticates after it.
func TestMigration0003KeepsOldKeys(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	before := migratedTo(t, 2)
	tenant, key := convstore.NewID(), convstore.NewID()
	secret := "csk_oldstylekey_with_a_12_character_prefix" // made before the strength check
	before.exec(`INSERT INTO tenants (id, name, created_at) VALUES ($1, 'old', now())`, tenant[:])
	before.exec(`INSERT INTO api_keys (tenant_id, id, name, prefix, hash, scopes, created_at) VALUES ($1, $2, 'admin', $3, $4, '{admin}', now())`,
		tenant[:], key[:], secret[:12], convstore.HashKeySecret(secret))
	auditID := convstore.NewID()
	before.exec(`INSERT INTO audit_log (tenant_id, id, action, request_id, created_at) VALUES ($1, $2, 'conversation.delete', 'req_old', now())`,
		tenant[:], auditID[:])

	db := pgtest.OpenNode(t, before.schema, pgtest.NodeOptions{})
	k, err := db.Authenticate(ctx, secret)
	if err != nil {
		t.Fatalf("Authenticate with a key made before 0003: %v", err)
	}
	if k.ID != key || k.TenantID != tenant || k.Prefix != secret[:convstore.KeyPrefixLength] {
		t.Errorf("old key authenticates as %+v, want key %s with prefix %q", k, key.UUID(), secret[:convstore.KeyPrefixLength])
	}
	entries, _, err := db.FindAuditEntries(context.Background(), tenant, convstore.AuditFilter{})
	if err != nil || len(entries) != 1 || entries[0].RequestID != "req_old" || entries[0].ClientRequestID != "" {
		t.Errorf("an audit entry from before 0003: %+v, %v", entries, err)
	}
}
