package elevenlabs_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// TestOfficialSDK runs testdata/sdk/conversations.mjs: every conversation
// method of @elevenlabs/elevenlabs-js (list, get, audio.get,
// feedback.create, getSummary, getSipMessages, files.create, files.delete,
// messages.textSearch, delete) against the door by base URL alone,
// with the SDK's typed errors, and the methods convstore cannot serve
// (getSignedUrl, getWebrtcToken, resolve, messages.search, analysis.*,
// topics.get) raising the SDK's ElevenLabsError 501 with the
// door's message. The store is then checked: the feedback the
// SDK left is one artifact, the deleted conversation left no row.
func TestOfficialSDK(t *testing.T) {
	dir := doortest.NodeSDK(t, "testdata/sdk")
	w := setup(t)
	ctx := context.Background()
	full := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_support", UserID: "u1", Title: "Billing call",
		Messages: []*convstore.MessageCreate{
			{Role: convstore.RoleSystem, Content: "You are a support agent."},
			{Role: convstore.RoleAssistant, Content: "Hi!", StartOffset: dur(0), EndOffset: dur(1200)},
			{Role: convstore.RoleUser, Content: "My bill is wrong.", StartOffset: dur(1500), EndOffset: dur(4200)},
			{Role: convstore.RoleAssistant, Parts: json.RawMessage(`[{"type":"tool_call","name":"refund"}]`), StartOffset: dur(4500)},
			{Role: convstore.RoleTool, Content: "refund issued", StartOffset: dur(5000)},
			{Role: convstore.RoleAssistant, Content: "Fixed it.", StartOffset: dur(6000), EndOffset: dur(7000)},
		}})
	w.artifact(w.TenantA, full.ID, convstore.ArtifactSummary, "The caller asked about a bill.", "")
	w.artifact(w.TenantA, full.ID, convstore.ArtifactAnalysis, "", `{"call_successful":"success","call_summary_title":"Bill question"}`)
	const audio = "ID3 fake mp3 bytes"
	w.attach(w.TenantA, full.ID, "audio.mp3", "audio/mpeg", []byte(audio))
	plain := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_other",
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hello"}, {Role: convstore.RoleAssistant, Content: "hi"}}})
	foreign := w.seed(w.TenantB, &convstore.ConversationCreate{AgentID: "agent_support",
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "tenant b"}}})

	out := doortest.RunNode(t, dir, "conversations.mjs", map[string]string{
		"BASE_URL": w.main.URL + compat, "API_KEY": w.KeyA, "READ_KEY": w.Scoped[convstore.ScopeRead],
		"CONV_FULL": cid(full), "CONV_PLAIN": cid(plain), "CONV_FOREIGN": cid(foreign), "AUDIO": audio,
	})
	var got struct {
		List struct {
			IDs          []string `json:"ids"`
			MessageCount int      `json:"messageCount"`
		} `json:"list"`
		Feedback struct{ Full string } `json:"feedback"`
		Summary  struct {
			MessageCount int  `json:"messageCount"`
			Omitted      bool `json:"omitted"`
		} `json:"summary"`
		Errors struct {
			Missing, Foreign             []string
			BadKey                       string `json:"badKey"`
			ReaderFeedback, ReaderDelete string
		} `json:"errors"`
		Files struct {
			Removed, Kept string
		} `json:"files"`
		Deleted     string `json:"deleted"`
		SIPMessages *int   `json:"sipMessages"`
		Search      struct {
			Bill string `json:"bill"`
			Hi   int    `json:"hi"`
		} `json:"search"`
		Unserved map[string]string `json:"unserved"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	if len(got.List.IDs) != 2 || got.List.MessageCount != 6 || got.Feedback.Full != "dislike" ||
		got.Summary.MessageCount != 3 || !got.Summary.Omitted || got.Deleted != cid(plain) ||
		got.SIPMessages == nil || *got.SIPMessages != 0 || got.Search.Bill != cid(full) || got.Search.Hi != 2 ||
		len(got.Unserved) != 7 || !strings.Contains(got.Unserved["getWebrtcToken"], "WebRTC token") {
		t.Fatalf("findings %s", out)
	}
	for _, statuses := range [][]string{got.Errors.Missing, got.Errors.Foreign} {
		want := []string{"conversation_not_found", "conversation_not_found", "conversation_not_found",
			"conversation_not_found", "conversation_not_found", "conversation_not_found", "conversation_not_found",
			"file_not_found"}
		if len(statuses) != len(want) {
			t.Fatalf("errors %s", out)
		}
		for i := range want {
			if statuses[i] != want[i] {
				t.Fatalf("errors %s", out)
			}
		}
	}
	if got.Errors.BadKey != "invalid_api_key" || got.Errors.ReaderFeedback != "missing_permissions" || got.Errors.ReaderDelete != "missing_permissions" {
		t.Fatalf("auth errors %s", out)
	}

	// The store: full keeps exactly one ElevenLabs feedback artifact (the
	// like was replaced), with score -1; tenant B's conversation is
	// untouched; plain is gone with every row that referred to it.
	arts, _, err := w.Store.FindArtifacts(ctx, w.TenantA, full.ID, convstore.ArtifactFilter{Type: convstore.ArtifactOther})
	if err != nil || len(arts) != 1 || arts[0].Text != "dislike" || arts[0].Score == nil || *arts[0].Score != -1 ||
		string(arts[0].Data) != `{"elevenlabs_feedback":{"score":"dislike"}}` {
		t.Fatalf("feedback artifacts %+v (%v)", arts, err)
	}
	if other, _, err := w.Store.FindArtifacts(ctx, w.TenantB, foreign.ID, convstore.ArtifactFilter{}); err != nil || len(other) != 0 {
		t.Fatalf("tenant B artifacts %+v (%v)", other, err)
	}
	if _, err := w.Store.FindConversationByID(ctx, w.TenantA, plain.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("deleted conversation: %v", err)
	}
	for table, n := range w.ConversationRows(plain.ID) {
		if n != 0 {
			t.Fatalf("%d rows of the deleted conversation left in %s", n, table)
		}
	}
	// The kept upload is an attachment of full with its bytes, sniffed as a
	// PDF; the removed one is gone.
	if a, err := w.Store.FindAttachmentByName(ctx, w.TenantA, full.ID, "elevenlabs_"+got.Files.Kept); err != nil ||
		a.ContentType != "application/pdf" || a.Size != int64(len("%PDF-1.4 a tiny pdf")) {
		t.Fatalf("kept file %q: %+v (%v)", got.Files.Kept, a, err)
	}
	if _, err := w.Store.FindAttachmentByName(ctx, w.TenantA, full.ID, "elevenlabs_"+got.Files.Removed); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("removed file %q: %v", got.Files.Removed, err)
	}

	// Cross-check through the native API: the feedback is an ordinary
	// artifact of the conversation there, and the receipt names the door.
	r := w.main.Do("GET", "/v1/conversations/"+cid(full)+"/artifacts?type=other", nil, "Authorization", "Bearer "+w.KeyA)
	doortest.Expect(t, r, 200, "application/json")
	if got := doortest.Raw(t, r.Body, "data", "0", "data"); got != `{"elevenlabs_feedback":{"score":"dislike"}}` ||
		doortest.Raw(t, r.Body, "data", "1") != "" {
		t.Fatalf("native artifacts %s", r.Body)
	}
	r = w.main.Do("GET", "/v1/deletions?conversation_id="+cid(plain), nil, "Authorization", "Bearer "+w.KeyA)
	doortest.Expect(t, r, 200, "application/json")
	if door := doortest.Raw(t, r.Body, "data", "0", "door"); door != `"elevenlabs"` {
		t.Fatalf("receipt %s", r.Body)
	}
}
