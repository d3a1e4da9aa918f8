package v1_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/service"
)

// TestMessageCap checks the answer to messages past the per-conversation
// cap: a 409 conflict problem on field "messages" naming the cap, with
// nothing stored.
func TestMessageCap(t *testing.T) {
	t.Parallel()
	e := doortest.NewWithOptions(t, service.Options{MaxConversationMessages: 3})
	c := e.Serve(func(s *convhttp.Server) { s.Mount("/", v1.New(s)) })
	auth := []string{"Authorization", "Bearer " + e.KeyA}
	msgs := func(n int) map[string]any {
		var m []map[string]any
		for range n {
			m = append(m, map[string]any{"role": "user", "content": "hi"})
		}
		return map[string]any{"messages": m}
	}
	capped := func(r *doortest.Response) {
		t.Helper()
		doortest.Expect(t, r, 409, "application/problem+json")
		p := r.Map(t)
		if p["code"] != "conflict" || p["field"] != "messages" || !strings.Contains(p["detail"].(string), "at most 3 messages") {
			t.Fatalf("%v: want the cap's conflict on messages", r)
		}
	}
	capped(c.Do("POST", "/v1/conversations", msgs(4), auth...))
	r := c.Do("POST", "/v1/conversations", msgs(2), auth...)
	doortest.Expect(t, r, 201, "application/json")
	path := "/v1/conversations/" + r.Map(t)["id"].(string) + "/messages"
	capped(c.Do("POST", path, msgs(2), auth...))
	doortest.Expect(t, c.Do("POST", path, msgs(1), auth...), 201, "application/json")
	capped(c.Do("POST", path, msgs(1), auth...))
	if r := c.Do("GET", path, nil, auth...); len(r.Map(t)["data"].([]any)) != 3 {
		t.Fatalf("%v: want the 3 messages the cap allows", r)
	}
	if n, err := e.Store.CountConversations(t.Context(), e.TenantA, convstore.ConversationFilter{}); err != nil || n != 1 {
		t.Fatalf("%d conversations, %v: the refused create stored one", n, err)
	}
}
