package symbl_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/symbl"
	"github.com/convstore/convstore/service"
)

// TestMessageCap checks the answers to messages past the per-conversation
// cap, on create and append: 409 {"message": …} naming the cap, with
// nothing stored.
func TestMessageCap(t *testing.T) {
	t.Parallel()
	env := doortest.NewWithOptions(t, service.Options{MaxConversationMessages: 3})
	f := &fixture{env: env, own: env.Serve(func(s *convhttp.Server) { s.Mount("/", symbl.New(s)) })}
	capped := func(r *doortest.Response) {
		t.Helper()
		expectError(t, r, 409, "")
		if !strings.Contains(r.Map(t)["message"].(string), "at most 3 messages") {
			t.Fatalf("%v: the message does not name the cap", r)
		}
	}
	capped(f.do("POST", "/v1/process/text", env.KeyA, textBody("a", "b", "c", "d")))
	id, _ := f.create(t, env.KeyA, textBody("a", "b"))
	capped(f.do("PUT", "/v1/process/text/"+id, env.KeyA, textBody("c", "d")))
	doortest.Expect(t, f.do("PUT", "/v1/process/text/"+id, env.KeyA, textBody("c")), 201, "application/json")
	capped(f.do("PUT", "/v1/process/text/"+id, env.KeyA, textBody("d")))
	if c := f.conv(t, env.TenantA, id); c.MessageCount != 3 {
		t.Fatalf("%d messages, want the 3 the cap allows", c.MessageCount)
	}
}
