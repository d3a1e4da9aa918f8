package servicetest

import (
	"context"
	"errors"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// RunMessageIDsBackfill checks the backfill of message external ids on
// db: messages stored before the store indexed client message ids (their
// conversations marked by markPending, which removes their index rows and
// lists them as migration 0025 does) are not found by their client id
// (the Inkeep door's old "inkeep.id" or "external_id") until
// BackfillMessageIDs indexed them; a backfill stopped midway resumes; a
// tenant never finds another's; a delete takes the rows; a re-index after
// a rotation of the index root keeps them.
func RunMessageIDsBackfill(t *testing.T, db *Database, markPending MarkPendingFunc) {
	if db.Keyring == nil {
		db.Keyring = NewKeyring(t)
	}
	ctx := testCtx(t)
	svc := service.New(db.Open(t), db.Blobs, service.Options{Keyring: db.Keyring, Logger: Logger(t)})
	t.Cleanup(func() { svc.Close() })
	a, _ := MustCreateTenant(t, ctx, svc, uniqueName("ids-a"))
	b, _ := MustCreateTenant(t, ctx, svc, uniqueName("ids-b"))
	legacy := func(id string) *convstore.MessageCreate {
		return &convstore.MessageCreate{Role: convstore.RoleUser, Content: "m " + id,
			Metadata: convstore.Metadata{convstore.LegacyMessageExternalIDKey: id}}
	}
	old, oldMsgs := MustCreateConversation(t, ctx, svc, a.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{
		legacy("client-1"),
		{Role: convstore.RoleAssistant, Content: "new key", Metadata: convstore.Metadata{convstore.MessageExternalIDKey: "client-2"}},
		{Role: convstore.RoleUser, Content: "no id"},
	}})
	other, otherMsgs := MustCreateConversation(t, ctx, svc, a.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{legacy("client-3")}})
	foreign, foreignMsgs := MustCreateConversation(t, ctx, svc, b.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{legacy("client-1")}})
	for _, c := range []struct{ tenant, conv convstore.ID }{{a.ID, old.ID}, {a.ID, other.ID}, {b.ID, foreign.ID}} {
		if err := markPending(ctx, c.tenant, c.conv); err != nil {
			t.Fatal(err)
		}
	}
	find := func(what string, tenant convstore.ID, id string, want *convstore.Message) {
		t.Helper()
		got, err := svc.FindMessageByExternalID(ctx, tenant, id)
		if want == nil {
			if convstore.ErrorCode(err) != convstore.ENOTFOUND {
				t.Errorf("%s: FindMessageByExternalID(%q) = %+v, %v; want not found", what, id, got, err)
			}
			return
		}
		if err != nil || got.ID != want.ID {
			t.Errorf("%s: FindMessageByExternalID(%q) = %+v, %v; want %s", what, id, got, err, want.ID)
		}
	}
	find("pending", a.ID, "client-1", nil)
	find("pending", a.ID, "client-2", nil)

	// Stopped after its first batch, it resumes with what is left.
	stop, cancel := context.WithCancel(ctx)
	n, err := svc.BackfillMessageIDs(stop, 1, func(int) { cancel() })
	if n != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("a backfill stopped after one batch = %d, %v; want 1, canceled", n, err)
	}
	if n, err := svc.BackfillMessageIDs(ctx, 0, nil); err != nil || n != 2 {
		t.Fatalf("the resumed backfill = %d, %v; want the 2 left", n, err)
	}
	if n, err := svc.BackfillMessageIDs(ctx, 0, nil); err != nil || n != 0 {
		t.Fatalf("the backfill again = %d, %v; want nothing left", n, err)
	}
	find("backfilled", a.ID, "client-1", oldMsgs[0])
	find("backfilled", a.ID, "client-2", oldMsgs[1])
	find("backfilled", a.ID, "client-3", otherMsgs[0])
	find("backfilled, the other tenant", b.ID, "client-1", foreignMsgs[0])
	find("backfilled, a message without an id", a.ID, "no id", nil)

	// A message stored now under the old key is indexed at once.
	added := MustCreateMessages(t, ctx, svc, a.ID, other.ID, []*convstore.MessageCreate{legacy("client-4")})
	find("appended", a.ID, "client-4", added[0])

	// A re-index under a new index root recomputes them with the same rule.
	if _, err := svc.RotateIndexRoot(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Reindex(ctx, service.ReindexOptions{}); err != nil {
		t.Fatal(err)
	}
	find("re-indexed", a.ID, "client-1", oldMsgs[0])
	find("re-indexed", a.ID, "client-4", added[0])

	// A delete takes the conversation's rows with it.
	MustDeleteConversation(t, ctx, svc, a.ID, other.ID, convstore.DeleteParams{})
	find("deleted", a.ID, "client-3", nil)
	find("deleted", a.ID, "client-4", nil)
	find("kept", a.ID, "client-1", oldMsgs[0])
}
