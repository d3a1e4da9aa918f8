package service_test

import (
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// Conversations stored before sealing have no blind index: their users
// are grouped by the plaintext user id, found by an exact user filter,
// and listed beside the sealed ones.
func TestConversationUsersOfPlaintextRows(t *testing.T) {
	dir := t.TempDir()
	plain := openIn(t, dir, service.Options{}, nil)
	tn, _ := plain.tenant(t)
	for _, u := range []string{"old-user", "old-user", "other-old", ""} {
		servicetest.MustCreateConversation(t, plain.ctx, plain.svc, tn.ID, &convstore.ConversationCreate{UserID: u})
	}
	plain.svc.Close()
	dropBlindIndexes(t, plain.rawDB(t))

	e := openIn(t, dir, service.Options{Keyring: servicetest.NewKeyring(t)}, nil)
	servicetest.MustCreateConversation(t, e.ctx, e.svc, tn.ID, &convstore.ConversationCreate{UserID: "fresh"})
	list := func(f convstore.ConversationUserFilter) map[string]int {
		t.Helper()
		us, _, err := e.svc.FindConversationUsers(e.ctx, tn.ID, f)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, u := range us {
			out[u.UserID] += u.Conversations
		}
		if len(out) != len(us) {
			t.Fatalf("a user listed twice: %d users, %d distinct", len(us), len(out))
		}
		return out
	}
	if got := list(convstore.ConversationUserFilter{}); len(got) != 3 || got["old-user"] != 2 || got["other-old"] != 1 || got["fresh"] != 1 {
		t.Errorf("users of plaintext and sealed rows: %v", got)
	}
	if got := list(convstore.ConversationUserFilter{UserID: "old-user"}); len(got) != 1 || got["old-user"] != 2 {
		t.Errorf("a plaintext user by exact filter: %v", got)
	}
}
