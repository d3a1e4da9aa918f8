package servicetest

import (
	"testing"

	"github.com/convstore/convstore"
)

var digestTests = []subtest{
	{"EndsOfEachConversation", testDigests},
	{"NewestArtifacts", testDigestNewest},
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

// A digest carries each conversation's newest artifact of each type asked
// for, in the order asked, nil where it has none.
func testDigestNewest(t *testing.T, f *fixture) {
	a, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Title: "a", Messages: textMessages("a", 1)})
	b, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Title: "b"})
	art := func(c *convstore.Conversation, typ convstore.ArtifactType, text string) *convstore.Artifact {
		return MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, c.ID, &convstore.ArtifactCreate{Type: typ, Text: text})
	}
	art(a, convstore.ArtifactSummary, "old summary")
	an := art(a, convstore.ArtifactAnalysis, "analysis")
	sum := art(a, convstore.ArtifactSummary, "new summary")
	for range 5 { // newer artifacts of other types
		art(a, convstore.ArtifactTopic, "topic")
	}
	bSum := art(b, convstore.ArtifactSummary, "b's summary")
	filter := convstore.ConversationFilter{PageFilter: convstore.PageFilter{Limit: 10, Order: convstore.OrderAsc}}
	got, _, err := f.Store.FindConversationDigests(f.ctx, f.tenant.ID, filter,
		convstore.DigestOptions{Newest: []convstore.ArtifactType{convstore.ArtifactAnalysis, convstore.ArtifactSummary}})
	if err != nil || len(got) != 2 {
		t.Fatalf("%d digests, %v", len(got), err)
	}
	id := func(x *convstore.Artifact) convstore.ID {
		if x == nil {
			return convstore.ID{}
		}
		return x.ID
	}
	if n := got[0].Newest; len(n) != 2 || id(n[0]) != an.ID || id(n[1]) != sum.ID || n[1].Text != "new summary" {
		t.Errorf("a's newest: %+v, want its analysis and its newer summary", n)
	}
	if n := got[1].Newest; len(n) != 2 || n[0] != nil || id(n[1]) != bSum.ID {
		t.Errorf("b's newest: %+v, want no analysis and its summary", n)
	}
	got, _, err = f.Store.FindConversationDigests(f.ctx, f.tenant.ID, filter, convstore.DigestOptions{Last: 1})
	if err != nil || got[0].Newest != nil {
		t.Errorf("a digest without types: %+v, %v", got[0].Newest, err)
	}
	for _, bad := range [][]convstore.ArtifactType{
		{convstore.ArtifactSummary, convstore.ArtifactSummary},
		{"nonsense"},
		{convstore.ArtifactSummary, convstore.ArtifactAnalysis, convstore.ArtifactTopic},
	} {
		_, _, err := f.Store.FindConversationDigests(f.ctx, f.tenant.ID, filter, convstore.DigestOptions{Newest: bad})
		wantInvalid(t, err, "newest", "newest types")
	}
}
