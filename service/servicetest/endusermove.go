package servicetest

import (
	"context"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

// RunEndUserMove checks migration 0023 on db: the test writes Botpress
// users as the door did before it, as sealed conversations of the agent
// "botpress.users" (written by today's service, since the schema of 0022
// lacks columns that later migrations add, which the service writes);
// down takes the schema back to 0022, which keeps them as they were; up
// migrates to the newest. The users are then end-user records with the same
// ids, values and data keys, opened by a node that never saw them, and no
// longer conversations; a write re-seals one in its own context; the
// other conversations stay.
func RunEndUserMove(t *testing.T, db *Database, down, up func(ctx context.Context) error) {
	if db.Keyring == nil {
		db.Keyring = NewKeyring(t)
	}
	ctx := testContext(t)
	old := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	tenant, _ := MustCreateTenant(t, ctx, old, uniqueName("tenant"))
	a := tenant.ID
	meta := convstore.Metadata{"botpress.bot": "bot-1", "botpress.tag.email": "ann@example.com", "botpress.picture": "https://x/ann.png"}
	ann, _ := MustCreateConversation(t, ctx, old, a, &convstore.ConversationCreate{AgentID: "botpress.users", UserID: "user_ann",
		ExternalID: "botpress-user:ann", Title: "Ann", Metadata: meta})
	bob, _ := MustCreateConversation(t, ctx, old, a, &convstore.ConversationCreate{AgentID: "botpress.users", UserID: "user_bob",
		Metadata: convstore.Metadata{"botpress.bot": "bot-2"}})
	chat, _ := MustCreateConversation(t, ctx, old, a, &convstore.ConversationCreate{AgentID: "bot-1", UserID: "user_ann",
		Title: "a chat", Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}}})
	if err := down(ctx); err != nil {
		t.Fatalf("migrating down to 0022: %v", err)
	}
	if err := up(ctx); err != nil {
		t.Fatalf("migrating up: %v", err)
	}

	svc := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	u, err := svc.FindEndUserByUserID(ctx, a, "user_ann")
	if err != nil {
		t.Fatalf("the moved user: %v", err)
	}
	if u.ID != ann.ID || u.Name != "Ann" || u.ExternalID != "botpress-user:ann" || len(u.Metadata) != 3 ||
		u.Metadata["botpress.tag.email"] != "ann@example.com" || !u.CreatedAt.Equal(ann.CreatedAt) {
		t.Errorf("moved user %+v, want the conversation's id and values %+v", u, ann)
	}
	if got, created, err := svc.FindOrCreateEndUser(ctx, a, &convstore.EndUserCreate{UserID: "user_new", ExternalID: "botpress-user:ann"}); err != nil || created || got.ID != ann.ID {
		t.Errorf("get-or-create by the moved key: %+v, %v, %v", got, created, err)
	}
	if us, _, err := svc.FindEndUsers(ctx, a, convstore.EndUserFilter{Metadata: convstore.Metadata{"botpress.bot": "bot-2"}}); err != nil || len(us) != 1 || us[0].ID != bob.ID {
		t.Errorf("bot-2's users by the moved pair index: %v, %v", us, err)
	}
	convs, _, err := svc.FindConversations(ctx, a, convstore.ConversationFilter{})
	if err != nil || len(convs) != 1 || convs[0].ID != chat.ID || convs[0].Title != "a chat" {
		t.Errorf("conversations after the move: %v, %v; want the chat alone", convs, err)
	}
	if _, err := svc.FindConversationByID(ctx, a, ann.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("the moved user as a conversation: %v", err)
	}
	// A write re-seals the record in its own context, under its key.
	name := "Ann B."
	if _, err := svc.UpdateEndUser(ctx, a, ann.ID, &convstore.EndUserUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	fresh := OpenService(t, db, service.Options{Logger: Logger(t), PurgeInterval: -1})
	if u, err := fresh.FindEndUserByUserID(ctx, a, "user_ann"); err != nil || u.Name != name || u.Metadata["botpress.picture"] != "https://x/ann.png" {
		t.Errorf("after the re-seal: %+v, %v", u, err)
	}
	d, err := fresh.DeleteEndUser(ctx, a, bob.ID, operator)
	if err != nil || d.KeyEpoch == 0 {
		t.Errorf("deleting a moved user: %+v, %v; want a receipt naming its key's epoch", d, err)
	}
}
