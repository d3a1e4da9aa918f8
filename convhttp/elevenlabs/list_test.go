package elevenlabs_test

import (
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// The list finds a conversation's newest summary and analysis behind
// newer artifacts of other types (read in a second batch), as the
// conversation's own answer does.
func TestListAnalysisBehindOtherArtifacts(t *testing.T) {
	w := setup(t)
	hidden := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_1"})
	w.artifact(w.TenantA, hidden.ID, convstore.ArtifactSummary, "old summary", "")
	w.artifact(w.TenantA, hidden.ID, convstore.ArtifactSummary, "newest summary", "")
	w.artifact(w.TenantA, hidden.ID, convstore.ArtifactAnalysis, "", `{"call_successful":"failure"}`)
	for range 6 {
		w.artifact(w.TenantA, hidden.ID, convstore.ArtifactTopic, "topic", "")
	}
	plain := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_1"})
	w.artifact(w.TenantA, plain.ID, convstore.ArtifactSummary, "plain summary", "")

	r := w.do("GET", "/v1/convai/conversations")
	doortest.Expect(t, r, 200, "application/json")
	got := map[string]map[string]any{}
	for _, c := range r.Map(t)["conversations"].([]any) {
		s := c.(map[string]any)
		got[s["conversation_id"].(string)] = s
	}
	if s := got[cid(hidden)]; s["transcript_summary"] != "newest summary" || s["call_successful"] != "failure" {
		t.Errorf("behind other artifacts: %v", s)
	}
	if s := got[cid(plain)]; s["transcript_summary"] != "plain summary" || s["call_successful"] != "unknown" {
		t.Errorf("plain: %v", s)
	}
	one := w.do("GET", "/v1/convai/conversations/"+cid(hidden)).Map(t)["analysis"].(map[string]any)
	if one["transcript_summary"] != "newest summary" || one["call_successful"] != "failure" {
		t.Errorf("the conversation's own analysis: %v", one)
	}
}
