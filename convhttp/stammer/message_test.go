package stammer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

func TestMessage(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		r := f.do("POST", pathMessage, map[string]any{
			"chatbot_uuid": bot1, "query": "Hello there", "user_key": "user-1", "extra_sdk_field": true,
		}, f.KeyA, "Accept", "application/json")
		doortest.Expect(t, r, 200, "application/json")
		m := r.Map(t)
		keys(t, "message", m, "conversation_uuid", "chatbot_uuid", "user_key", "query", "answer", "new_conversation", "created_at")
		if m["chatbot_uuid"] != bot1 || m["user_key"] != "user-1" || m["query"] != "Hello there" ||
			m["answer"] != nil || m["new_conversation"] != true {
			t.Fatalf("%v", r)
		}
		if _, err := time.Parse(time.RFC3339Nano, m["created_at"].(string)); err != nil {
			t.Fatalf("created_at: %v", err)
		}
		uuid := m["conversation_uuid"].(string)
		conv, err := f.conversation(f.TenantA, uuid)
		if err != nil {
			t.Fatal(err)
		}
		if conv.ID.UUID() != uuid || conv.AgentID != bot1 || conv.UserID != "user-1" ||
			conv.ExternalID != "stammer:"+bot1+":user-1" || conv.Metadata["stammer.source_platform"] != "API" || conv.MessageCount != 1 {
			t.Fatalf("stored %+v", conv)
		}

		// The same chatbot and user_key (uuid in upper case) continue it.
		r = f.do("POST", pathMessage, map[string]any{
			"chatbot_uuid": strings.ToUpper(bot1), "query": "Second", "user_key": "user-1",
			"custom_base_system_prompt": "Be brief.",
		}, f.KeyA)
		doortest.Expect(t, r, 200, "application/json")
		m2 := r.Map(t)
		if m2["conversation_uuid"] != uuid || m2["new_conversation"] != false || m2["chatbot_uuid"] != bot1 {
			t.Fatalf("%v", r)
		}
		msgs, _, err := f.Store.FindMessages(ctx, f.TenantA, conv.ID, convstore.MessageFilter{})
		if err != nil || len(msgs) != 2 || msgs[0].Role != convstore.RoleUser || msgs[0].Content != "Hello there" ||
			msgs[1].Content != "Second" || string(msgs[1].Parts) != `{"stammer":{"custom_base_system_prompt":"Be brief."}}` {
			t.Fatalf("messages %v %v", msgs, err)
		}

		// Another user_key or chatbot is another conversation.
		if o := f.message(f.KeyA, bot1, "user-2", "hi"); o["conversation_uuid"] == uuid || o["new_conversation"] != true {
			t.Fatalf("%v", o)
		}
		if o := f.message(f.KeyA, bot2, "user-1", "hi"); o["conversation_uuid"] == uuid || o["new_conversation"] != true {
			t.Fatalf("%v", o)
		}
		// Tenant B's same chatbot and user_key is B's own conversation.
		if o := f.message(f.KeyB, bot1, "user-1", "hi"); o["conversation_uuid"] == uuid || o["new_conversation"] != true {
			t.Fatalf("%v", o)
		}
		// A query of 4999 characters is "under 5000".
		f.message(f.KeyA, bot1, "user-3", strings.Repeat("é", 4999))
	})
}

func TestMessageValidation(t *testing.T) {
	f := setupRoot(t)
	long := strings.Repeat("x", 5000)
	cases := []struct {
		name  string
		body  any
		field string // "" for a parse error
	}{
		{"missing chatbot_uuid", map[string]any{"query": "q", "user_key": "u"}, "chatbot_uuid"},
		{"null chatbot_uuid", map[string]any{"chatbot_uuid": nil, "query": "q", "user_key": "u"}, "chatbot_uuid"},
		{"bad chatbot_uuid", map[string]any{"chatbot_uuid": "610", "query": "q", "user_key": "u"}, "chatbot_uuid"},
		{"numeric chatbot_uuid", map[string]any{"chatbot_uuid": 610, "query": "q", "user_key": "u"}, "chatbot_uuid"},
		{"missing query", map[string]any{"chatbot_uuid": bot1, "user_key": "u"}, "query"},
		{"blank query", map[string]any{"chatbot_uuid": bot1, "query": "  ", "user_key": "u"}, "query"},
		{"long query", map[string]any{"chatbot_uuid": bot1, "query": long, "user_key": "u"}, "query"},
		{"query not a string", map[string]any{"chatbot_uuid": bot1, "query": []int{1}, "user_key": "u"}, "query"},
		{"missing user_key", map[string]any{"chatbot_uuid": bot1, "query": "q"}, "user_key"},
		{"empty user_key", map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": ""}, "user_key"},
		{"long user_key", map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": strings.Repeat("k", 212)}, "user_key"},
		{"NUL user_key", map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": "a\x00b"}, "user_key"},
		{"prompt not a string", map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": "u", "custom_base_system_prompt": 1}, "custom_base_system_prompt"},
		{"array body", `[]`, "non_field_errors"},
		{"not JSON", `{"chatbot_uuid":`, ""},
		{"trailing data", `{} {}`, ""},
		{"empty body", ` `, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do("POST", pathMessage, c.body, f.KeyA)
			if c.field == "" {
				expectError(t, r, 400, "parse_error")
			} else {
				expectField(t, r, c.field)
			}
		})
	}
	if n, err := f.Store.CountConversations(ctx, f.TenantA, convstore.ConversationFilter{}); err != nil || n != 0 {
		t.Fatalf("invalid requests wrote %d conversations (%v)", n, err)
	}
	// A 211-byte user_key is the longest accepted.
	f.message(f.KeyA, bot1, strings.Repeat("k", 211), "q")
}
