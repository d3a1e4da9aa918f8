package doors_test

import (
	"testing"

	"github.com/convstore/convstore"
)

// TestBotpressUsersAreNoConversations: Botpress users are end-user
// records, not conversations: after users are made (create and
// get-or-create) beside one conversation, every door's conversation list
// and the store's count show that conversation alone.
func TestBotpressUsersAreNoConversations(t *testing.T) {
	w := newWorld(t)
	bp := func(method, path string, body any) map[string]any {
		return w.mustStatus(w.c.Do(method, "/compat/botpress/v1/chat/"+path, body,
			"Authorization", w.token("Bearer"), "x-bot-id", bot), 200).Map(t)
	}
	ann := bp("POST", "users", map[string]any{"name": "Ann", "tags": map[string]string{"email": "ann"}})["user"].(map[string]any)["id"].(string)
	bp("POST", "users/get-or-create", map[string]any{"tags": map[string]string{"phone": "1"}})
	conv := bp("POST", "conversations", map[string]any{"channel": "web", "tags": map[string]string{}})["conversation"].(map[string]any)["id"].(string)
	bp("POST", "conversations/"+conv+"/participants", map[string]any{"userId": ann})

	if n, err := w.env.Store.CountConversations(w.ctx, w.env.TenantA, convstore.ConversationFilter{}); err != nil || n != 1 {
		t.Errorf("the store counts %d conversations, %v; want 1", n, err)
	}
	if us, _, err := w.env.Store.FindEndUsers(w.ctx, w.env.TenantA, convstore.EndUserFilter{}); err != nil || len(us) != 2 {
		t.Errorf("the store holds %d end users, %v; want 2", len(us), err)
	}
	for _, d := range listDoors {
		if n := d.list(w, 100); n != 1 {
			t.Errorf("%s lists %d conversations, want 1", d.name, n)
		}
	}
	if users := bp("GET", "users", nil)["users"].([]any); len(users) != 2 {
		t.Errorf("botpress lists %d users, want 2", len(users))
	}
}
