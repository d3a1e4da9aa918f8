package symbl_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

func TestProcessText(t *testing.T) {
	t.Parallel()
	f := setup(t)
	body := map[string]any{
		"name": "Business Meeting", "confidenceThreshold": 0.6, "detectPhrases": "true", "webhookUrl": "https://x",
		"trackers": []any{map[string]any{"name": "t"}}, "unknownOption": map[string]any{"a": 1},
		"messages": []any{
			map[string]any{
				"payload":  map[string]any{"content": "Hi Mike", "contentType": "text/plain"},
				"from":     map[string]any{"userId": "natalia@example.com", "name": "Natalia"},
				"duration": map[string]any{"startTime": "2020-07-21T16:02:19.01Z", "endTime": "2020-07-21T16:04:19.99Z"},
			},
			map[string]any{
				"payload":  map[string]any{"content": "Hey Natalia"},
				"from":     map[string]any{"userId": "natalia@example.com", "name": "Natalia"},
				"duration": map[string]any{"startTime": "2020-07-21T16:04:19.99Z", "endTime": "2020-07-21T16:04:20.99Z"},
			},
		},
	}
	r := f.do("POST", "/v1/process/text", f.env.KeyA, body)
	doortest.Expect(t, r, 201, "application/json")
	m := hasKeys(t, "create", r.Body, "conversationId", "jobId")
	cid, _ := m["conversationId"].(string)
	jid, _ := m["jobId"].(string)
	if _, ok := convstore.ParseUUID(jid); len(m) != 2 || !isDigits(cid) || !ok {
		t.Fatalf("create: %s", r.Body)
	}
	conv := f.conv(t, f.env.TenantA, cid)
	if conv.Title != "Business Meeting" || conv.UserID != "natalia@example.com" || conv.MessageCount != 2 ||
		conv.Metadata["symbl.baseTime"] != "2020-07-21T16:02:19.010Z" {
		t.Fatalf("conversation: %+v", conv)
	}
	msgs := f.messages(t, f.env.TenantA, conv.ID)
	if len(msgs) != 2 || msgs[0].ID.UUID() != jid {
		t.Fatalf("messages %d, job %s", len(msgs), jid)
	}
	m0, m1 := msgs[0], msgs[1]
	if m0.Role != convstore.RoleUser || m0.Content != "Hi Mike" || m0.AuthorName != "Natalia" ||
		m0.Metadata["symbl.userId"] != "natalia@example.com" || m0.Metadata["symbl.startTime"] != "2020-07-21T16:02:19.010Z" ||
		m0.Metadata["symbl.endTime"] != "2020-07-21T16:04:19.990Z" || m0.StartOffset == nil || *m0.StartOffset != 0 ||
		m0.EndOffset == nil || *m0.EndOffset != 120980*time.Millisecond || m1.StartOffset == nil || *m1.StartOffset != 120980*time.Millisecond {
		t.Fatalf("message: %+v", m0)
	}

	// Minimal body: no name, from or duration.
	cid2, _ := f.create(t, f.env.KeyA, textBody("just text"))
	if c := f.conv(t, f.env.TenantA, cid2); c.Title != "" || c.UserID != "" || len(c.Metadata) != 0 {
		t.Fatalf("minimal: %+v", c)
	}

	// Validation: 400, nothing stored.
	before, _ := f.env.Store.CountConversations(context.Background(), f.env.TenantA, convstore.ConversationFilter{})
	long := strings.Repeat("x", convstore.MaxTitleLen+1)
	for name, b := range map[string]any{
		"no messages":     map[string]any{"name": "x"},
		"null messages":   map[string]any{"messages": nil},
		"empty messages":  map[string]any{"messages": []any{}},
		"messages object": map[string]any{"messages": map[string]any{}},
		"null message":    map[string]any{"messages": []any{nil}},
		"no payload":      map[string]any{"messages": []any{map[string]any{}}},
		"no content":      map[string]any{"messages": []any{map[string]any{"payload": map[string]any{}}}},
		"empty content":   textBody(""),
		"content number":  map[string]any{"messages": []any{map[string]any{"payload": map[string]any{"content": 5}}}},
		"content type":    map[string]any{"messages": []any{map[string]any{"payload": map[string]any{"content": "a", "contentType": "text/html"}}}},
		"second bad":      textBody("ok", ""),
		"bad start":       map[string]any{"messages": []any{map[string]any{"payload": map[string]any{"content": "a"}, "duration": map[string]any{"startTime": "yesterday"}}}},
		"end before start": map[string]any{"messages": []any{map[string]any{"payload": map[string]any{"content": "a"},
			"duration": map[string]any{"startTime": "2020-07-21T16:04:19Z", "endTime": "2020-07-21T16:04:18Z"}}}},
		"name too long": map[string]any{"name": long, "messages": textBody("a")["messages"]},
		"name number":   map[string]any{"name": 5, "messages": textBody("a")["messages"]},
		"NUL content":   textBody("a\x00b"),
		"not json":      `{"messages":`,
		"array":         `[]`,
		"trailing":      `{"messages":[{"payload":{"content":"a"}}]} x`,
		"empty body":    ``,
	} {
		r := f.do("POST", "/v1/process/text", f.env.KeyA, b)
		t.Run(name, func(t *testing.T) { expectError(t, r, 400, "") })
	}
	tooMany := make([]string, convstore.MaxMessageBatch+1)
	for i := range tooMany {
		tooMany[i] = "m"
	}
	expectError(t, f.do("POST", "/v1/process/text", f.env.KeyA, textBody(tooMany...)), 400, `"messages" must contain at most 1000 items`)
	expectError(t, f.do("POST", "/v1/process/text", f.env.KeyA, map[string]any{}), 400, `"messages" is required`)
	if after, _ := f.env.Store.CountConversations(context.Background(), f.env.TenantA, convstore.ConversationFilter{}); after != before {
		t.Fatalf("invalid requests stored conversations: %d → %d", before, after)
	}

	// Auth and scope.
	expectError(t, f.do("POST", "/v1/process/text", "", textBody("a")), 401, msgUnauthorized)
	expectError(t, f.do("POST", "/v1/process/text", "csk_wrongwrongwrongwrongwrong", textBody("a")), 401, msgUnauthorized)
	expectError(t, f.do("POST", "/v1/process/text", f.env.Scoped[convstore.ScopeRead], textBody("a")), 403, "")
	doortest.Expect(t, f.do("POST", "/v1/process/text", f.env.Scoped[convstore.ScopeWrite], textBody("a")), 201, "application/json")
}

func TestAppendText(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cid, job1 := f.create(t, f.env.KeyA, map[string]any{"messages": []any{map[string]any{
		"payload": map[string]any{"content": "first"}, "duration": map[string]any{"startTime": "2021-01-01T10:00:00Z"}}}})
	r := f.do("PUT", "/v1/process/text/"+cid, f.env.KeyA, map[string]any{"name": "Renamed", "messages": []any{
		map[string]any{"payload": map[string]any{"content": "second"}, "from": map[string]any{"name": "Bob"},
			"duration": map[string]any{"startTime": "2021-01-01T10:00:05Z", "endTime": "2021-01-01T10:00:07Z"}},
		map[string]any{"payload": map[string]any{"content": "early"}, "duration": map[string]any{"startTime": "2020-01-01T10:00:00Z"}},
	}})
	doortest.Expect(t, r, 201, "application/json")
	m := hasKeys(t, "append", r.Body, "conversationId", "jobId")
	if len(m) != 2 || m["conversationId"] != cid || m["jobId"] == job1 {
		t.Fatalf("append: %s", r.Body)
	}
	conv := f.conv(t, f.env.TenantA, cid)
	msgs := f.messages(t, f.env.TenantA, conv.ID)
	if conv.Title != "Renamed" || len(msgs) != 3 || msgs[1].ID.UUID() != m["jobId"] || msgs[1].AuthorName != "Bob" ||
		msgs[1].StartOffset == nil || *msgs[1].StartOffset != 5*time.Second || *msgs[1].EndOffset != 7*time.Second ||
		msgs[2].StartOffset != nil || msgs[2].Metadata["symbl.startTime"] != "2020-01-01T10:00:00.000Z" {
		t.Fatalf("after append: %+v %+v", conv, msgs)
	}

	// Unknown, foreign and malformed ids answer the same 404.
	cidB, _ := f.create(t, f.env.KeyB, textBody("b"))
	unknown := f.do("PUT", "/v1/process/text/1234567890", f.env.KeyA, textBody("x"))
	expectError(t, unknown, 404, msgNotFound)
	for _, id := range []string{cidB, "0" + cid, "-" + cid, "abc", "99999999999999999999", "1.5"} {
		r := f.do("PUT", "/v1/process/text/"+id, f.env.KeyA, textBody("x"))
		if !bytes.Equal(r.Body, unknown.Body) || r.Status != 404 {
			t.Fatalf("%v, want %s", r, unknown.Body)
		}
	}
	if n := f.conv(t, f.env.TenantB, cidB).MessageCount; n != 1 {
		t.Fatalf("tenant B's conversation changed: %d messages", n)
	}
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, f.env.KeyA, map[string]any{"messages": []any{}}), 400, "")
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, f.env.KeyA, `nope`), 400, "")
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, "", textBody("x")), 401, msgUnauthorized)
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, "csk_wrongwrongwrongwrongwrong", textBody("x")), 401, msgUnauthorized)
	expectError(t, f.do("PUT", "/v1/process/text/"+cid, f.env.Scoped[convstore.ScopeRead], textBody("x")), 403, "")
}

func TestJob(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, job := f.create(t, f.env.KeyA, textBody("a"))
	r := f.do("GET", "/v1/job/"+job, f.env.Scoped[convstore.ScopeRead], nil)
	doortest.Expect(t, r, 200, "application/json")
	if string(r.Body) != fmt.Sprintf(`{"id":%q,"status":"completed"}`+"\n", job) {
		t.Fatalf("job: %s", r.Body)
	}
	doortest.Expect(t, f.do("GET", "/v1/job/"+strings.ToUpper(job), f.env.KeyA, nil), 200, "application/json")

	_, jobB := f.create(t, f.env.KeyB, textBody("b"))
	unknown := f.do("GET", "/v1/job/"+convstore.NewID().UUID(), f.env.KeyA, nil)
	expectError(t, unknown, 404, msgJobNotFound)
	for _, id := range []string{jobB, "not-a-uuid", "00000000-0000-0000-0000-000000000000", job + "0"} {
		if r := f.do("GET", "/v1/job/"+id, f.env.KeyA, nil); r.Status != 404 || !bytes.Equal(r.Body, unknown.Body) {
			t.Fatalf("%v, want %s", r, unknown.Body)
		}
	}
	expectError(t, f.do("GET", "/v1/job/"+job, "", nil), 401, msgUnauthorized)
	expectError(t, f.do("GET", "/v1/job/"+job, f.env.KeyB+"x", nil), 401, msgUnauthorized)
	expectError(t, f.do("GET", "/v1/job/"+job, f.env.Scoped[convstore.ScopeDelete], nil), 403, "")
}
