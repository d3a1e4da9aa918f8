package symbl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

func TestInsights(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	cid, _ := f.create(t, f.env.KeyA, textBody("Vikram you need to work on a plan", "What is the Bahamas?"))
	conv := f.conv(t, f.env.TenantA, cid)
	msgs := f.messages(t, f.env.TenantA, conv.ID)
	score := 0.94
	add := func(typ convstore.ArtifactType, text, data string, sc *float64) string {
		a, err := f.env.Store.CreateArtifact(ctx, f.env.TenantA, conv.ID, &convstore.ArtifactCreate{
			Type: typ, Text: text, Data: json.RawMessage(data), MessageIDs: []convstore.ID{msgs[0].ID}, Score: sc})
		if err != nil {
			t.Fatal(err)
		}
		return decimal(a.ID)
	}
	topic := add(convstore.ArtifactTopic, "interns", `{"parentRefs":[{"type":"topic","text":"hiring"}],"sentiment":{"suggested":"positive"}}`, &score)
	action := add(convstore.ArtifactActionItem, "Vikram plan", `{"symbl":{"assignee":{"name":"Vikram"},"definitive":true,"dueBy":"2020-07-11T07:00:00.000Z","entities":"bad"}}`, &score)
	question := add(convstore.ArtifactQuestion, "Bahamas?", ``, nil)
	follow := add(convstore.ArtifactFollowUp, "call David", `[1,2]`, nil)
	sum := add(convstore.ArtifactSummary, "They planned.", ``, nil)
	add(convstore.ArtifactEntity, "not listed", ``, nil)
	m0 := decimal(msgs[0].ID)

	get := func(path, key string) []json.RawMessage {
		t.Helper()
		r := f.do("GET", "/v1/conversations/"+cid+path, f.env.Scoped[convstore.ScopeRead], nil)
		doortest.Expect(t, r, 200, "application/json")
		var out map[string][]json.RawMessage
		r.JSON(t, &out)
		if len(out) != 1 || out[key] == nil {
			t.Fatalf("%s: %s", path, r.Body)
		}
		return out[key]
	}
	check := func(path, key string, want ...string) {
		t.Helper()
		got := get(path, key)
		if len(got) != len(want) {
			t.Fatalf("%s: %s", path, got)
		}
		for i := range want {
			if string(got[i]) != want[i] {
				t.Fatalf("%s[%d]:\n%s\nwant\n%s", path, i, got[i], want[i])
			}
		}
	}
	wantTopic := fmt.Sprintf(`{"id":%q,"text":"interns","type":"topic","score":0.94,"messageIds":[%q],"sentiment":{"suggested":"positive"},"parentRefs":[{"type":"topic","text":"hiring"}]}`, topic, m0)
	wantAction := fmt.Sprintf(`{"id":%q,"text":"Vikram plan","type":"action_item","score":0.94,"messageIds":[%q],"entities":[],"phrases":[],"from":{},"definitive":true,"assignee":{"name":"Vikram"},"dueBy":"2020-07-11T07:00:00.000Z"}`, action, m0)
	wantQuestion := fmt.Sprintf(`{"id":%q,"text":"Bahamas?","type":"question","score":1,"messageIds":[%q],"from":{}}`, question, m0)
	wantFollow := fmt.Sprintf(`{"id":%q,"text":"call David","type":"follow_up","score":1,"messageIds":[%q],"entities":[],"phrases":[],"from":{},"definitive":false,"assignee":{}}`, follow, m0)
	check("/topics", "topics", wantTopic)
	check("/action-items", "actionItems", wantAction)
	check("/questions", "questions", wantQuestion)
	check("/follow-ups", "followUps", wantFollow)
	wantQuestionInsight := fmt.Sprintf(`{"id":%q,"text":"Bahamas?","type":"question","score":1,"messageIds":[%q],"entities":[],"phrases":[],"from":{},"definitive":false,"assignee":{}}`, question, m0)
	check("/insights", "insights", wantAction, wantQuestionInsight, wantFollow)
	check("/summary", "summary", fmt.Sprintf(`{"id":%q,"text":"They planned.","messageRefs":[{"id":%q}]}`, sum, m0))

	// Empty lists are [], never null.
	cid2, _ := f.create(t, f.env.KeyA, textBody("x"))
	for path, key := range map[string]string{"/topics": "topics", "/questions": "questions", "/action-items": "actionItems",
		"/follow-ups": "followUps", "/insights": "insights", "/summary": "summary"} {
		r := f.do("GET", "/v1/conversations/"+cid2+path, f.env.KeyA, nil)
		if string(r.Body) != `{"`+key+`":[]}`+"\n" {
			t.Fatalf("%s: %s", path, r.Body)
		}
	}
}

// TestEmptyCollectionsPresent checks the exact JSON of every collection
// member Symbl's SDK types declare (messageIds, messageRefs, entities,
// phrases, parentRefs, members, phrases and words of a message) when
// there is nothing in it: [] or {}, never null and never left out, which
// typed clients reject.
func TestEmptyCollectionsPresent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	conv, _, err := f.env.Store.CreateConversation(ctx, f.env.TenantA, &convstore.ConversationCreate{Title: "empty"})
	if err != nil {
		t.Fatal(err)
	}
	cid := strconv.FormatInt(conv.Seq, 10)
	ids := map[convstore.ArtifactType]string{}
	for _, typ := range []convstore.ArtifactType{convstore.ArtifactTopic, convstore.ArtifactQuestion, convstore.ArtifactActionItem,
		convstore.ArtifactFollowUp, convstore.ArtifactSummary} {
		a, err := f.env.Store.CreateArtifact(ctx, f.env.TenantA, conv.ID, &convstore.ArtifactCreate{Type: typ, Text: "t"})
		if err != nil {
			t.Fatal(err)
		}
		ids[typ] = decimal(a.ID)
	}
	get := func(path string) string {
		t.Helper()
		r := f.do("GET", "/v1/conversations/"+cid+path, f.env.KeyA, nil)
		doortest.Expect(t, r, 200, "application/json")
		return strings.TrimSpace(string(r.Body))
	}
	for path, want := range map[string]string{
		"/topics":       fmt.Sprintf(`{"topics":[{"id":%q,"text":"t","type":"topic","score":1,"messageIds":[],"parentRefs":[]}]}`, ids[convstore.ArtifactTopic]),
		"/questions":    fmt.Sprintf(`{"questions":[{"id":%q,"text":"t","type":"question","score":1,"messageIds":[],"from":{}}]}`, ids[convstore.ArtifactQuestion]),
		"/action-items": fmt.Sprintf(`{"actionItems":[{"id":%q,"text":"t","type":"action_item","score":1,"messageIds":[],"entities":[],"phrases":[],"from":{},"definitive":false,"assignee":{}}]}`, ids[convstore.ArtifactActionItem]),
		"/follow-ups":   fmt.Sprintf(`{"followUps":[{"id":%q,"text":"t","type":"follow_up","score":1,"messageIds":[],"entities":[],"phrases":[],"from":{},"definitive":false,"assignee":{}}]}`, ids[convstore.ArtifactFollowUp]),
		"/summary":      fmt.Sprintf(`{"summary":[{"id":%q,"text":"t","messageRefs":[]}]}`, ids[convstore.ArtifactSummary]),
		"/members":      `{"members":[]}`,
		"/messages":     `{"messages":[]}`,
	} {
		if got := get(path); got != want {
			t.Errorf("%s:\n%s\nwant\n%s", path, got, want)
		}
	}
	// The legacy insights list carries every insight's messageIds too.
	var insights struct{ Insights []map[string]json.RawMessage }
	if err := json.Unmarshal([]byte(get("/insights")), &insights); err != nil || len(insights.Insights) != 3 {
		t.Fatalf("insights: %v %+v", err, insights)
	}
	for _, in := range insights.Insights {
		if string(in["messageIds"]) != `[]` {
			t.Errorf("insight %s: messageIds %s, want []", in["id"], in["messageIds"])
		}
	}
	// A conversation without messages has no members, as [].
	var c map[string]json.RawMessage
	if err := json.Unmarshal([]byte(get("")), &c); err != nil || string(c["members"]) != `[]` {
		t.Errorf("conversation members %s (%v), want []", c["members"], err)
	}
	// A message has phrases and words, empty.
	if _, err := f.env.Store.CreateMessages(ctx, f.env.TenantA, conv.ID, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}}); err != nil {
		t.Fatal(err)
	}
	var msgs struct{ Messages []map[string]json.RawMessage }
	if err := json.Unmarshal([]byte(get("/messages")), &msgs); err != nil || len(msgs.Messages) != 1 {
		t.Fatalf("messages: %v %+v", err, msgs)
	}
	for _, k := range []string{"phrases", "words"} {
		if got := string(msgs.Messages[0][k]); got != `[]` {
			t.Errorf("message %s: %s, want []", k, got)
		}
	}
}
