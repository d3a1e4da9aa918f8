package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
)

// TestSeqCollision forces NewSeq to repeat an existing sequence number: the
// engine draws a fresh ID instead of failing.
func TestSeqCollision(t *testing.T) {
	db := pgtest.Open(t)
	ctx := testCtx(t)
	tenant := mustTenant(t, ctx, db)
	first, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	clash := first.ID
	clash[9] ^= 0xff // another ID, same millisecond and same 21 low bits
	if clash == first.ID || convstore.NewSeq(clash) != first.Seq {
		t.Fatal("test bug: the crafted ID does not collide")
	}
	drawn := 0
	postgres.SetNewID(db, func() convstore.ID {
		drawn++
		if drawn == 1 {
			return clash
		}
		return convstore.NewID()
	})
	second, msgs, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Messages: textBatch("m", 2)})
	if err != nil {
		t.Fatalf("CreateConversation with a colliding Seq: %v", err)
	}
	if second.ID == clash || second.Seq == first.Seq || len(msgs) != 2 {
		t.Errorf("second conversation %s seq %d: want a fresh ID and Seq", second.ID.UUID(), second.Seq)
	}
	got, err := db.FindConversationBySeq(ctx, tenant.ID, second.Seq)
	if err != nil || got.ID != second.ID {
		t.Errorf("FindConversationBySeq(%d) = %v, %v", second.Seq, got, err)
	}
}

// TestNUL: PostgreSQL text cannot hold NUL, which the domain allows; the
// engine refuses it as EINVALID naming the field, never as an internal
// error.
func TestNUL(t *testing.T) {
	db := pgtest.Open(t)
	ctx := testCtx(t)
	tenant := mustTenant(t, ctx, db)
	conv, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	nul := "a\x00b"
	cases := []struct {
		what, field string
		err         error
	}{
		{"title", "title", second(db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Title: nul}))},
		{"metadata", "metadata", second(db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Metadata: convstore.Metadata{"k": nul}}))},
		{"message content", "messages[1].content", errOf(db.CreateMessages(ctx, tenant.ID, conv.ID, []*convstore.MessageCreate{
			{Role: convstore.RoleUser, Content: "ok"}, {Role: convstore.RoleUser, Content: nul}}))},
		{"artifact text", "text", errOf(db.CreateArtifact(ctx, tenant.ID, conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: nul}))},
		{"update title", "title", errOf(db.UpdateConversation(ctx, tenant.ID, conv.ID, &convstore.ConversationUpdate{Title: &nul}))},
		{"key name", "name", errOf(db.CreateKey(ctx, tenant.ID, &convstore.KeyCreate{Name: nul, Scopes: []convstore.Scope{convstore.ScopeRead}}, convstore.DeleteParams{Door: "test"}))},
		{"tenant name", "name", second(db.CreateTenant(ctx, nul, convstore.DeleteParams{Door: "test"}))},
	}
	for _, tc := range cases {
		if convstore.ErrorCode(tc.err) != convstore.EINVALID || convstore.ErrorField(tc.err) != tc.field {
			t.Errorf("%s with NUL: %v, want EINVALID on %q", tc.what, tc.err, tc.field)
		}
	}
	if _, err := db.Authenticate(ctx, "csk_"+strings.Repeat("\x00", 40)); convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
		t.Errorf("Authenticate with NUL: %v, want EUNAUTHORIZED", err)
	}
}

func errOf[T any](_ T, err error) error { return err }

func second[A, B any](_ A, _ B, err error) error { return err }

// TestOpenRejectsBadSchema: the schema becomes a search_path, so only
// plain identifiers are accepted.
func TestOpenRejectsBadSchema(t *testing.T) {
	url := pgtest.URL(t)
	for _, s := range []string{"Upper", "a-b", "x; DROP TABLE y", strings.Repeat("s", 64)} {
		if db, err := postgres.Open(context.Background(), url, postgres.Options{Schema: s}); err == nil {
			db.Close()
			t.Errorf("Open with schema %q succeeded", s)
		}
	}
}

// TestCreateConversationMissingTenant: a conversation needs its tenant.
func TestCreateConversationMissingTenant(t *testing.T) {
	db := pgtest.Open(t)
	_, _, err := db.CreateConversation(testCtx(t), convstore.NewID(), &convstore.ConversationCreate{})
	if convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("CreateConversation under a missing tenant: %v, want ENOTFOUND", err)
	}
}
