package stammer_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/stammer"
)

func TestDeactivate(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		uuid := f.message(f.KeyA, bot1, "u1", "first")["conversation_uuid"].(string)
		f.message(f.KeyA, bot1, "u1", "second")
		conv, err := f.conversation(f.TenantA, uuid)
		if err != nil {
			t.Fatal(err)
		}
		art, err := f.Store.CreateArtifact(ctx, f.TenantA, conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Store.PutAttachment(ctx, f.TenantA, conv.ID, &convstore.AttachmentPut{Name: "a.txt", Body: strings.NewReader("hello")}); err != nil {
			t.Fatal(err)
		}
		other := f.message(f.KeyA, bot1, "u2", "kept")["conversation_uuid"].(string)

		r := f.do("POST", pathDeactivate(uuid), nil, f.KeyA, "Content-Type", "application/json", "Accept", "application/json")
		doortest.Expect(t, r, 200, "application/json")
		m := r.Map(t)
		keys(t, "deactivate", m, "message", "uuid", "deleted", "receipt_id")
		if m["message"] != "Conversation deleted successfully." || m["uuid"] != uuid || m["deleted"] != true {
			t.Fatalf("%v", r)
		}

		dels, _, err := f.Store.FindDeletions(ctx, f.TenantA, convstore.DeletionFilter{ConversationID: conv.ID})
		if err != nil || len(dels) != 1 {
			t.Fatalf("receipts %v %v", dels, err)
		}
		d := dels[0]
		if d.Door != stammer.DoorName || d.Messages != 2 || d.Artifacts != 1 || d.Attachments != 1 || d.AttachmentBytes != 5 ||
			d.ActorKeyID != f.KeyAID || d.RequestID != r.Header.Get("X-Request-Id") || m["receipt_id"] != d.ID.Format(convstore.PrefixDeletion) {
			t.Fatalf("receipt %+v", d)
		}
		notFound := func(what string, err error) {
			if convstore.ErrorCode(err) != convstore.ENOTFOUND {
				t.Fatalf("%s after delete: %v", what, err)
			}
		}
		_, err = f.Store.FindConversationByID(ctx, f.TenantA, conv.ID)
		notFound("conversation", err)
		_, _, err = f.Store.FindMessages(ctx, f.TenantA, conv.ID, convstore.MessageFilter{})
		notFound("messages", err)
		_, err = f.Store.FindArtifactByID(ctx, f.TenantA, convstore.ID{}, art.ID)
		notFound("artifact", err)
		_, err = f.Store.FindAttachmentByName(ctx, f.TenantA, conv.ID, "a.txt")
		notFound("attachment", err)
		_, err = f.Store.FindConversationByExternalID(ctx, f.TenantA, "stammer:"+bot1+":u1")
		notFound("external id", err)
		if _, err := f.conversation(f.TenantA, other); err != nil {
			t.Fatalf("other conversation: %v", err)
		}

		// Deleted: the same answer as an unknown uuid; the list no longer has it.
		again := f.do("POST", pathDeactivate(uuid), nil, f.KeyA)
		expectError(t, again, 404, "not_found")
		if p := f.list(f.KeyA, "onlyDeletedConversations=false"); p["count"] != 1.0 {
			t.Fatalf("%v", p)
		}
		if p := f.list(f.KeyA, "onlyDeletedConversations=true"); p["count"] != 0.0 {
			t.Fatalf("%v", p)
		}

		// The next message for the same user_key starts a new conversation.
		n := f.message(f.KeyA, bot1, "u1", "after")
		if n["conversation_uuid"] == uuid || n["new_conversation"] != true {
			t.Fatalf("%v", n)
		}
		// A {} body is accepted, and so is an upper-case uuid.
		r = f.do("POST", pathDeactivate(strings.ToUpper(n["conversation_uuid"].(string))), "{}", f.KeyA)
		doortest.Expect(t, r, 200, "application/json")
		if r.Map(t)["uuid"] != n["conversation_uuid"] {
			t.Fatalf("%v", r)
		}
	})
}

func TestDeactivateNotFound(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		foreign := f.message(f.KeyB, bot1, "u1", "tenant b")["conversation_uuid"].(string)
		unknown := convstore.NewID().UUID()
		want := f.do("POST", pathDeactivate(unknown), nil, f.KeyA)
		if m := expectError(t, want, 404, "not_found"); m["message"] != "Conversation not found." {
			t.Fatalf("%v", want)
		}
		for _, id := range []string{
			foreign, strings.ToUpper(foreign), "not-a-uuid", strings.ReplaceAll(unknown, "-", ""),
			"00000000-0000-0000-0000-000000000000", unknown + "0", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "%20",
		} {
			sameAnswer(t, want, f.do("POST", pathDeactivate(id), nil, f.KeyA))
		}
		if _, err := f.conversation(f.TenantB, foreign); err != nil {
			t.Fatalf("tenant B's conversation: %v", err)
		}
	})
}

// Under a tenant restore window a deactivated conversation is listed by
// onlyDeletedConversations=true (is_deleted true, no messages) until it
// is restored; the next message for the same user_key still starts a new
// conversation.
func TestDeactivateRestoreWindow(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		if err := f.Store.SetRestoreWindow(ctx, f.TenantA, 7, convstore.DeleteParams{Door: "test"}); err != nil {
			t.Fatal(err)
		}
		uuid := f.message(f.KeyA, bot1, "u1", "first")["conversation_uuid"].(string)
		f.message(f.KeyA, bot1, "u2", "kept")
		conv, err := f.conversation(f.TenantA, uuid)
		if err != nil {
			t.Fatal(err)
		}
		doortest.Expect(t, f.do("POST", pathDeactivate(uuid), nil, f.KeyA), 200, "application/json")
		if p := f.list(f.KeyA, "onlyDeletedConversations=false"); p["count"] != 1.0 {
			t.Fatalf("live list: %v", p)
		}
		p := f.list(f.KeyA, "onlyDeletedConversations=true")
		res, _ := p["results"].([]any)
		if p["count"] != 1.0 || len(res) != 1 {
			t.Fatalf("deleted list: %v", p)
		}
		got := res[0].(map[string]any)
		if got["uuid"] != uuid || got["is_deleted"] != true || got["message_count"] != 1.0 {
			t.Fatalf("deleted entry: %v", got)
		}
		// Tenant B sees none of it.
		if p := f.list(f.KeyB, "onlyDeletedConversations=true"); p["count"] != 0.0 {
			t.Fatalf("tenant B's deleted list: %v", p)
		}
		n := f.message(f.KeyA, bot1, "u1", "after")
		if n["conversation_uuid"] == uuid || n["new_conversation"] != true {
			t.Fatalf("next message after deactivation: %v", n)
		}
		// The new conversation holds the external id now: restoring the
		// old one conflicts, until the new one is deactivated too.
		if _, err := f.Store.RestoreConversation(ctx, f.TenantA, conv.ID, convstore.DeleteParams{Door: "test"}); convstore.ErrorCode(err) != convstore.ECONFLICT {
			t.Fatalf("restore over a reused external id: %v, want ECONFLICT", err)
		}
		doortest.Expect(t, f.do("POST", pathDeactivate(n["conversation_uuid"].(string)), nil, f.KeyA), 200, "application/json")
		if p := f.list(f.KeyA, "onlyDeletedConversations=true"); p["count"] != 2.0 {
			t.Fatalf("deleted list with both: %v", p)
		}
		if _, err := f.Store.RestoreConversation(ctx, f.TenantA, conv.ID, convstore.DeleteParams{Door: "test"}); err != nil {
			t.Fatal(err)
		}
		if p := f.list(f.KeyA, "onlyDeletedConversations=true"); p["count"] != 1.0 {
			t.Fatalf("deleted list after the restore: %v", p)
		}
		if p := f.list(f.KeyA, "onlyDeletedConversations=false"); p["count"] != 2.0 {
			t.Fatalf("live list after the restore: %v", p)
		}
	})
}
