package inkeep

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
)

// The answers of this door were marshalled whole before they were
// streamed. The code below is that implementation (commit 06bfc9d), kept
// as the oracle: every streamed answer must be byte for byte what it
// wrote.

type wholeConversation struct {
	ID                          string          `json:"id"`
	Type                        string          `json:"type"`
	ExternalID                  *string         `json:"externalId"`
	ExternalURL                 *string         `json:"externalUrl"`
	SupportTicketConversationID *string         `json:"supportTicketConversationId"`
	CreatedAt                   string          `json:"createdAt"`
	UpdatedAt                   string          `json:"updatedAt"`
	ProjectID                   *string         `json:"projectId"`
	IntegrationID               *string         `json:"integrationId"`
	Properties                  json.RawMessage `json:"properties"`
	UserProperties              json.RawMessage `json:"userProperties"`
	Tags                        []string        `json:"tags"`
	Visibility                  *string         `json:"visibility"`
	Messages                    []Message       `json:"messages"`
	MessagesOpenAIFormat        []OpenAIMessage `json:"messagesOpenAIFormat"`
}

type wholeList struct {
	Conversations []wholeConversation `json:"conversations"`
	Total         int                 `json:"total"`
	PageSize      int                 `json:"pageSize"`
	Count         int                 `json:"count"`
}

type wholeFeedback struct {
	ID             string             `json:"id"`
	Type           string             `json:"type"`
	MessageID      string             `json:"messageId"`
	CreatedAt      string             `json:"createdAt"`
	UpdatedAt      string             `json:"updatedAt"`
	Reasons        []Reason           `json:"reasons"`
	Details        string             `json:"details"`
	Properties     json.RawMessage    `json:"properties"`
	UserProperties json.RawMessage    `json:"userProperties"`
	Sources        []Source           `json:"sources"`
	Conversation   *wholeConversation `json:"conversation,omitempty"`
	Message        *Message           `json:"message,omitempty"`
}

// wholeRender is the former load and render: every message read into
// memory, then the whole Conversation built.
func wholeRender(tb testing.TB, d *Door, t convstore.ID, c *convstore.Conversation) *wholeConversation {
	tb.Helper()
	ctx := context.Background()
	var messages []*convstore.Message
	f := convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderAsc}}
	for {
		page, more, err := d.store.FindMessages(ctx, t, c.ID, f)
		if err != nil {
			tb.Fatal(err)
		}
		messages = append(messages, page...)
		if !more || len(page) == 0 {
			break
		}
		f.After = page[len(page)-1].ID
	}
	v, err := d.load(ctx, t, c) // for the field artifact only
	if err != nil {
		tb.Fatal(err)
	}
	id := conversationID(c)
	out := &wholeConversation{
		ID:                          id,
		Type:                        typeOpenAI,
		ExternalID:                  metaPtr(c.Metadata, metaExternalID),
		ExternalURL:                 metaPtr(c.Metadata, metaExternalURL),
		SupportTicketConversationID: metaPtr(c.Metadata, metaSupportTicket),
		CreatedAt:                   isoTime(c.CreatedAt),
		UpdatedAt:                   isoTime(c.UpdatedAt),
		ProjectID:                   metaPtr(c.Metadata, metaProjectID),
		IntegrationID:               metaPtr(c.Metadata, metaIntegrationID),
		Visibility:                  metaPtr(c.Metadata, metaVisibility),
		Messages:                    make([]Message, 0, len(messages)),
		MessagesOpenAIFormat:        make([]OpenAIMessage, 0, len(messages)),
	}
	if s := metaPtr(c.Metadata, metaCreatedAt); s != nil {
		out.CreatedAt = *s
	}
	if s := metaPtr(c.Metadata, metaUpdatedAt); s != nil {
		out.UpdatedAt = *s
	}
	if v.extra != nil {
		out.Properties, out.UserProperties = v.extra.Properties, v.extra.UserProperties
		if v.extra.Tags != nil {
			out.Tags = *v.extra.Tags
		}
	}
	for _, m := range messages {
		var extra *messageExtra
		if v.extra != nil {
			extra = v.extra.Messages[m.ID.Format(convstore.PrefixMessage)]
		}
		msg := renderMessage(id, m, extra)
		out.Messages = append(out.Messages, msg)
		out.MessagesOpenAIFormat = append(out.MessagesOpenAIFormat, OpenAIMessage{
			Role: msg.Role, Name: msg.Name, Content: msg.Content, ToolCalls: msg.ToolCalls,
		})
	}
	return out
}

// marshalled is what WriteJSON wrote for v.
func marshalled(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b) + "\n"
}

// sameBody fails the test unless the streamed answer is the marshalled one.
func sameBody(tb testing.TB, r *doortest.Response, want string) {
	tb.Helper()
	if r.Status != http.StatusOK {
		tb.Fatalf("%v", r)
	}
	if got := string(r.Body); got != want {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		tb.Fatalf("%s %s: %d bytes streamed, %d marshalled; first difference at byte %d:\nstreamed:   %.200q\nmarshalled: %.200q",
			r.Method, r.Path, len(got), len(want), i, got[i:], want[i:])
	}
}

// bigLog is a logged conversation of n messages using every rendering
// feature: string and item contents, names, client ids and times, links,
// tool calls and per-message properties, and characters JSON escapes.
func bigLog(id string, n int) map[string]any {
	msgs := make([]any, n)
	for i := range msgs {
		m := map[string]any{"id": fmt.Sprintf("c%d", i), "role": []string{"user", "assistant", "system"}[i%3],
			"content": fmt.Sprintf("message %d <b>&</b> \"quoted\" é \u2028 %s", i, strings.Repeat("·", i%17))}
		switch i % 5 {
		case 1:
			m["name"] = "agent <" + fmt.Sprint(i) + ">"
			m["links"] = []any{map[string]any{"url": "https://example.com/" + fmt.Sprint(i), "label": "doc", "breadcrumbs": []string{"a", "b"}}}
		case 2:
			m["content"] = []any{map[string]any{"type": "text", "text": fmt.Sprint("part ", i)},
				map[string]any{"type": "image_url", "image_url": map[string]any{"url": "https://example.com/i.png", "detail": "low"}}}
			m["externalId"], m["createdAt"] = fmt.Sprint("ext-", i), "2024-01-31T11:00:00Z"
		case 3:
			m["role"] = "assistant"
			m["tool_calls"] = []any{map[string]any{"id": "call" + fmt.Sprint(i), "type": "function", "function": map[string]any{"name": "f", "arguments": `{"x":1}`}}}
			m["properties"] = map[string]any{"i": i}
		}
		msgs[i] = m
	}
	return map[string]any{"id": id, "type": "openai", "externalId": "ext", "projectId": "p", "visibility": "private",
		"properties": map[string]any{"k": "v<>"}, "userProperties": map[string]any{"userId": "u1"}, "tags": []string{"t1", "t&2"},
		"messages": msgs}
}

// TestStreamedBodiesAsMarshalled compares every streamed answer of this
// door, on conversations of several store pages, with the former whole
// rendering.
func TestStreamedBodiesAsMarshalled(t *testing.T) {
	t.Parallel()
	e := doortest.New(t)
	var d *Door
	c := e.Serve(func(s *convhttp.Server) { d = New(s); s.Mount("/", d) })
	auth := []string{"Authorization", "Bearer " + e.KeyA}
	ctx := context.Background()

	// 250 messages through the door, then 20 of another door (tool roles,
	// parts that are not OpenAI items): 270, three store pages.
	r := c.Do("POST", "/conversations", bigLog("big", 250), auth...)
	if r.Status != 200 {
		t.Fatalf("%v", r)
	}
	big, err := d.resolve(ctx, e.TenantA, "big")
	if err != nil {
		t.Fatal(err)
	}
	var native []*convstore.MessageCreate
	for i := range 20 {
		native = append(native, &convstore.MessageCreate{Role: convstore.RoleTool, Content: fmt.Sprint("tool ", i), Parts: json.RawMessage(`{"x":[1,2]}`), AuthorName: "n"})
	}
	if _, err := e.Store.CreateMessages(ctx, e.TenantA, big.ID, native); err != nil {
		t.Fatal(err)
	}
	small := c.Do("POST", "/conversations", bigLog("small", 3), auth...)
	empty, _, err := e.Store.CreateConversation(ctx, e.TenantA, &convstore.ConversationCreate{Title: "empty"})
	if err != nil || small.Status != 200 {
		t.Fatalf("%v %v", small, err)
	}
	conv := func(id string) *convstore.Conversation {
		c, err := d.resolve(ctx, e.TenantA, id)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	for _, id := range []string{"big", "small", empty.ID.Format(convstore.PrefixConversation)} {
		sameBody(t, c.Do("GET", "/conversations/"+id, nil, auth...), marshalled(t, wholeRender(t, d, e.TenantA, conv(id))))
	}

	// The upsert answers with the whole conversation too.
	again := bigLog("big", 251)
	r = c.Do("POST", "/conversations", again, auth...)
	sameBody(t, r, marshalled(t, wholeRender(t, d, e.TenantA, conv("big"))))

	// The list: newest first, with limit and offset.
	for _, q := range []string{"", "?limit=2", "?limit=2&offset=1", "?limit=0"} {
		limit, offset := 20, 0
		fmt.Sscanf(strings.NewReplacer("?limit=", "", "&offset=", " ").Replace(q), "%d %d", &limit, &offset)
		convs, _, err := e.Store.FindConversations(ctx, e.TenantA, convstore.ConversationFilter{Offset: offset,
			PageFilter: convstore.PageFilter{Limit: max(limit, 1), Order: convstore.OrderDesc}})
		if err != nil {
			t.Fatal(err)
		}
		want := wholeList{Conversations: []wholeConversation{}, Total: 3, PageSize: limit}
		for _, cv := range convs[:min(limit, len(convs))] {
			want.Conversations = append(want.Conversations, *wholeRender(t, d, e.TenantA, cv))
		}
		want.Count = len(want.Conversations)
		sameBody(t, c.Do("GET", "/conversations"+q, nil, auth...), marshalled(t, want))
	}

	// Feedback embeds the conversation and its message.
	all := wholeRender(t, d, e.TenantA, conv("big"))
	if len(all.Messages) != 271 {
		t.Fatalf("%d messages, want 271", len(all.Messages))
	}
	target := all.Messages[150]
	r = c.Do("POST", "/feedback", map[string]any{"type": "positive", "messageId": target.ID, "details": "<fine>"}, auth...)
	var fb Feedback
	r.JSON(t, &fb)
	a, err := e.Store.FindArtifactByID(ctx, e.TenantA, big.ID, mustID(t, convstore.PrefixArtifact, fb.ID))
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := feedbackData(a)
	f := renderFeedback(a, stored)
	want := wholeFeedback{ID: f.ID, Type: f.Type, MessageID: f.MessageID, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt, Reasons: f.Reasons,
		Details: f.Details, Properties: f.Properties, UserProperties: f.UserProperties, Sources: f.Sources,
		Conversation: wholeRender(t, d, e.TenantA, conv("big")), Message: &target}
	sameBody(t, c.Do("GET", "/feedback/"+fb.ID, nil, auth...), marshalled(t, want))
}

func mustID(tb testing.TB, prefix, s string) convstore.ID {
	tb.Helper()
	id, err := convstore.ParseID(prefix, "id", s)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}
