package servicetest

import (
	"testing"

	"github.com/convstore/convstore"
)

var digestTests = []subtest{
	{"EndsOfEachConversation", testDigests},
	{"MessagePages", testMessagePages},
	{"ArtifactPages", testArtifactPages},
}

// FindConversationDigests returns the page FindConversations returns, each
// conversation with the ends of its message list.
func testDigests(t *testing.T, f *fixture) {
	ds := f.Store
	long, longMsgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Title: "long", Messages: textMessages("l", 6)})
	short, shortMsgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Title: "short", Messages: textMessages("s", 1)})
	empty, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Title: "empty"})
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{Messages: textMessages("o", 2)})

	filter := convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: 2}}
	got, more, err := ds.FindConversationDigests(f.ctx, f.tenant.ID, filter, convstore.DigestOptions{First: 2, Last: 1})
	if err != nil {
		t.Fatal(err)
	}
	page, pageMore, err := f.Store.FindConversations(f.ctx, f.tenant.ID, filter)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(page) || more != pageMore || !more {
		t.Fatalf("%d digests (more %v), FindConversations %d (more %v); want the same page of 2 with more", len(got), more, len(page), pageMore)
	}
	ids := func(ms []*convstore.Message) []convstore.ID {
		out := make([]convstore.ID, len(ms))
		for i, m := range ms {
			out[i] = m.ID
		}
		return out
	}
	for i, d := range got {
		if d.Conversation.ID != page[i].ID {
			t.Errorf("digest %d is conversation %v, want %v", i, d.Conversation.ID, page[i].ID)
		}
		switch d.Conversation.ID {
		case empty.ID:
			if len(d.First) != 0 || len(d.Last) != 0 || d.First == nil || d.Last == nil {
				t.Errorf("an empty conversation's digest: %+v, want empty lists", d)
			}
		case short.ID:
			if !idsEqual(ids(d.First), ids(shortMsgs)) || !idsEqual(ids(d.Last), ids(shortMsgs)) || d.First[0].Content != shortMsgs[0].Content {
				t.Errorf("a one-message conversation's digest: %+v", d)
			}
		}
	}
	// The oldest page holds the long conversation.
	filter.Order, filter.Limit = convstore.OrderAsc, 1
	got, _, err = ds.FindConversationDigests(f.ctx, f.tenant.ID, filter, convstore.DigestOptions{First: 2, Last: 3})
	if err != nil || len(got) != 1 || got[0].Conversation.ID != long.ID || got[0].Conversation.MessageCount != 6 {
		t.Fatalf("oldest digest: %v, %v", got, err)
	}
	if !idsEqual(ids(got[0].First), ids(longMsgs[:2])) || !idsEqual(ids(got[0].Last), ids(longMsgs[3:])) {
		t.Errorf("the long conversation's ends: first %v, last %v", ids(got[0].First), ids(got[0].Last))
	}
	_, _, err = ds.FindConversationDigests(f.ctx, f.tenant.ID, convstore.ConversationFilter{}, convstore.DigestOptions{First: convstore.MaxPageLimit + 1})
	wantInvalid(t, err, "first", "too many messages per digest")
}
