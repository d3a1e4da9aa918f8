package elevenlabs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/elevenlabs"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

var summaryKeys = map[string]string{
	"agent_id": "string", "conversation_id": "string", "start_time_unix_secs": "integer",
	"call_duration_secs": "integer", "message_count": "integer", "status": "string", "call_successful": "string",
}

var conversationKeys = map[string]string{
	"agent_id": "string", "conversation_id": "string", "status": "string", "metadata": "object",
	"transcript": "array", "has_audio": "bool", "has_user_audio": "bool", "has_response_audio": "bool",
	"has_auxiliary_audio": "bool",
}

// richConversation seeds a conversation with every kind of message, a
// summary and an analysis artifact, and audio tracks.
func (w *world) richConversation() *convstore.Conversation {
	w.TB.Helper()
	c := w.seed(w.TenantA, &convstore.ConversationCreate{
		AgentID: "agent_1", UserID: "user_1", Title: "Billing call",
		Metadata: convstore.Metadata{"elevenlabs.agent_name": "Support", "elevenlabs.main_language": "en"},
		Messages: []*convstore.MessageCreate{
			{Role: convstore.RoleSystem, Content: "You are a helpful agent."},
			{Role: convstore.RoleAssistant, Content: "Hello!", StartOffset: dur(0), EndOffset: dur(1200)},
			{Role: convstore.RoleUser, Content: "My bill is wrong.", StartOffset: dur(1900), EndOffset: dur(4200)},
			{Role: convstore.RoleTool, Content: `{"balance":12}`, StartOffset: dur(4300), EndOffset: dur(4400)},
			{Role: convstore.RoleAssistant, Parts: json.RawMessage(`[{"type":"image"}]`), StartOffset: dur(5000), EndOffset: dur(7900)},
		},
	})
	w.artifact(w.TenantA, c.ID, convstore.ArtifactSummary, "The caller disputed a bill.", "")
	w.artifact(w.TenantA, c.ID, convstore.ArtifactAnalysis, "", `{"call_successful":"success","call_summary_title":"Bill dispute",
		"evaluation_criteria_results":{"polite":{"result":"success","rationale":"kind"},"solved":{},"bad":3},
		"data_collection_results":{"amount":{"value":12}}}`)
	w.attach(w.TenantA, c.ID, "notes.txt", "text/plain", []byte("not audio"))
	w.attach(w.TenantA, c.ID, "user_audio.wav", "audio/wav", []byte("USER"))
	w.attach(w.TenantA, c.ID, "audio.mp3", "audio/mpeg", []byte("ID3-main-recording"))
	return c
}

func TestGetConversation(t *testing.T) {
	w := setup(t)
	c := w.richConversation()
	r := w.do("GET", "/v1/convai/conversations/"+cid(c))
	doortest.Expect(t, r, 200, "application/json")
	m := r.Map(t)
	keys(t, "conversation", m, conversationKeys)
	if m["conversation_id"] != cid(c) || m["agent_id"] != "agent_1" || m["user_id"] != "user_1" ||
		m["status"] != "done" || m["agent_name"] != "Support" {
		t.Fatalf("%v: wrong fields", r)
	}
	if m["has_audio"] != true || m["has_user_audio"] != true || m["has_response_audio"] != false || m["has_auxiliary_audio"] != false {
		t.Fatalf("%v: audio flags", r)
	}
	md := m["metadata"].(map[string]any)
	keys(t, "metadata", md, map[string]string{"start_time_unix_secs": "integer", "call_duration_secs": "integer"})
	if int64(md["start_time_unix_secs"].(float64)) != c.CreatedAt.Unix() || md["call_duration_secs"] != 7.0 || md["main_language"] != "en" {
		t.Fatalf("%v: metadata", r)
	}
	tr := m["transcript"].([]any)
	if len(tr) != 4 { // the system message is not shown
		t.Fatalf("%v: %d transcript entries", r, len(tr))
	}
	wantRoles := []string{"agent", "user", "agent", "agent"}
	wantTimes := []float64{0, 1, 4, 5}
	for i, e := range tr {
		turn := e.(map[string]any)
		keys(t, "transcript", turn, map[string]string{"role": "string", "time_in_call_secs": "integer",
			"tool_calls": "array", "tool_results": "array"})
		if turn["role"] != wantRoles[i] || turn["time_in_call_secs"] != wantTimes[i] {
			t.Fatalf("%v: turn %d = %v", r, i, turn)
		}
	}
	if tr[1].(map[string]any)["message"] != "My bill is wrong." || tr[3].(map[string]any)["message"] != nil {
		t.Fatalf("%v: messages", r)
	}
	an := m["analysis"].(map[string]any)
	keys(t, "analysis", an, map[string]string{"call_successful": "string", "transcript_summary": "string",
		"evaluation_criteria_results": "object", "data_collection_results": "object"})
	if an["call_successful"] != "success" || an["transcript_summary"] != "The caller disputed a bill." ||
		an["call_summary_title"] != "Bill dispute" {
		t.Fatalf("%v: analysis", r)
	}
	ev := an["evaluation_criteria_results"].(map[string]any)
	if len(ev) != 2 {
		t.Fatalf("%v: evaluation results %v", r, ev)
	}
	for k, v := range ev {
		keys(t, "evaluation "+k, v.(map[string]any), map[string]string{"criteria_id": "string", "result": "string", "rationale": "string"})
	}
	if s := ev["solved"].(map[string]any); s["criteria_id"] != "solved" || s["result"] != "unknown" {
		t.Fatalf("%v: filled evaluation %v", r, s)
	}
	dc := an["data_collection_results"].(map[string]any)["amount"].(map[string]any)
	keys(t, "data collection", dc, map[string]string{"data_collection_id": "string", "rationale": "string"})
	if dc["value"] != 12.0 {
		t.Fatalf("%v: data collection value", r)
	}

	// HEAD answers like GET without a body.
	h := w.do("HEAD", "/v1/convai/conversations/"+cid(c))
	if h.Status != 200 || len(h.Body) != 0 {
		t.Fatalf("%v: HEAD", h)
	}
	// format=json is fine, opentelemetry is not served.
	doortest.Expect(t, w.do("GET", "/v1/convai/conversations/"+cid(c)+"?format=json"), 200, "application/json")
	validation(t, w.do("GET", "/v1/convai/conversations/"+cid(c)+"?format=opentelemetry"), "format", "value_error")
	validation(t, w.do("GET", "/v1/convai/conversations/"+cid(c)+"?format=xml"), "format", "enum")
}

func TestGetConversationBare(t *testing.T) {
	w := setup(t)
	c := w.seed(w.TenantA, &convstore.ConversationCreate{})
	r := w.do("GET", "/v1/convai/conversations/"+cid(c))
	doortest.Expect(t, r, 200, "application/json")
	m := r.Map(t)
	keys(t, "conversation", m, conversationKeys)
	if v, ok := m["analysis"]; !ok || v != nil {
		t.Fatalf("%v: analysis should be null", r)
	}
	if _, ok := m["user_id"]; ok {
		t.Fatalf("%v: user_id should be absent", r)
	}
	if m["agent_id"] != "" || len(m["transcript"].([]any)) != 0 || m["has_audio"] != false {
		t.Fatalf("%v", r)
	}

	// An analysis artifact alone: summary from its data, unknown success
	// for a bad value, the title from the conversation.
	c2 := w.seed(w.TenantA, &convstore.ConversationCreate{Title: "T"})
	w.artifact(w.TenantA, c2.ID, convstore.ArtifactAnalysis, "", `{"call_successful":"maybe","transcript_summary":"S"}`)
	an := w.do("GET", "/v1/convai/conversations/"+cid(c2)).Map(t)["analysis"].(map[string]any)
	if an["call_successful"] != "unknown" || an["transcript_summary"] != "S" || an["call_summary_title"] != "T" {
		t.Fatalf("analysis %v", an)
	}
}

func TestListConversations(t *testing.T) {
	clock := &servicetest.Clock{}
	w := setupWith(t, service.Options{Now: clock.Now})
	rich := w.richConversation()
	clock.Advance(1100 * time.Millisecond) // distinct creation seconds for the time filters
	mid := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_2", UserID: "user_2",
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi", StartOffset: dur(500), EndOffset: dur(30500)}}})
	w.artifact(w.TenantA, mid.ID, convstore.ArtifactAnalysis, "", `{"call_successful":"failure"}`)
	newest := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_1"})
	w.seed(w.TenantB, &convstore.ConversationCreate{AgentID: "agent_1"}) // never listed for A

	list := func(query string) (ids []string, page map[string]any) {
		t.Helper()
		r := w.do("GET", "/v1/convai/conversations"+query)
		doortest.Expect(t, r, 200, "application/json")
		page = r.Map(t)
		keys(t, "page", page, map[string]string{"conversations": "array", "has_more": "bool"})
		nc, ok := page["next_cursor"]
		if !ok {
			t.Fatalf("%v: next_cursor missing", r)
		}
		if _, isStr := nc.(string); nc != nil && !isStr {
			t.Fatalf("%v: next_cursor %v", r, nc)
		}
		if (nc != nil) != page["has_more"].(bool) {
			t.Fatalf("%v: next_cursor and has_more disagree", r)
		}
		for _, c := range page["conversations"].([]any) {
			s := c.(map[string]any)
			keys(t, "summary", s, summaryKeys)
			ids = append(ids, s["conversation_id"].(string))
		}
		return ids, page
	}
	join := func(cs ...*convstore.Conversation) string {
		var s []string
		for _, c := range cs {
			s = append(s, cid(c))
		}
		return strings.Join(s, ",")
	}

	ids, page := list("")
	if strings.Join(ids, ",") != join(newest, mid, rich) {
		t.Fatalf("default order: %v", ids)
	}
	for _, c := range page["conversations"].([]any) {
		s := c.(map[string]any)
		switch s["conversation_id"] {
		case cid(rich):
			if s["call_successful"] != "success" || s["transcript_summary"] != "The caller disputed a bill." ||
				s["call_summary_title"] != "Bill dispute" || s["agent_name"] != "Support" ||
				s["message_count"] != 5.0 || s["call_duration_secs"] != 7.0 || s["status"] != "done" {
				t.Fatalf("rich summary %v", s)
			}
		case cid(mid):
			if s["call_successful"] != "failure" || s["call_duration_secs"] != 30.0 || s["agent_id"] != "agent_2" {
				t.Fatalf("mid summary %v", s)
			}
		case cid(newest):
			if s["call_successful"] != "unknown" || s["message_count"] != 0.0 {
				t.Fatalf("newest summary %v", s)
			}
			if _, ok := s["transcript_summary"]; ok {
				t.Fatalf("newest summary %v", s)
			}
		}
	}

	// Paging with the cursor, both directions.
	ids, page = list("?page_size=2")
	if strings.Join(ids, ",") != join(newest, mid) || page["has_more"] != true {
		t.Fatalf("page 1: %v %v", ids, page)
	}
	ids, page = list("?page_size=2&cursor=" + page["next_cursor"].(string))
	if strings.Join(ids, ",") != join(rich) || page["has_more"] != false {
		t.Fatalf("page 2: %v %v", ids, page)
	}
	if ids, _ = list("?sort_direction=asc&page_size=100"); strings.Join(ids, ",") != join(rich, mid, newest) {
		t.Fatalf("asc: %v", ids)
	}

	// Filters.
	for q, want := range map[string]string{
		"?agent_id=agent_1":                                     join(newest, rich),
		"?user_id=user_2":                                       join(mid),
		"?call_successful=success":                              join(rich),
		"?call_successful=unknown":                              join(newest),
		"?call_successful=failure&page_size=1":                  join(mid),
		"?call_duration_min_secs=10":                            join(mid),
		"?call_duration_max_secs=7":                             join(newest, rich),
		"?exclude_statuses=done":                                "",
		"?exclude_statuses=failed":                              join(newest, mid, rich),
		"?call_start_before_unix=" + itoa(mid.CreatedAt.Unix()): join(rich),
		"?call_start_after_unix=" + itoa(rich.CreatedAt.Unix()): join(newest, mid),
		"?data_collection_ids=x&undocumented=1":                 join(newest, mid, rich),
	} {
		if ids, _ := list(q); strings.Join(ids, ",") != want {
			t.Fatalf("%s: got %v, want %s", q, ids, want)
		}
	}
	// summary_mode=exclude drops transcript_summary.
	_, page = list("?summary_mode=exclude&call_successful=success")
	if _, ok := page["conversations"].([]any)[0].(map[string]any)["transcript_summary"]; ok {
		t.Fatalf("summary_mode=exclude: %v", page)
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestListValidation(t *testing.T) {
	w := setup(t)
	for q, want := range map[string][2]string{
		"?page_size=101":               {"page_size", "less_than_equal"},
		"?page_size=0":                 {"page_size", "greater_than_equal"},
		"?page_size=ten":               {"page_size", "int_parsing"},
		"?call_successful=maybe":       {"call_successful", "enum"},
		"?sort_direction=up":           {"sort_direction", "enum"},
		"?summary_mode=all":            {"summary_mode", "enum"},
		"?exclude_statuses=gone":       {"exclude_statuses", "enum"},
		"?call_start_after_unix=x":     {"call_start_after_unix", "int_parsing"},
		"?call_start_before_unix=1e99": {"call_start_before_unix", "int_parsing"},
		"?cursor=nope":                 {"cursor", "value_error"},
		"?search=refund":               {"search", "value_error"},
	} {
		validation(t, w.do("GET", "/v1/convai/conversations"+q), want[0], want[1])
	}
	// Every failure is listed at once.
	r := w.do("GET", "/v1/convai/conversations?page_size=500&call_successful=x")
	var body struct{ Detail []any }
	r.JSON(t, &body)
	if len(body.Detail) != 2 {
		t.Fatalf("%v: want two items", r)
	}
	// The exact pydantic-style item.
	r = w.do("GET", "/v1/convai/conversations?page_size=101")
	if trimmed(r) != `{"detail":[{"type":"less_than_equal","loc":["query","page_size"],"msg":"Input should be less than or equal to 100","input":"101","ctx":{"le":100}}]}` {
		t.Fatalf("%v", r)
	}
}

func TestDelete(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	c := w.richConversation()
	keep := w.seed(w.TenantA, &convstore.ConversationCreate{Title: "keep"})

	// Exactly what the JS SDK sends: no body, no Content-Type.
	req, _ := http.NewRequest("DELETE", w.own.URL+"/v1/convai/conversations/"+cid(c), nil)
	req.Header.Set("xi-api-key", w.Scoped[convstore.ScopeDelete])
	req.Header.Set("Accept", "*/*")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || strings.TrimSpace(buf.String()) != "null" {
		t.Fatalf("delete: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), buf.String())
	}

	// Gone through every route of the door.
	for _, p := range []string{"", "/audio"} {
		errorDetail(t, w.do("GET", "/v1/convai/conversations/"+cid(c)+p), 404, "conversation_not_found")
	}
	errorDetail(t, w.do("DELETE", "/v1/convai/conversations/"+cid(c)), 404, "conversation_not_found")
	ids, _ := json.Marshal(w.do("GET", "/v1/convai/conversations").Map(t)["conversations"])
	if strings.Contains(string(ids), cid(c)) || !strings.Contains(string(ids), cid(keep)) {
		t.Fatalf("list after delete: %s", ids)
	}

	// The receipt names this door and counts what went.
	dels, _, err := w.Store.FindDeletions(ctx, w.TenantA, convstore.DeletionFilter{ConversationID: c.ID})
	if err != nil || len(dels) != 1 {
		t.Fatalf("deletions %v %v", dels, err)
	}
	d := dels[0]
	if d.Door != elevenlabs.DoorName || d.Messages != 5 || d.Artifacts != 2 || d.Attachments != 3 ||
		d.AttachmentBytes != int64(len("not audio")+len("USER")+len("ID3-main-recording")) || d.RequestID == "" ||
		d.ActorKeyID.IsZero() {
		t.Fatalf("receipt %+v", d)
	}

	// Nothing left in the store: records and the audio bytes.
	if _, err := w.Store.FindConversationByID(ctx, w.TenantA, c.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("conversation: %v", err)
	}
	if _, _, err := w.Store.FindMessages(ctx, w.TenantA, c.ID, convstore.MessageFilter{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("messages: %v", err)
	}
	if _, _, err := w.Store.FindArtifacts(ctx, w.TenantA, c.ID, convstore.ArtifactFilter{}); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("artifacts: %v", err)
	}
	if atts, _, err := w.Store.FindAttachments(ctx, w.TenantA, c.ID, convstore.AttachmentFilter{}); convstore.ErrorCode(err) != convstore.ENOTFOUND || len(atts) != 0 {
		t.Fatalf("attachments: %v %v", atts, err)
	}
	for _, name := range []string{"audio.mp3", "user_audio.wav", "notes.txt"} {
		if _, body, err := w.Store.OpenAttachment(ctx, w.TenantA, c.ID, name); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			if body != nil {
				body.Close()
			}
			t.Fatalf("%s still opens: %v", name, err)
		}
	}
	// A body sent anyway is ignored.
	r := w.own.Do("DELETE", "/v1/convai/conversations/"+cid(keep), map[string]any{"x": 1}, "xi-api-key", w.KeyA)
	if r.Status != 200 || trimmed(r) != "null" {
		t.Fatalf("%v", r)
	}
}
