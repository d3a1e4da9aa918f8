package servicetest

import (
	"encoding/json"
	"testing"

	"github.com/convstore/convstore"
)

// FindMessagePages answers each range as FindMessages would, in order; a
// missing or another tenant's conversation has an empty page.
func testMessagePages(t *testing.T, f *fixture) {
	aCreate := textMessages("a", 5)
	// Every sealed field of a message, to read back opened.
	aCreate[0].AuthorName, aCreate[0].Metadata = "Ada", convstore.Metadata{"k": "v"}
	aCreate[0].Parts = json.RawMessage(`[{"type":"text","text":"hi"}]`)
	a, aMsgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: aCreate})
	b, bMsgs := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{Messages: textMessages("b", 3)})
	empty, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{})
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	foreign, _ := MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{Messages: textMessages("o", 2)})

	ranges := []convstore.MessageRange{
		{ConversationID: a.ID, PageFilter: convstore.PageFilter{Limit: 2}},
		{ConversationID: a.ID, PageFilter: convstore.PageFilter{After: aMsgs[1].ID, Limit: 10}},
		{ConversationID: b.ID, PageFilter: convstore.PageFilter{Limit: 2, Order: convstore.OrderDesc}},
		{ConversationID: b.ID, PageFilter: convstore.PageFilter{After: bMsgs[2].ID, Limit: 5, Order: convstore.OrderDesc}},
		{ConversationID: empty.ID},
		{ConversationID: foreign.ID},
		{ConversationID: randomID()},
	}
	got, err := f.Store.FindMessagePages(f.ctx, f.tenant.ID, ranges)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		msgs []*convstore.Message
		more bool
	}{
		{aMsgs[:2], true}, {aMsgs[2:], false},
		{[]*convstore.Message{bMsgs[2], bMsgs[1]}, true}, {[]*convstore.Message{bMsgs[1], bMsgs[0]}, false},
		{nil, false}, {nil, false}, {nil, false},
	}
	if len(got) != len(want) {
		t.Fatalf("%d pages for %d ranges", len(got), len(ranges))
	}
	for i, w := range want {
		if !idsEqual(messageIDs(got[i].Messages), messageIDs(w.msgs)) || got[i].More != w.more || got[i].Messages == nil {
			t.Errorf("range %d: %v (more %v), want %v (more %v)", i, messageIDs(got[i].Messages), got[i].More, messageIDs(w.msgs), w.more)
		}
	}
	if m := got[0].Messages[0]; m.Content != aMsgs[0].Content || m.ConversationID != a.ID || m.Role != aMsgs[0].Role {
		t.Errorf("a message read in a batch: %+v, want %+v", m, aMsgs[0])
	}
	// Each range reads like FindMessages, field for field.
	for i, r := range ranges[:4] {
		page, more, err := f.Store.FindMessages(f.ctx, f.tenant.ID, r.ConversationID, convstore.MessageFilter{PageFilter: r.PageFilter})
		if err != nil || snapshot(t, page) != snapshot(t, got[i].Messages) || more != got[i].More {
			t.Errorf("range %d: %s (more %v), FindMessages %s (more %v), %v", i, snapshot(t, got[i].Messages), got[i].More,
				snapshot(t, page), more, err)
		}
	}
	if m := got[0].Messages[0]; m.AuthorName != "Ada" || m.Metadata["k"] != "v" || !jsonEqual(m.Parts, aCreate[0].Parts) {
		t.Errorf("a message read in a batch: %+v, want the fields it was created with", m)
	}
	if got, err := f.Store.FindMessagePages(f.ctx, f.tenant.ID, nil); err != nil || len(got) != 0 {
		t.Errorf("no ranges: %v, %v", got, err)
	}

	tooMany := make([]convstore.MessageRange, convstore.MaxBatchRanges+1)
	for i := range tooMany {
		tooMany[i] = convstore.MessageRange{ConversationID: a.ID, PageFilter: convstore.PageFilter{Limit: 1}}
	}
	_, err = f.Store.FindMessagePages(f.ctx, f.tenant.ID, tooMany)
	wantInvalid(t, err, "ranges", "too many ranges")
	tooLong := make([]convstore.MessageRange, convstore.MaxBatchRows/convstore.MaxPageLimit+1)
	for i := range tooLong {
		tooLong[i] = convstore.MessageRange{ConversationID: a.ID, PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit}}
	}
	_, err = f.Store.FindMessagePages(f.ctx, f.tenant.ID, tooLong)
	wantInvalid(t, err, "limit", "limits summing past the cap")
	_, err = f.Store.FindMessagePages(f.ctx, f.tenant.ID, []convstore.MessageRange{{ConversationID: a.ID, PageFilter: convstore.PageFilter{Limit: convstore.MaxBatchRows + 1}}})
	wantInvalid(t, err, "limit", "a range past the cap")
	// One range may take the whole batch.
	got, err = f.Store.FindMessagePages(f.ctx, f.tenant.ID, []convstore.MessageRange{{ConversationID: a.ID, PageFilter: convstore.PageFilter{Limit: convstore.MaxBatchRows}}})
	if err != nil || len(got) != 1 || !idsEqual(messageIDs(got[0].Messages), messageIDs(aMsgs)) || got[0].More {
		t.Errorf("a range of the whole batch: %v, %v", got, err)
	}
	_, err = f.Store.FindMessagePages(f.ctx, f.tenant.ID, []convstore.MessageRange{{ConversationID: a.ID, PageFilter: convstore.PageFilter{Limit: -1}}})
	wantInvalid(t, err, "limit", "a negative limit")
	_, err = f.Store.FindMessagePages(f.ctx, f.tenant.ID, []convstore.MessageRange{{}})
	wantInvalid(t, err, "conversation_id", "a range without a conversation")
}

// FindArtifactPages answers each range as FindArtifacts would, its type
// included; a missing or another tenant's conversation has an empty page.
func testArtifactPages(t *testing.T, f *fixture) {
	a, _ := MustCreateConversation(t, f.ctx, f.Store, f.tenant.ID, &convstore.ConversationCreate{})
	sum1 := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, a.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "s1"})
	topic := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, a.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactTopic, Text: "t"})
	sum2 := MustCreateArtifact(t, f.ctx, f.Store, f.tenant.ID, a.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "s2",
		Data: json.RawMessage(`{"n":[1,2]}`)})
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("other"))
	foreign, _ := MustCreateConversation(t, f.ctx, f.Store, other.ID, &convstore.ConversationCreate{})
	MustCreateArtifact(t, f.ctx, f.Store, other.ID, foreign.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "x"})

	ranges := []convstore.ArtifactRange{
		{ConversationID: a.ID},
		{ConversationID: a.ID, Type: convstore.ArtifactSummary, PageFilter: convstore.PageFilter{Limit: 1, Order: convstore.OrderDesc}},
		{ConversationID: a.ID, Type: convstore.ArtifactTopic},
		{ConversationID: a.ID, Type: convstore.ArtifactSummary, PageFilter: convstore.PageFilter{After: sum1.ID}},
		{ConversationID: foreign.ID, Type: convstore.ArtifactSummary},
		{ConversationID: foreign.ID},
	}
	got, err := f.Store.FindArtifactPages(f.ctx, f.tenant.ID, ranges)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		ids  []convstore.ID
		more bool
	}{
		{[]convstore.ID{sum1.ID, topic.ID, sum2.ID}, false},
		{[]convstore.ID{sum2.ID}, true},
		{[]convstore.ID{topic.ID}, false},
		{[]convstore.ID{sum2.ID}, false},
		{nil, false}, {nil, false},
	}
	for i, w := range want {
		ids := make([]convstore.ID, len(got[i].Artifacts))
		for j, x := range got[i].Artifacts {
			ids[j] = x.ID
		}
		if !idsEqual(ids, w.ids) || got[i].More != w.more || got[i].Artifacts == nil {
			t.Errorf("range %d: %v (more %v), want %v (more %v)", i, ids, got[i].More, w.ids, w.more)
		}
	}
	if x := got[1].Artifacts[0]; x.Text != "s2" || !jsonEqual(x.Data, sum2.Data) || x.Type != convstore.ArtifactSummary || x.ConversationID != a.ID {
		t.Errorf("an artifact read in a batch: %+v", x)
	}
	// Each range reads like FindArtifacts, field for field.
	for i, r := range ranges[:4] {
		page, more, err := f.Store.FindArtifacts(f.ctx, f.tenant.ID, r.ConversationID, convstore.ArtifactFilter{Type: r.Type, PageFilter: r.PageFilter})
		if err != nil || snapshot(t, page) != snapshot(t, got[i].Artifacts) || more != got[i].More {
			t.Errorf("range %d: %s (more %v), FindArtifacts %s (more %v), %v", i, snapshot(t, got[i].Artifacts), got[i].More,
				snapshot(t, page), more, err)
		}
	}
	_, err = f.Store.FindArtifactPages(f.ctx, f.tenant.ID, []convstore.ArtifactRange{{ConversationID: a.ID, Type: "nope"}})
	wantInvalid(t, err, "type", "an unknown type")
}

// messageIDs returns the messages' ids.
func messageIDs(ms []*convstore.Message) []convstore.ID {
	out := make([]convstore.ID, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}
