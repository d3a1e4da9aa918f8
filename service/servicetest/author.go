package servicetest

import (
	"context"
	"testing"

	"github.com/convstore/convstore"
)

var authorTests = []subtest{
	{"KeptOnAppendAndDelete", testAuthors},
	{"Scoped", testAuthorsScoped},
}

// wantAuthors checks that FindAuthors, and FindConversationDigests asked
// for authors, give each conversation the authors AuthorsOf finds in its
// messages.
func wantAuthors(t *testing.T, f *fixture, what string, ids []convstore.ID, msgs ...[]*convstore.Message) {
	t.Helper()
	got, err := f.Store.FindAuthors(f.ctx, f.tenant.ID, ids)
	if err != nil || len(got) != len(ids) {
		t.Fatalf("%s: FindAuthors = %d lists, %v; want %d", what, len(got), err, len(ids))
	}
	for i := range ids {
		want := convstore.AuthorsOf(msgs[i])
		if got[i] == nil || snapshot(t, got[i]) != snapshot(t, want) {
			t.Errorf("%s: conversation %d's authors\n got %s\nwant %s", what, i, snapshot(t, got[i]), snapshot(t, want))
		}
	}
	digested := digestAuthors(t, f.ctx, f.Store, f.tenant.ID)
	for i, id := range ids {
		want := convstore.AuthorsOf(msgs[i])
		d, ok := digested[id]
		if !ok && len(want) == 0 { // not the tenant's: not listed
			continue
		}
		if !ok || d == nil || snapshot(t, d) != snapshot(t, want) {
			t.Errorf("%s: conversation %d's digest authors\n got %s\nwant %s", what, i, snapshot(t, d), snapshot(t, want))
		}
	}
}

// digestAuthors returns the authors the digests of a tenant's
// conversations (a page of them, oldest first) carry, by conversation.
func digestAuthors(t *testing.T, ctx context.Context, s convstore.DigestService, tenantID convstore.ID) map[convstore.ID][]*convstore.Author {
	t.Helper()
	digests, _, err := s.FindConversationDigests(ctx, tenantID, convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit}},
		convstore.DigestOptions{Authors: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[convstore.ID][]*convstore.Author{}
	for _, d := range digests {
		out[d.Conversation.ID] = d.Authors
	}
	return out
}

// authored is a message of a name and a user id (either may be empty).
func authored(name, userID string) *convstore.MessageCreate {
	m := &convstore.MessageCreate{Role: convstore.RoleUser, Content: "said by " + name + userID, AuthorName: name}
	if userID != "" {
		m.Metadata = convstore.Metadata{convstore.MetaAuthorID: userID}
	}
	return m
}

// FindAuthors gives the distinct authors of each conversation's messages,
// by user id or else by name, in order of first message, as messages are
// appended and deleted; deleting an author's first message makes its next
// one its first, and deleting its only one removes it.
func testAuthors(t *testing.T, f *fixture) {
	conv, msgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{
		authored("Ann", ""), authored("Bob", "bob@example.com"), authored("", ""), authored("Robert", "bob@example.com"),
		authored("Ann", ""), authored("", "carol@example.com"),
	}})
	empty, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Title: "no messages"})
	anon, anonMsgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("a", 2)})
	ids := []convstore.ID{conv.ID, empty.ID, anon.ID}
	wantAuthors(t, f, "created", ids, msgs, nil, anonMsgs)
	if got, _ := f.Store.FindAuthors(f.ctx, f.tenant.ID, ids); len(got) == 3 && len(got[0]) != 3 {
		t.Errorf("%d authors, want 3: Ann, Bob (once: a user id), carol", len(got[0]))
	}

	// An append adds the new authors only: Ann and Bob are known.
	msgs = append(msgs, MustCreateMessages(t, f.ctx, f.Store, f.tenant.ID, conv.ID, []*convstore.MessageCreate{
		authored("Dee", ""), authored("Ann", ""), authored("Bobby", "bob@example.com"), authored("Dee", ""),
	})...)
	anonMsgs = append(anonMsgs, MustCreateMessages(t, f.ctx, f.Store, f.tenant.ID, anon.ID, []*convstore.MessageCreate{authored("Eve", "")})...)
	wantAuthors(t, f, "appended", ids, msgs, nil, anonMsgs)

	del := func(i int) {
		t.Helper()
		if err := f.Store.DeleteMessage(f.ctx, f.tenant.ID, conv.ID, msgs[i].ID, f.params); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs[:i:i], msgs[i+1:]...)
	}
	del(0) // Ann's first: her message 4 becomes her first
	wantAuthors(t, f, "Ann's first message deleted", ids, msgs, nil, anonMsgs)
	del(4) // carol's only message
	wantAuthors(t, f, "carol's only message deleted", ids, msgs, nil, anonMsgs)
	del(6) // a message of Bob's that is not his first
	wantAuthors(t, f, "a later message deleted", ids, msgs, nil, anonMsgs)

	_, err := f.Store.FindAuthors(f.ctx, f.tenant.ID, make([]convstore.ID, convstore.MaxBatchRanges+1))
	wantInvalid(t, err, "conversation_ids", "too many conversations")
}

// Another tenant's conversation, a missing one and a deleted one have no
// authors.
func testAuthorsScoped(t *testing.T, f *fixture) {
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	theirs, _ := MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{authored("Zed", "")}})
	gone, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{authored("Yan", "")}})
	MustDeleteConversation(t, f.ctx, f.Store, f.tenant.ID, gone.ID, f.params)
	wantAuthors(t, f, "not the tenant's", []convstore.ID{theirs.ID, randomID(), gone.ID}, nil, nil, nil)
	got, err := f.Store.FindAuthors(f.ctx, other.ID, []convstore.ID{theirs.ID})
	if err != nil || len(got) != 1 || len(got[0]) != 1 || got[0][0].Name != "Zed" {
		t.Errorf("the owner's authors: %v, %v", got, err)
	}
}
