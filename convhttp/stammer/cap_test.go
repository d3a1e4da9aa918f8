package stammer_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/stammer"
	"github.com/convstore/convstore/service"
)

// TestMessageCap checks the answer to a query sent to a conversation that
// holds the per-conversation cap of messages: 409 conflict on field
// "messages", naming the cap, with nothing stored.
func TestMessageCap(t *testing.T) {
	t.Parallel()
	e := doortest.NewWithOptions(t, service.Options{MaxConversationMessages: 3})
	f := &fixture{Env: e, c: e.Serve(func(s *convhttp.Server) { s.Mount("/", stammer.New(s)) })}
	var uuid string
	for i := range 3 {
		uuid = f.message(e.KeyA, bot1, "user-1", "question "+string(rune('a'+i)))["conversation_uuid"].(string)
	}
	r := f.do("POST", pathMessage, map[string]any{"chatbot_uuid": bot1, "query": "one too many", "user_key": "user-1"}, e.KeyA)
	m := expectError(t, r, 409, "conflict")
	if m["field"] != "messages" || !strings.Contains(m["detail"].(string), "at most 3 messages") {
		t.Fatalf("%v: want the cap's conflict on messages", r)
	}
	if c, err := f.conversation(e.TenantA, uuid); err != nil || c.MessageCount != 3 {
		t.Fatalf("after the refused query: %+v, %v; want 3 messages", c, err)
	}
}
