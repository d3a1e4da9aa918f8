package botpress_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/botpress"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/service"
)

// TestMessageCap checks the answer to a message sent to a conversation
// that holds the per-conversation cap: Botpress's 413 LimitExceeded (its
// type for a hard limit, which the SDK raises as LimitExceededError), not
// the AlreadyExists of other conflicts, with nothing stored.
func TestMessageCap(t *testing.T) {
	t.Parallel()
	de := doortest.NewWithOptions(t, service.Options{MaxConversationMessages: 3})
	e := &env{Env: de, c: de.Serve(func(s *convhttp.Server) { s.Mount("/", botpress.New(s)) })}
	conv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	for _, text := range []string{"a", "b", "c"} {
		e.createMessage(t, e.KeyA, bot, conv, "u1", text)
	}
	r := e.c.Do("POST", "/v1/chat/messages", map[string]any{
		"conversationId": conv, "userId": "u1", "type": "text", "tags": map[string]string{}, "payload": map[string]any{"text": "d"},
	}, as(e.KeyA, bot)...)
	wantError(t, r, 413, "LimitExceeded")
	if msg := r.Map(t)["message"].(string); !strings.Contains(msg, "at most 3 messages") {
		t.Fatalf("%v: the message does not name the cap", r)
	}
	list := e.c.Do("GET", "/v1/chat/messages?conversationId="+conv, nil, as(e.KeyA, bot)...)
	if n := len(list.Map(t)["messages"].([]any)); n != 3 {
		t.Fatalf("%d messages, want the 3 the cap allows", n)
	}
}
