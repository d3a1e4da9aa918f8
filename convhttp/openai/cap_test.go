package openai_test

import (
	"context"
	"strings"
	"testing"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/openai"
	"github.com/convstore/convstore/service"
)

// TestMessageCap: adding items past the per-conversation cap is a 400
// (not a 409, which the SDKs would retry) with code
// conversation_item_limit_reached naming the cap, on create and on add,
// with nothing stored.
func TestMessageCap(t *testing.T) {
	t.Parallel()
	de := doortest.NewWithOptions(t, service.Options{MaxConversationMessages: 3})
	e := &env{Env: de, c: de.Serve(func(s *convhttp.Server) { s.Mount("/", openai.New(s)) })}
	item := map[string]any{"role": "user", "content": "q"}
	capped := func(r *doortest.Response) {
		t.Helper()
		got := wantError(t, r, 400, "invalid_request_error", "conversation_item_limit_reached")
		if !strings.Contains(got["message"].(string), "at most 3 messages") {
			t.Fatalf("%v: the message does not name the cap", r)
		}
	}
	capped(e.c.Do("POST", "/v1/conversations", map[string]any{"items": []any{item, item, item, item}}, bearer(e.KeyA)...))
	conv := e.createConversation(t, item, item)
	capped(e.c.Do("POST", "/v1/conversations/"+conv+"/items", map[string]any{"items": []any{item, item}}, bearer(e.KeyA)...))
	c, err := e.Store.FindConversationByID(context.Background(), e.TenantA, nativeID(t, conv))
	if err != nil || c.MessageCount != 2 {
		t.Fatalf("after the refused add: %+v, %v", c, err)
	}
	doortest.Expect(t, e.c.Do("POST", "/v1/conversations/"+conv+"/items", map[string]any{"items": []any{item}}, bearer(e.KeyA)...), 200, "application/json")
}
