package elevenlabs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// feedbackPath is a conversation's feedback route.
func feedbackPath(id string) string { return "/v1/convai/conversations/" + id + "/feedback" }

// bodyItem checks a 422 whose first item has the loc and type given.
func bodyItem(t testing.TB, r *doortest.Response, typ string, loc ...string) {
	t.Helper()
	doortest.Expect(t, r, 422, "application/json")
	var body struct {
		Detail []struct {
			Type string `json:"type"`
			Loc  []any  `json:"loc"`
			Msg  string `json:"msg"`
		} `json:"detail"`
	}
	r.JSON(t, &body)
	if len(body.Detail) != 1 || body.Detail[0].Type != typ || body.Detail[0].Msg == "" || len(body.Detail[0].Loc) != len(loc) {
		t.Fatalf("%v: want one %s item at %v", r, typ, loc)
	}
	for i, l := range loc {
		if body.Detail[0].Loc[i] != l {
			t.Fatalf("%v: loc %v, want %v", r, body.Detail[0].Loc, loc)
		}
	}
}

// feedbackArtifacts returns the conversation's "other" artifacts.
func (w *world) feedbackArtifacts(tenant, id convstore.ID) []*convstore.Artifact {
	w.TB.Helper()
	arts, _, err := w.Store.FindArtifacts(context.Background(), tenant, id, convstore.ArtifactFilter{Type: convstore.ArtifactOther})
	if err != nil {
		w.TB.Fatal(err)
	}
	return arts
}

func TestFeedback(t *testing.T) {
	w := setup(t)
	c := w.seed(w.TenantA, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}}})
	// An Inkeep-style "other" artifact is not ElevenLabs feedback: kept.
	w.artifact(w.TenantA, c.ID, convstore.ArtifactOther, "note", `{"something":"else"}`)
	post := func(body any, key string) *doortest.Response {
		return w.own.Do("POST", feedbackPath(cid(c)), body, "xi-api-key", key)
	}
	score := func() string {
		r := w.do("GET", "/v1/convai/conversations/"+cid(c))
		doortest.Expect(t, r, 200, "application/json")
		return doortest.Raw(t, r.Body, "metadata", "feedback")
	}
	if got := score(); got != `{"type":null,"overall_score":null,"likes":0,"dislikes":0}` {
		t.Fatalf("no feedback: %s", got)
	}
	for _, step := range []struct {
		body any
		want string
	}{
		{map[string]any{"feedback": "like"}, `{"type":"thumbs","overall_score":"like","likes":0,"dislikes":0}`},
		{map[string]any{"feedback": "dislike", "extra": 1}, `{"type":"thumbs","overall_score":"dislike","likes":0,"dislikes":0}`},
		{map[string]any{"feedback": nil}, `{"type":null,"overall_score":null,"likes":0,"dislikes":0}`},
		{map[string]any{"feedback": "like"}, `{"type":"thumbs","overall_score":"like","likes":0,"dislikes":0}`},
		{map[string]any{}, `{"type":null,"overall_score":null,"likes":0,"dislikes":0}`},
		{`{"feedback":"dislike"}`, `{"type":"thumbs","overall_score":"dislike","likes":0,"dislikes":0}`},
	} {
		r := post(step.body, w.KeyA)
		doortest.Expect(t, r, 200, "application/json")
		if strings.TrimSpace(string(r.Body)) != "null" {
			t.Fatalf("%v: want null", r)
		}
		if got := score(); got != step.want {
			t.Fatalf("after %v: %s, want %s", step.body, got, step.want)
		}
		// Each post replaces the earlier feedback: one feedback artifact
		// beside the unrelated one.
		if arts := w.feedbackArtifacts(w.TenantA, c.ID); len(arts) != 2 || arts[0].Text != "note" {
			t.Fatalf("after %v: artifacts %+v", step.body, arts)
		}
	}

	// Bad bodies are FastAPI's 422 and change nothing.
	bodyItem(t, post(`{"feedback":"love"}`, w.KeyA), "enum", "body", "feedback")
	bodyItem(t, post(`{"feedback":1}`, w.KeyA), "enum", "body", "feedback")
	bodyItem(t, post(`[1]`, w.KeyA), "model_attributes_type", "body")
	bodyItem(t, post(`null`, w.KeyA), "model_attributes_type", "body")
	bodyItem(t, post(`{"feedback":`, w.KeyA), "json_invalid", "body")
	doortest.Expect(t, post("", w.KeyA), 422, "application/json")
	errorDetail(t, w.own.Do("POST", feedbackPath(cid(c)), `{"feedback":"like"}`, "xi-api-key", w.KeyA, "Content-Type", "text/plain"), 415, "unsupported_media_type")
	if got := score(); !strings.Contains(got, `"dislike"`) {
		t.Fatalf("a bad body changed the feedback: %s", got)
	}

	// Scope: write; a read key is 401 missing_permissions.
	errorDetail(t, post(map[string]any{"feedback": "like"}, w.Scoped[convstore.ScopeRead]), 401, "missing_permissions")
	doortest.Expect(t, post(map[string]any{"feedback": "like"}, w.Scoped[convstore.ScopeWrite]), 200, "application/json")

	// Tenant B: A's id is not found, exactly like a missing or malformed
	// one, and nothing is written anywhere.
	foreign := w.own.Do("POST", feedbackPath(cid(c)), map[string]any{"feedback": "dislike"}, "xi-api-key", w.KeyB)
	missing := w.own.Do("POST", feedbackPath("conv_01m8pfgzpnepf8eew0phv59r57"), map[string]any{"feedback": "dislike"}, "xi-api-key", w.KeyB)
	malformed := w.own.Do("POST", feedbackPath("nope"), map[string]any{"feedback": "dislike"}, "xi-api-key", w.KeyB)
	errorDetail(t, foreign, 404, "conversation_not_found")
	for _, r := range []*doortest.Response{missing, malformed} {
		if string(r.Body) != string(foreign.Body) || r.Status != foreign.Status {
			t.Fatalf("foreign %v and %v differ", foreign, r)
		}
	}
	if got := score(); !strings.Contains(got, `"like"`) {
		t.Fatalf("tenant B changed A's feedback: %s", got)
	}

	// Deleting the conversation deletes its feedback.
	doortest.Expect(t, w.do("DELETE", "/v1/convai/conversations/"+cid(c)), 200, "application/json")
	for table, n := range w.ConversationRows(c.ID) {
		if n != 0 {
			t.Fatalf("%d rows left in %s", n, table)
		}
	}
	errorDetail(t, post(map[string]any{"feedback": "like"}, w.KeyA), 404, "conversation_not_found")
}

func TestSummary(t *testing.T) {
	w := setup(t)
	var msgs []*convstore.MessageCreate
	for i := range 7 {
		role := []convstore.Role{convstore.RoleSystem, convstore.RoleUser, convstore.RoleAssistant, convstore.RoleTool}[i%4]
		msgs = append(msgs, &convstore.MessageCreate{Role: role, Content: "m" + string(rune('0'+i))})
	}
	c := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "a1", Title: "Title", Messages: msgs})
	path := "/v1/convai/conversations/" + cid(c) + "/summary"

	r := w.do("GET", path)
	doortest.Expect(t, r, 200, "application/json")
	m := r.Map(t)
	for k, want := range map[string]string{
		"conversation_id": `"` + cid(c) + `"`, "agent_id": `"a1"`, "status": `"done"`, "call_summary_title": `"Title"`,
		"call_successful": `"unknown"`, "message_count": "4", "messages_omitted": "false",
		"messages": `[{"role":"user","message":"m1"},{"role":"agent","message":"m2"},{"role":"user","message":"m5"},{"role":"agent","message":"m6"}]`,
	} {
		if got := doortest.Raw(t, r.Body, k); got != want {
			t.Errorf("%s: %s, want %s", k, got, want)
		}
	}
	if _, ok := m["transcript_summary"]; ok {
		t.Errorf("transcript_summary without a summary: %s", r.Body)
	}
	if note, _ := m["note"].(string); !strings.Contains(note, "GET /v1/convai/conversations/"+cid(c)) {
		t.Errorf("note %q", note)
	}

	// max_messages: 4 holds them all, 3 and 0 omit them (messages null).
	if got := doortest.Raw(t, w.do("GET", path+"?max_messages=4").Body, "messages_omitted"); got != "false" {
		t.Errorf("max_messages=4: omitted %s", got)
	}
	for _, n := range []string{"3", "0"} {
		r := w.do("GET", path+"?max_messages="+n)
		doortest.Expect(t, r, 200, "application/json")
		if doortest.Raw(t, r.Body, "messages") != "null" || doortest.Raw(t, r.Body, "messages_omitted") != "true" ||
			doortest.Raw(t, r.Body, "message_count") != "4" {
			t.Errorf("max_messages=%s: %s", n, r.Body)
		}
	}
	validation(t, w.do("GET", path+"?max_messages=101"), "max_messages", "less_than_equal")
	validation(t, w.do("GET", path+"?max_messages=-1"), "max_messages", "greater_than_equal")
	validation(t, w.do("GET", path+"?max_messages=x"), "max_messages", "int_parsing")

	// With a summary and an analysis.
	w.artifact(w.TenantA, c.ID, convstore.ArtifactSummary, "They talked.", "")
	w.artifact(w.TenantA, c.ID, convstore.ArtifactAnalysis, "", `{"call_successful":"failure","call_summary_title":"Short"}`)
	r = w.do("GET", path)
	if doortest.Raw(t, r.Body, "transcript_summary") != `"They talked."` || doortest.Raw(t, r.Body, "call_successful") != `"failure"` ||
		doortest.Raw(t, r.Body, "call_summary_title") != `"Short"` {
		t.Errorf("analysis: %s", r.Body)
	}

	// HEAD, and tenant isolation: B's answer for A's id is the missing one.
	if h := w.own.Do("HEAD", path, nil, "xi-api-key", w.KeyA); h.Status != 200 || len(h.Body) != 0 {
		t.Errorf("HEAD: %v", h)
	}
	foreign := w.own.Do("GET", path, nil, "xi-api-key", w.KeyB)
	errorDetail(t, foreign, 404, "conversation_not_found")
	missing := w.own.Do("GET", "/v1/convai/conversations/conv_01m8pfgzpnepf8eew0phv59r57/summary", nil, "xi-api-key", w.KeyB)
	if string(missing.Body) != string(foreign.Body) {
		t.Errorf("foreign %s, missing %s", foreign.Body, missing.Body)
	}
	// Through the compat mount as well.
	doortest.Expect(t, w.main.Do("GET", compat+path, nil, "xi-api-key", w.KeyA), 200, "application/json")
}

func TestSIPMessages(t *testing.T) {
	w := setup(t)
	c := w.seed(w.TenantA, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi"}}})
	path := "/v1/convai/conversations/" + cid(c) + "/sip-messages"
	r := w.do("GET", path+"?page_size=5&cursor=abc")
	doortest.Expect(t, r, 200, "application/json")
	if got := strings.TrimSpace(string(r.Body)); got != `{"sip_messages":[],"next_cursor":null,"has_more":false}` {
		t.Fatalf("%s", got)
	}
	validation(t, w.do("GET", path+"?page_size=0"), "page_size", "greater_than_equal")
	foreign := w.own.Do("GET", path, nil, "xi-api-key", w.KeyB)
	errorDetail(t, foreign, 404, "conversation_not_found")
	missing := w.own.Do("GET", "/v1/convai/conversations/conv_01m8pfgzpnepf8eew0phv59r57/sip-messages", nil, "xi-api-key", w.KeyB)
	if string(missing.Body) != string(foreign.Body) {
		t.Fatalf("foreign %s, missing %s", foreign.Body, missing.Body)
	}
}
