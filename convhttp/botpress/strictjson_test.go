package botpress_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/convhttp/doortest"
)

// TestStrictJSON: unknown members are ignored, but a repeated key or a
// case variant of a member the door reads, at any depth, and a null body
// are 400 InvalidPayload naming the key; a body that is not
// application/json is Botpress's 415 UnsupportedMediaType.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	e := setup(t)
	conv := e.createConversation(t, e.KeyA, "bot", nil)
	id := conv["id"].(string)
	refused := []struct{ method, path, body, names string }{
		{"POST", "/v1/chat/conversations", `{"channel":"a","channel":"b","tags":{}}`, "channel"},
		{"POST", "/v1/chat/conversations", `{"channel":"a","tags":{"t":"1","t":"2"}}`, "tags.t"},
		{"POST", "/v1/chat/conversations/get-or-create", `{"channel":"a","tags":{},"Channel":"b"}`, "Channel"},
		{"PUT", "/v1/chat/conversations/" + id, `{"tags":{"a":"1"},"TAGS":{"a":"2"}}`, "TAGS"},
		{"POST", "/v1/chat/messages", `{"conversationId":"` + id + `","userId":"u","type":"text","tags":{},"payload":{"text":"a","text":"b"}}`, "payload.text"},
		{"POST", "/v1/chat/messages", `{"conversationId":"` + id + `","userId":"u","UserId":"bot","type":"text","tags":{},"payload":{"text":"a"}}`, "UserId"},
		{"POST", "/v1/chat/users", `{"tags":{},"name":"a","name":"b"}`, "name"},
	}
	for _, tc := range refused {
		r := e.c.Do(tc.method, tc.path, tc.body, as(e.KeyA, "bot")...)
		wantError(t, r, 400, "InvalidPayload")
		if !strings.Contains(string(r.Body), tc.names) {
			t.Errorf("%s: message does not name %s: %s", tc.body, tc.names, r.Body)
		}
	}
	wantError(t, e.c.Do("POST", "/v1/chat/conversations", `null`, as(e.KeyA, "bot")...), 400, "InvalidPayload")
	for _, ct := range []string{"text/plain", ""} {
		r := e.c.Do("POST", "/v1/chat/conversations", `{"channel":"a","tags":{}}`, as(e.KeyA, "bot", "Content-Type", ct)...)
		wantError(t, r, 415, "UnsupportedMediaType")
	}
	// Nothing above was written; unknown members are still ignored.
	r := e.c.Do("GET", "/v1/chat/conversations", nil, as(e.KeyA, "bot")...)
	doortest.Expect(t, r, 200, "application/json")
	if n := len(r.Map(t)["conversations"].([]any)); n != 1 {
		t.Fatalf("%d conversations after refused bodies, want 1", n)
	}
	r = e.c.Do("GET", "/v1/chat/messages?conversationId="+id, nil, as(e.KeyA, "bot")...)
	if n := len(r.Map(t)["messages"].([]any)); n != 0 {
		t.Fatalf("%d messages after refused bodies, want 0", n)
	}
	r = e.c.Do("POST", "/v1/chat/conversations", `{"channel":"a","tags":{},"futureOption":{"x":1}}`, as(e.KeyA, "bot")...)
	doortest.Expect(t, r, 200, "application/json")
}
