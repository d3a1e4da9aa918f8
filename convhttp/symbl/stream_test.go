package symbl

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
)

// The whole* functions are the former answers (commit 06bfc9d), which
// built every list in memory and marshalled it: the oracle the streamed
// answers must equal byte for byte.

func wholeMessages(tb testing.TB, d *Door, ten convstore.ID, conv *convstore.Conversation) any {
	tb.Helper()
	cid := conversationID(conv)
	out := []message{}
	var members memberIndex
	var first time.Time
	err := d.eachMessage(context.Background(), ten, conv.ID, func(m *convstore.Message) {
		start, end := messageTimes(m)
		if len(out) == 0 {
			first = start
		}
		out = append(out, message{
			ID: decimalID(m.ID), Text: m.Content,
			From:      from{ID: members.add(m), Name: m.AuthorName, UserID: m.Metadata[metaUserID]},
			StartTime: formatTime(start), EndTime: formatTime(end),
			TimeOffset: seconds(start.Sub(first)), Duration: seconds(end.Sub(start)),
			ConversationID: cid, Phrases: []string{}, Words: []string{},
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	return struct {
		Messages []message `json:"messages"`
	}{out}
}

func wholeArtifacts(tb testing.TB, d *Door, ten, conv convstore.ID, t convstore.ArtifactType) []*convstore.Artifact {
	tb.Helper()
	var all []*convstore.Artifact
	f := convstore.ArtifactFilter{Type: t, PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderAsc}}
	for {
		page, more, err := d.store.FindArtifacts(context.Background(), ten, conv, f)
		if err != nil {
			tb.Fatal(err)
		}
		all = append(all, page...)
		if !more || len(page) == 0 {
			return all
		}
		f.After = page[len(page)-1].ID
	}
}

func wholeInsights(tb testing.TB, d *Door, ten, conv convstore.ID, key, t string) any {
	out := []insight{}
	for _, a := range wholeArtifacts(tb, d, ten, conv, convstore.ArtifactType(t)) {
		out = append(out, toInsight(a, t))
	}
	return map[string][]insight{key: out}
}

func wholeLegacyInsights(tb testing.TB, d *Door, ten, conv convstore.ID) any {
	out := []insight{}
	for _, a := range wholeArtifacts(tb, d, ten, conv, "") {
		switch t := string(a.Type); t {
		case typeActionItem, typeQuestion, typeFollowUp:
			in := toInsight(a, typeActionItem)
			in.Type = t
			out = append(out, in)
		}
	}
	return map[string][]insight{"insights": out}
}

func wholeSummary(tb testing.TB, d *Door, ten, conv convstore.ID) any {
	out := []summary{}
	for _, a := range wholeArtifacts(tb, d, ten, conv, convstore.ArtifactSummary) {
		refs := make([]messageRef, 0, len(a.MessageIDs))
		for _, id := range messageIDs(a) {
			refs = append(refs, messageRef{ID: id})
		}
		out = append(out, summary{ID: decimalID(a.ID), Text: a.Text, MessageRefs: refs})
	}
	return map[string][]summary{"summary": out}
}

func wholeList(tb testing.TB, d *Door, ten convstore.ID, limit int) any {
	tb.Helper()
	ctx := context.Background()
	end := time.Now()
	start := end.Add(-defaultWindow)
	f := convstore.ConversationFilter{CreatedAfter: &start, CreatedBefore: &end}
	f.Order = convstore.OrderAsc
	out := []conversation{}
	for remaining := limit; remaining > 0; {
		f.Limit = min(remaining, convstore.MaxPageLimit)
		page, more, err := d.store.FindConversations(ctx, ten, f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, c := range page {
			members, err := membersFromMessages(d, ten, c.ID)
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, toConversation(c, members))
		}
		remaining -= len(page)
		if !more || len(page) == 0 {
			break
		}
		f.After = page[len(page)-1].ID
	}
	return struct {
		Conversations []conversation `json:"conversations"`
	}{out}
}

// TestStreamedBodiesAsMarshalled compares the streamed answers on
// conversations of several store pages of messages and artifacts with the
// former whole answers.
func TestStreamedBodiesAsMarshalled(t *testing.T) {
	t.Parallel()
	e := doortest.New(t)
	var d *Door
	c := e.Serve(func(s *convhttp.Server) { d = New(s); s.Mount("/", d) })
	auth := []string{"Authorization", "Bearer " + e.KeyA}
	ctx := context.Background()

	// 270 messages with authors, user ids and times, through the door.
	var msgs []map[string]any
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	for i := range 270 {
		m := map[string]any{"payload": map[string]any{"content": fmt.Sprintf("line %d <&> \"é\" \u2028", i)}}
		if i%4 != 3 {
			m["from"] = map[string]any{"name": fmt.Sprint("speaker ", i%7), "userId": fmt.Sprintf("u%d@example.com", i%5)}
		}
		if i%3 != 0 {
			s := base.Add(time.Duration(i) * 2 * time.Second)
			m["duration"] = map[string]any{"startTime": s.Format(time.RFC3339Nano), "endTime": s.Add(1500 * time.Millisecond).Format(time.RFC3339Nano)}
		}
		msgs = append(msgs, m)
	}
	r := c.Do("POST", "/v1/process/text", map[string]any{"name": "<big>", "messages": msgs}, auth...)
	var job jobResponse
	r.JSON(t, &job)
	var seq int64
	fmt.Sscan(job.ConversationID, &seq)
	big, err := e.Store.FindConversationBySeq(ctx, e.TenantA, seq)
	if err != nil {
		t.Fatal(err)
	}
	first, _, err := e.Store.FindMessages(ctx, e.TenantA, big.ID, convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: 1}})
	if err != nil || len(first) != 1 {
		t.Fatalf("first message: %v %v", first, err)
	}
	types := []convstore.ArtifactType{convstore.ArtifactTopic, convstore.ArtifactActionItem, convstore.ArtifactQuestion, convstore.ArtifactFollowUp, convstore.ArtifactSummary, convstore.ArtifactOther}
	for i := range 330 {
		score := float64(i%10) / 10
		a := &convstore.ArtifactCreate{Type: types[i%len(types)], Text: fmt.Sprintf("artifact %d <x>", i), MessageIDs: []convstore.ID{first[0].ID}}
		if i%2 == 0 {
			a.Score = &score
			a.Data = json.RawMessage(`{"symbl":{"parentRefs":[{"text":"p"}],"from":{"name":"n"},"entities":[1],"dueBy":"2024-01-01"}}`)
		}
		if _, err := e.Store.CreateArtifact(ctx, e.TenantA, big.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if r := c.Do("POST", "/v1/process/text", map[string]any{"messages": msgs[:3]}, auth...); r.Status != http.StatusCreated {
			t.Fatalf("%v", r)
		}
	}

	id := conversationID(big)
	for _, tc := range []struct {
		path string
		want any
	}{
		{"/messages", wholeMessages(t, d, e.TenantA, big)},
		{"/topics", wholeInsights(t, d, e.TenantA, big.ID, "topics", typeTopic)},
		{"/questions", wholeInsights(t, d, e.TenantA, big.ID, "questions", typeQuestion)},
		{"/action-items", wholeInsights(t, d, e.TenantA, big.ID, "actionItems", typeActionItem)},
		{"/follow-ups", wholeInsights(t, d, e.TenantA, big.ID, "followUps", typeFollowUp)},
		{"/insights", wholeLegacyInsights(t, d, e.TenantA, big.ID)},
		{"/summary", wholeSummary(t, d, e.TenantA, big.ID)},
	} {
		sameBody(t, c.Do("GET", "/v1/conversations/"+id+tc.path, nil, auth...), tc.want)
	}
	sameBody(t, c.Do("GET", "/v1/conversations", nil, auth...), wholeList(t, d, e.TenantA, defaultListLimit))
	sameBody(t, c.Do("GET", "/v1/conversations?limit=2", nil, auth...), wholeList(t, d, e.TenantA, 2))
}

// sameBody fails the test unless r is the marshalled want.
func sameBody(tb testing.TB, r *doortest.Response, want any) {
	tb.Helper()
	b, err := json.Marshal(want)
	if err != nil {
		tb.Fatal(err)
	}
	if r.Status != http.StatusOK || string(r.Body) != string(b)+"\n" {
		tb.Fatalf("%v\nwant %s", r, b)
	}
}

// eachMessage calls fn with every message of a conversation, oldest first.
func (d *Door) eachMessage(ctx context.Context, ten, conv convstore.ID, fn func(*convstore.Message)) error {
	f := convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderAsc}}
	for {
		page, more, err := d.store.FindMessages(ctx, ten, conv, f)
		if err != nil {
			return err
		}
		for _, m := range page {
			fn(m)
		}
		if !more || len(page) == 0 {
			return nil
		}
		f.After = page[len(page)-1].ID
	}
}

// membersFromMessages derives a conversation's members from every message
// it holds, as the door did before the store kept its authors: the oracle
// of the members the store's record gives.
func membersFromMessages(d *Door, ten, conv convstore.ID) ([]member, error) {
	var x memberIndex
	err := d.eachMessage(context.Background(), ten, conv, func(m *convstore.Message) { x.add(m) })
	return x.members, err
}
