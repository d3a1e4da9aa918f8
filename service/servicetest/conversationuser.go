package servicetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

var conversationUserTests = []subtest{
	{"GroupedByUser", testConversationUsers},
	{"Pages", testConversationUserPages},
	{"Filters", testConversationUserFilters},
}

// userSet creates, in f's tenant: ann's conversations a1 (agent x), b1
// (bob, agent y), a2 (agent y), none (no user), a3 (agent x), and in
// another tenant ann's and carl's: their users must never show.
func userSet(t *testing.T, f *fixture) map[string]*convstore.Conversation {
	out := map[string]*convstore.Conversation{}
	for _, c := range []struct{ name, user, agent string }{
		{"a1", "ann", "x"}, {"b1", "bob", "y"}, {"a2", "ann", "y"}, {"none", "", "x"}, {"a3", "ann", "x"},
	} {
		out[c.name], _ = MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID,
			&convstore.ConversationCreate{UserID: c.user, AgentID: c.agent, Title: c.name})
	}
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	for _, u := range []string{"ann", "carl", "carl"} {
		MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{UserID: u, AgentID: "x"})
	}
	return out
}

// usersString renders a page as "user:count" items.
func usersString(us []*convstore.ConversationUser) string {
	var parts []string
	for _, u := range us {
		parts = append(parts, fmt.Sprintf("%s:%d", u.UserID, u.Conversations))
	}
	return strings.Join(parts, " ")
}

// FindConversationUsers lists each user id of the tenant's conversations
// once, with its count, first and last times and newest conversation.
func testConversationUsers(t *testing.T, f *fixture) {
	cs := userSet(t, f)
	us, more, err := f.Store.FindConversationUsers(f.ctx, f.tenant.ID, convstore.ConversationUserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := usersString(us); got != "ann:3 bob:1" || more {
		t.Fatalf("users = %q (more %v), want \"ann:3 bob:1\" (newest last contact first), no more", got, more)
	}
	ann, bob := us[0], us[1]
	if !ann.FirstAt.Equal(cs["a1"].CreatedAt) || !ann.LastAt.Equal(cs["a3"].CreatedAt) || ann.Latest.ID != cs["a3"].ID {
		t.Errorf("ann: first %v last %v latest %v; want %v, %v, %v", ann.FirstAt, ann.LastAt, ann.Latest.ID,
			cs["a1"].CreatedAt, cs["a3"].CreatedAt, cs["a3"].ID)
	}
	if ann.Latest.AgentID != "x" || ann.Latest.Title != "a3" || ann.Latest.UserID != "ann" {
		t.Errorf("ann's latest conversation = %+v, want a3 opened", ann.Latest)
	}
	if !bob.FirstAt.Equal(cs["b1"].CreatedAt) || !bob.LastAt.Equal(bob.FirstAt) || bob.Latest.ID != cs["b1"].ID {
		t.Errorf("bob = %+v, want b1's times and id", bob)
	}
	asc, _, err := f.Store.FindConversationUsers(f.ctx, f.tenant.ID, convstore.ConversationUserFilter{
		ByCount: true, PageFilter: convstore.PageFilter{Order: convstore.OrderAsc}})
	if err != nil {
		t.Fatal(err)
	}
	if got := usersString(asc); got != "bob:1 ann:3" {
		t.Errorf("by count, ascending: %q, want \"bob:1 ann:3\"", got)
	}
	// A deleted conversation no longer counts; a user without any goes.
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, cs["b1"].ID, f.params)
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, cs["a3"].ID, f.params)
	us, _, err = f.Store.FindConversationUsers(f.ctx, f.tenant.ID, convstore.ConversationUserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := usersString(us); got != "ann:2" || us[0].Latest.ID != cs["a2"].ID || !us[0].LastAt.Equal(cs["a2"].CreatedAt) {
		t.Errorf("after deletes: %q (latest %v), want \"ann:2\" with a2 latest", got, us[0].Latest.ID)
	}
	// A tenant without conversations has no users; the filter is checked.
	empty, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("empty"))
	if us, more, err := f.Store.FindConversationUsers(f.ctx, empty.ID, convstore.ConversationUserFilter{}); err != nil || len(us) != 0 || more {
		t.Errorf("an empty tenant's users: %d (more %v, err %v), want none", len(us), more, err)
	}
	_, _, err = f.Store.FindConversationUsers(f.ctx, f.tenant.ID, convstore.ConversationUserFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit + 1}})
	wantInvalid(t, err, "limit", "limit past the maximum")
	_, _, err = f.Store.FindConversationUsers(f.ctx, f.tenant.ID, convstore.ConversationUserFilter{UserID: "bad\x00"})
	wantInvalid(t, err, "user_id", "a user id with NUL")
}

// Pages follow one another by the cursor of the sort key and newest id,
// in either order and either key, without repeating or skipping a user.
func testConversationUserPages(t *testing.T, f *fixture) {
	// Five users; u2 and u3 have two conversations each, the others one.
	var order []string
	for _, u := range []string{"u1", "u2", "u3", "u4", "u2", "u5", "u3"} {
		MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{UserID: u})
		order = append(order, u)
	}
	for _, tc := range []struct {
		byCount bool
		order   convstore.Order
		want    string
	}{
		{false, convstore.OrderDesc, "u3:2 u5:1 u2:2 u4:1 u1:1"},
		{false, convstore.OrderAsc, "u1:1 u4:1 u2:2 u5:1 u3:2"},
		{true, convstore.OrderDesc, "u3:2 u2:2 u5:1 u4:1 u1:1"},
		{true, convstore.OrderAsc, "u1:1 u4:1 u5:1 u2:2 u3:2"},
	} {
		fl := convstore.ConversationUserFilter{ByCount: tc.byCount, PageFilter: convstore.PageFilter{Limit: 2, Order: tc.order}}
		var all []*convstore.ConversationUser
		for page := 0; ; page++ {
			if page > 5 {
				t.Fatalf("by count %v, %s: more than 3 pages", tc.byCount, tc.order)
			}
			us, more, err := f.Store.FindConversationUsers(f.ctx, f.tenant.ID, fl)
			if err != nil {
				t.Fatal(err)
			}
			if len(us) > 2 || more && len(us) != 2 {
				t.Fatalf("by count %v, %s: page of %d (more %v)", tc.byCount, tc.order, len(us), more)
			}
			all = append(all, us...)
			if !more {
				break
			}
			last := us[len(us)-1]
			fl.After, fl.AfterLast, fl.AfterCount = last.Latest.ID, last.LastAt, last.Conversations
		}
		if got := usersString(all); got != tc.want {
			t.Errorf("by count %v, %s: pages %q, want %q", tc.byCount, tc.order, got, tc.want)
		}
	}
}

// The filters select the conversations counted: by agent, by one user
// (through its blind index), by creation time.
func testConversationUserFilters(t *testing.T, f *fixture) {
	cs := userSet(t, f)
	for _, tc := range []struct {
		name string
		fl   convstore.ConversationUserFilter
		want string
	}{
		{"agent x", convstore.ConversationUserFilter{AgentID: "x"}, "ann:2"},
		{"agent y", convstore.ConversationUserFilter{AgentID: "y"}, "ann:1 bob:1"},
		{"user bob", convstore.ConversationUserFilter{UserID: "bob"}, "bob:1"},
		{"user carl (another tenant's)", convstore.ConversationUserFilter{UserID: "carl"}, ""},
		{"after b1", convstore.ConversationUserFilter{CreatedAfter: &cs["b1"].CreatedAt}, "ann:2"},
		{"before a2", convstore.ConversationUserFilter{CreatedBefore: &cs["a2"].CreatedAt}, "bob:1 ann:1"},
		{"user ann, agent y", convstore.ConversationUserFilter{UserID: "ann", AgentID: "y"}, "ann:1"},
		{"agent z", convstore.ConversationUserFilter{AgentID: "z"}, ""},
	} {
		us, more, err := f.Store.FindConversationUsers(f.ctx, f.tenant.ID, tc.fl)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := usersString(us); got != tc.want || more {
			t.Errorf("%s: %q (more %v), want %q", tc.name, got, more, tc.want)
		}
	}
}
