package botpress_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/botpress"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/service"
)

// TestOfficialSDK runs testdata/sdk/contract.mjs: the official
// @botpress/client (pinned in testdata/sdk/package.json) calls every
// conversation, message, user and participant method through the base URL
// alone, asserting the answers and the typed errors of another bot's and
// another tenant's ids. This test then checks in the store what the script
// left and deleted, and that an end-user erasure by a Botpress user id
// erases the user's record with the conversation they took part in.
func TestOfficialSDK(t *testing.T) {
	e := setup(t)
	dir := doortest.NodeSDK(t, "testdata/sdk")
	raw := doortest.RunNode(t, dir, "contract.mjs", map[string]string{
		"BASE_URL": e.c.URL, "API_KEY": e.KeyA, "API_KEY_B": e.KeyB, "BOT_ID": bot, "OTHER_BOT_ID": otherBot,
	})
	var out struct {
		Ann, Bob, Carl, BobAgain, Conversation, DeletedConversation, DeletedMessage string
		Messages                                                                    []string
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("script output %q: %v", raw, err)
	}
	ctx, tid := context.Background(), e.TenantA

	// The bot's one conversation left, linked to Ann (its first
	// participant), holding the three messages left, the edit stored.
	convs, _, err := e.Store.FindConversations(ctx, tid, convstore.ConversationFilter{AgentID: bot})
	if err != nil || len(convs) != 1 || convs[0].ID.Format(convstore.PrefixConversation) != out.Conversation {
		t.Fatalf("the bot's conversations: %v, %v; want %s", convs, err, out.Conversation)
	}
	conv := convs[0]
	if conv.UserID != out.Ann || conv.MessageCount != 3 {
		t.Errorf("conversation user %q, %d messages; want %s, 3", conv.UserID, conv.MessageCount, out.Ann)
	}
	msgs, _, err := e.Store.FindMessages(ctx, tid, conv.ID, convstore.MessageFilter{})
	if err != nil || len(msgs) != 3 {
		t.Fatalf("messages %v, %v", msgs, err)
	}
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.ID.Format(convstore.PrefixMessage))
	}
	if !slices.Equal(ids, out.Messages) || msgs[1].Content != "second, edited" {
		t.Errorf("messages %v (second %q), want %v", ids, msgs[1].Content, out.Messages)
	}

	// User records: Ann and the new Bob; Bob, Carl and Dee deleted, with the
	// get-or-create and the incoming conversations, each with a receipt of
	// this door.
	users, _, err := e.Store.FindEndUsers(ctx, tid, convstore.EndUserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.UserID+"="+u.Name)
	}
	if want := []string{out.BobAgain + "=", out.Ann + "=Ann B."}; !slices.Equal(names, want) {
		t.Errorf("user records %v, want %v", names, want)
	}
	dels, _, err := e.Store.FindDeletions(ctx, tid, convstore.DeletionFilter{})
	if err != nil || len(dels) != 5 {
		t.Fatalf("receipts %v, %v; want 5 (2 conversations, Carl, Bob, Dee)", dels, err)
	}
	kinds := map[string]int{}
	for _, d := range dels {
		if d.Door != botpress.DoorName {
			t.Errorf("receipt %+v: door %q", d, d.Door)
		}
		kinds[d.Kind]++
	}
	if kinds[""] != 2 || kinds[convstore.DeletionEndUser] != 3 {
		t.Errorf("receipt kinds %v, want 2 conversations and 3 end users", kinds)
	}
	if others, _, _ := e.Store.FindConversations(ctx, e.TenantB, convstore.ConversationFilter{}); len(others) != 0 {
		t.Errorf("tenant B holds %d records", len(others))
	}
	if others, _, _ := e.Store.FindEndUsers(ctx, e.TenantB, convstore.EndUserFilter{}); len(others) != 0 {
		t.Errorf("tenant B holds %d user records", len(others))
	}

	// Erasing the end user Ann erases her record and her conversation,
	// and nothing else.
	job, err := e.Store.CreateErasure(ctx, tid, &convstore.ErasureCreate{Selector: convstore.ErasureSelector{UserID: out.Ann}},
		convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.(*service.Service).RunErasures(ctx, service.ErasureRunOptions{}); err != nil {
		t.Fatal(err)
	}
	if job, err = e.Store.FindErasureByID(ctx, tid, job.ID); err != nil || job.State != convstore.ErasureSucceeded || job.Done.Conversations != 1 {
		t.Fatalf("erasure %+v, %v; want succeeded with 1 conversation", job, err)
	}
	if us, _, err := e.Store.FindEndUsers(ctx, tid, convstore.EndUserFilter{UserID: out.Ann}); err != nil || len(us) != 0 {
		t.Errorf("Ann's record after her erasure: %v, %v", us, err)
	}
	for _, path := range []string{"/v1/chat/users/" + out.Ann, "/v1/chat/conversations/" + out.Conversation, "/v1/chat/messages/" + out.Messages[0]} {
		r := e.c.Do("GET", path, nil, as(e.KeyA, bot)...)
		wantError(t, r, 404, "ResourceNotFound")
	}
	doortest.Expect(t, e.c.Do("GET", "/v1/chat/users/"+out.BobAgain, nil, as(e.KeyA, bot)...), 200, "application/json")
}
