package elevenlabs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
)

// wholeConversation and wholeGet are the former GET …/conversations/{id}
// (commit 06bfc9d), which read every message and marshalled the whole
// answer: the oracle the streamed answer must equal byte for byte.
type wholeConversation struct {
	AgentID           string        `json:"agent_id"`
	AgentName         *string       `json:"agent_name,omitempty"`
	ConversationID    string        `json:"conversation_id"`
	Status            string        `json:"status"`
	UserID            *string       `json:"user_id,omitempty"`
	TagIDs            []string      `json:"tag_ids"`
	Transcript        []transcript  `json:"transcript"`
	Metadata          callMetadata  `json:"metadata"`
	Analysis          *callAnalysis `json:"analysis"`
	HasAudio          bool          `json:"has_audio"`
	HasUserAudio      bool          `json:"has_user_audio"`
	HasResponseAudio  bool          `json:"has_response_audio"`
	HasAuxiliaryAudio bool          `json:"has_auxiliary_audio"`
}

func wholeGet(tb testing.TB, d *Door, tid convstore.ID, c *convstore.Conversation) string {
	tb.Helper()
	ctx := context.Background()
	out := wholeConversation{
		AgentID:        c.AgentID,
		AgentName:      metaString(c.Metadata, metaAgentName),
		ConversationID: c.ID.Format(convstore.PrefixConversation),
		Status:         statusDone,
		Transcript:     []transcript{},
		Metadata: callMetadata{
			StartTimeUnixSecs: c.CreatedAt.Unix(),
			MainLanguage:      metaString(c.Metadata, metaMainLanguage),
			TerminationReason: metaString(c.Metadata, metaTerminationReason),
		},
	}
	if c.UserID != "" {
		u := c.UserID
		out.UserID = &u
	}
	tags, err := d.tagIDsOf(ctx, tid, []convstore.ID{c.ID})
	if err != nil {
		tb.Fatal(err)
	}
	out.TagIDs = tagList(tags[c.ID])
	f := convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderAsc}}
	var last *convstore.Message
	for {
		msgs, more, err := d.store.FindMessages(ctx, tid, c.ID, f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range msgs {
			last = m
			if m.Role == convstore.RoleSystem {
				continue
			}
			t := transcript{Role: roleAgent, ToolCalls: []jsonRaw{}, ToolResults: []jsonRaw{}}
			if m.Role == convstore.RoleUser {
				t.Role = roleUser
			}
			if m.Content != "" {
				s := m.Content
				t.Message = &s
			}
			if m.StartOffset != nil {
				t.TimeInCallSecs = seconds(*m.StartOffset)
			}
			out.Transcript = append(out.Transcript, t)
		}
		if !more || len(msgs) == 0 {
			break
		}
		f.After = msgs[len(msgs)-1].ID
	}
	out.Metadata.CallDurationSecs = callDuration(c, last)
	if out.Analysis, err = d.loadAnalysis(ctx, tid, c); err != nil {
		tb.Fatal(err)
	}
	if out.Metadata.Feedback, err = d.loadFeedback(ctx, tid, c.ID); err != nil {
		tb.Fatal(err)
	}
	audio, err := d.audioAttachments(ctx, tid, c.ID)
	if err != nil {
		tb.Fatal(err)
	}
	out.HasAudio, out.HasUserAudio = audio.main != nil, audio.user
	out.HasResponseAudio, out.HasAuxiliaryAudio = audio.response, audio.auxiliary
	b, err := json.Marshal(out)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b) + "\n"
}

// TestStreamedGetAsMarshalled compares the streamed GET of conversations
// of several store pages (and of none) with the former whole answer.
func TestStreamedGetAsMarshalled(t *testing.T) {
	t.Parallel()
	e := doortest.New(t)
	var d *Door
	c := e.Serve(func(s *convhttp.Server) { d = New(s); s.Mount("/", d) })
	ctx := context.Background()
	roles := []convstore.Role{convstore.RoleSystem, convstore.RoleAssistant, convstore.RoleUser, convstore.RoleTool}
	var batch []*convstore.MessageCreate
	for i := range 270 {
		m := &convstore.MessageCreate{Role: roles[i%4], Content: fmt.Sprintf("turn %d <&> \"é\" \u2028", i)}
		if i%6 == 5 {
			m.Content, m.Parts = "", json.RawMessage(`[{"type":"image"}]`)
		}
		if i%3 != 0 {
			start, end := time.Duration(i)*1500*time.Millisecond, time.Duration(i)*1500*time.Millisecond+900*time.Millisecond
			m.StartOffset, m.EndOffset = &start, &end
		}
		batch = append(batch, m)
	}
	full, _, err := e.Store.CreateConversation(ctx, e.TenantA, &convstore.ConversationCreate{AgentID: "agent<1>", UserID: "user&1", Title: "Long call",
		Metadata: convstore.Metadata{metaAgentName: "Support", metaMainLanguage: "en", metaTerminationReason: "done"}, Messages: batch})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*convstore.ArtifactCreate{
		{Type: convstore.ArtifactSummary, Text: "A <long> call."},
		{Type: convstore.ArtifactAnalysis, Data: json.RawMessage(`{"call_successful":"success","evaluation_criteria_results":{"a":{"result":"x"}},"data_collection_results":{"n":{"value":1}}}`)},
	} {
		if _, err := e.Store.CreateArtifact(ctx, e.TenantA, full.ID, a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Store.PutAttachment(ctx, e.TenantA, full.ID, &convstore.AttachmentPut{Name: "audio.mp3", ContentType: "audio/mpeg", Body: bytes.NewReader([]byte("ID3"))}); err != nil {
		t.Fatal(err)
	}
	bare, _, err := e.Store.CreateConversation(ctx, e.TenantA, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}
	for _, conv := range []*convstore.Conversation{full, bare} {
		conv, err := e.Store.FindConversationByID(ctx, e.TenantA, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		r := c.Do("GET", "/v1/convai/conversations/"+conv.ID.Format(convstore.PrefixConversation), nil, "xi-api-key", e.KeyA)
		if want := wholeGet(t, d, e.TenantA, conv); r.Status != 200 || string(r.Body) != want {
			t.Fatalf("%v\nwant %s", r, want)
		}
	}
}
