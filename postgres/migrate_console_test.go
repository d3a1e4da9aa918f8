package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres/pgtest"
)

// TestMigration0024ConsoleColumns: conversations stored before 0024 say
// their door is unknown; the access tokens stored before it take the
// audience their lifetime tells (8 hours: a console session; any other:
// Symbl's), each accepted only there.
func TestMigration0024ConsoleColumns(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	before := migratedTo(t, 23)
	tenant, key, conv := convstore.NewID(), convstore.NewID(), convstore.NewID()
	before.exec(`INSERT INTO tenants (id, name, created_at) VALUES ($1, 'old', now())`, tenant[:])
	before.exec(`INSERT INTO api_keys (tenant_id, id, name, prefix, hash, scopes, created_at) VALUES ($1, $2, 'admin', 'csk_abcd', $3, '{admin}', now())`,
		tenant[:], key[:], convstore.HashKeySecret("csk_unused"))
	before.exec(`INSERT INTO conversations (tenant_id, id, seq, created_at, updated_at) VALUES ($1, $2, $3, now(), now())`,
		tenant[:], conv[:], convstore.NewSeq(conv))
	now := time.Now()
	session, symbl := convstore.NewAccessTokenSecret(), convstore.NewAccessTokenSecret()
	for _, tok := range []struct {
		secret string
		ttl    time.Duration
	}{{session, 8 * time.Hour}, {symbl, 24 * time.Hour}} {
		before.exec(`INSERT INTO access_tokens (hash, tenant_id, key_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			convstore.HashKeySecret(tok.secret), tenant[:], key[:], now, now.Add(tok.ttl))
	}

	db := pgtest.OpenNode(t, before.schema, pgtest.NodeOptions{})
	c, err := db.FindConversationByID(ctx, tenant, conv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Door != convstore.DoorUnknown {
		t.Errorf("a conversation stored before 0024 has door %q, want %q", c.Door, convstore.DoorUnknown)
	}
	for _, tok := range []struct{ what, secret, ok, wrong string }{
		{"an 8-hour token", session, convstore.AudienceConsole, convstore.AudienceSymbl},
		{"a 24-hour token", symbl, convstore.AudienceSymbl, convstore.AudienceConsole},
	} {
		if k, err := db.AuthenticateAccessToken(ctx, tok.secret, tok.ok); err != nil || k.ID != key {
			t.Errorf("%s for %s = %v, %v; want the key", tok.what, tok.ok, k, err)
		}
		if _, err := db.AuthenticateAccessToken(context.Background(), tok.secret, tok.wrong); convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
			t.Errorf("%s for %s = %v; want EUNAUTHORIZED", tok.what, tok.wrong, err)
		}
	}
	made, _, err := db.CreateConversation(ctx, tenant, &convstore.ConversationCreate{Door: "stammer"})
	if err != nil || made.Door != "stammer" {
		t.Errorf("a conversation created after 0024: %+v, %v", made, err)
	}
}
