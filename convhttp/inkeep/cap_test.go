package inkeep_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/inkeep"
	"github.com/convstore/convstore/service"
)

// TestMessageCap checks the answers to a log whose messages would pass the
// per-conversation cap, on create and on upsert: a 409 conflict problem
// naming the cap, with nothing stored.
func TestMessageCap(t *testing.T) {
	t.Parallel()
	de := doortest.NewWithOptions(t, service.Options{MaxConversationMessages: 3})
	e := &env{Env: de, c: de.Serve(func(s *convhttp.Server) { s.Mount("/", inkeep.New(s)) })}
	log := func(id string, n int) map[string]any {
		var msgs []any
		for i := range n {
			msgs = append(msgs, map[string]any{"role": "user", "content": "q" + string(rune('a'+i))})
		}
		return map[string]any{"id": id, "type": "openai", "messages": msgs}
	}
	capped := func(r *doortest.Response) {
		t.Helper()
		p := problem(t, r, 409, "conflict")
		if !strings.Contains(p["detail"].(string), "at most 3 messages") {
			t.Fatalf("%v: the detail does not name the cap", r)
		}
	}
	capped(e.c.Do("POST", "/conversations", log("new", 4), bearer(e.KeyA)...))
	problem(t, e.c.Do("GET", "/conversations/new", nil, bearer(e.KeyA)...), 404, "not_found")

	e.must(t, "POST", "/conversations", log("c1", 2))
	capped(e.c.Do("POST", "/conversations", log("c1", 4), bearer(e.KeyA)...))
	if got := msgs(e.must(t, "GET", "/conversations/c1", nil)); len(got) != 2 {
		t.Fatalf("%d messages after the refused upsert, want 2", len(got))
	}
	if got := msgs(e.must(t, "POST", "/conversations", log("c1", 3))); len(got) != 3 {
		t.Fatalf("%d messages, want the 3 the cap allows", len(got))
	}
}
