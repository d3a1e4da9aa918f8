package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

// Migration 0024: conversations stored before it say their door is
// unknown; the access tokens stored before it take the audience their
// lifetime tells (8 hours: a console session; any other: Symbl's), each
// accepted only there.
func TestMigration0024ConsoleColumns(t *testing.T) {
	ctx := context.Background()
	before := migratedTo(t, 23)
	tenant, key, conv := convstore.NewID(), convstore.NewID(), convstore.NewID()
	before.exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'old', 1)`, idArg(tenant))
	before.exec(`INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_at) VALUES (?, ?, 'admin', 'csk_abcd', ?, 'admin', 1)`,
		idArg(key), idArg(tenant), convstore.HashKeySecret("csk_unused"))
	before.exec(`INSERT INTO conversations (id, seq, tenant_id, message_count, created_at, updated_at) VALUES (?, 7, ?, 0, 1, 1)`, idArg(conv), idArg(tenant))
	now := time.Now()
	session, symbl := convstore.NewAccessTokenSecret(), convstore.NewAccessTokenSecret()
	for _, tok := range []struct {
		secret string
		ttl    time.Duration
	}{{session, 8 * time.Hour}, {symbl, 24 * time.Hour}} {
		before.exec(`INSERT INTO access_tokens (hash, tenant_id, key_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			convstore.HashKeySecret(tok.secret), idArg(tenant), idArg(key), micros(now), micros(now.Add(tok.ttl)))
	}
	before.close()

	svc, _, _ := openTest(t, before.dir, nil)
	c, err := svc.FindConversationByID(ctx, tenant, conv)
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
		if k, err := svc.AuthenticateAccessToken(ctx, tok.secret, tok.ok); err != nil || k.ID != key {
			t.Errorf("%s for %s = %v, %v; want the key", tok.what, tok.ok, k, err)
		}
		if _, err := svc.AuthenticateAccessToken(ctx, tok.secret, tok.wrong); convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
			t.Errorf("%s for %s = %v; want EUNAUTHORIZED", tok.what, tok.wrong, err)
		}
	}
	made, _, err := svc.CreateConversation(ctx, tenant, &convstore.ConversationCreate{Door: "stammer"})
	if err != nil || made.Door != "stammer" {
		t.Errorf("a conversation created after 0024: %+v, %v", made, err)
	}
}
