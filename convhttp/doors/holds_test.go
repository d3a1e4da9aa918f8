package doors_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp/doortest"
)

// holdCase is one delete path of one door, sent against a fixture, and
// how the door must refuse it under a legal hold: status, media type and
// the body members that carry its own code.
type holdCase struct {
	name string
	del  func(w *world, f *fixture) *doortest.Response
	// check judges the refusal's body (already known to be a 409 of
	// mediaType) and returns what is wrong, or "".
	mediaType string
	check     func(body map[string]any) string
}

// member returns body's member at the dotted path as a string ("" if
// missing or not a string; numbers as their decimal form).
func member(body map[string]any, path string) string {
	var v any = body
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		v = m[k]
	}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

// wants returns a check that each dotted member equals its value, and
// that the message members name the hold.
func wants(messages []string, pairs ...string) func(body map[string]any) string {
	return func(body map[string]any) string {
		for i := 0; i+1 < len(pairs); i += 2 {
			if got := member(body, pairs[i]); got != pairs[i+1] {
				return pairs[i] + " is " + strconv.Quote(got) + ", want " + strconv.Quote(pairs[i+1])
			}
		}
		for _, m := range messages {
			if !strings.Contains(member(body, m), "legal hold "+convstore.PrefixHold+"_") {
				return m + " does not name the hold: " + strconv.Quote(member(body, m))
			}
		}
		return ""
	}
}

func nativeDelete(tail func(f *fixture) string) func(w *world, f *fixture) *doortest.Response {
	return func(w *world, f *fixture) *doortest.Response {
		return w.c.Do("DELETE", nativePath(f, tail(f)), nil, "Authorization", "Bearer "+w.env.KeyA)
	}
}

// holdCases are every door's delete paths of a conversation and of what
// is in it.
var holdCases = []holdCase{
	{name: "native conversation", del: nativeDelete(func(*fixture) string { return "" }),
		mediaType: api.ContentTypeProblem, check: wants([]string{"detail"}, "code", "held", "status", "409", "type", api.ProblemTypeBase+"held")},
	{name: "native message", del: nativeDelete(func(f *fixture) string { return "/messages/" + f.msgs[0].ID.Format(convstore.PrefixMessage) }),
		mediaType: api.ContentTypeProblem, check: wants([]string{"detail"}, "code", "held")},
	{name: "native artifact", del: nativeDelete(func(f *fixture) string { return "/artifacts/" + f.art.ID.Format(convstore.PrefixArtifact) }),
		mediaType: api.ContentTypeProblem, check: wants([]string{"detail"}, "code", "held")},
	{name: "native attachment", del: nativeDelete(func(*fixture) string { return "/attachments/call.wav" }),
		mediaType: api.ContentTypeProblem, check: wants([]string{"detail"}, "code", "held")},
	{name: "stammer conversation", del: func(w *world, f *fixture) *doortest.Response {
		return w.c.Do("POST", "/compat/stammer/en/chatbot/api/v1/conversation/"+f.conv.ID.UUID()+"/deactivate/", nil, "Authorization", "Token "+w.env.KeyA)
	}, mediaType: "application/json", check: wants([]string{"detail", "message"}, "error", "legal_hold")},
	{name: "symbl conversation", del: func(w *world, f *fixture) *doortest.Response {
		return w.c.Do("DELETE", "/compat/symbl/v1/conversations/"+strconv.FormatInt(f.conv.Seq, 10), nil, "Authorization", "Bearer "+w.env.KeyA)
	}, mediaType: "application/json", check: wants([]string{"message"})},
	{name: "elevenlabs conversation", del: func(w *world, f *fixture) *doortest.Response {
		return w.c.Do("DELETE", "/compat/elevenlabs/v1/convai/conversations/"+f.conv.ID.Format(convstore.PrefixConversation), nil, "xi-api-key", w.env.KeyA)
	}, mediaType: "application/json", check: wants([]string{"detail.message"}, "detail.status", "conversation_on_legal_hold")},
	{name: "botpress conversation", del: func(w *world, f *fixture) *doortest.Response {
		return w.c.Do("DELETE", "/compat/botpress/v1/chat/conversations/"+f.conv.ID.Format(convstore.PrefixConversation), map[string]any{},
			"Authorization", "Bearer "+w.env.KeyA, "x-bot-id", bot)
	}, mediaType: "application/json", check: wants([]string{"message"}, "type", "ResourceLockedConflict", "code", "409")},
	{name: "botpress message", del: func(w *world, f *fixture) *doortest.Response {
		return w.c.Do("DELETE", "/compat/botpress/v1/chat/messages/"+f.msgs[0].ID.Format(convstore.PrefixMessage), map[string]any{},
			"Authorization", "Bearer "+w.env.KeyA, "x-bot-id", bot)
	}, mediaType: "application/json", check: wants([]string{"message"}, "type", "ResourceLockedConflict", "code", "409")},
	{name: "inkeep conversation", del: func(w *world, f *fixture) *doortest.Response {
		return w.c.Do("DELETE", "/compat/inkeep/conversations/"+f.conv.ID.Format(convstore.PrefixConversation), nil, "Authorization", "Bearer "+w.env.KeyA)
	}, mediaType: "application/problem+json", check: wants([]string{"detail", "error.message"}, "code", "legal_hold", "error.code", "legal_hold", "status", "409")},
	{name: "openai conversation", del: func(w *world, f *fixture) *doortest.Response {
		return w.c.Do("DELETE", "/compat/openai/v1/conversations/"+f.conv.ID.Format(convstore.PrefixConversation), nil, "Authorization", "Bearer "+w.env.KeyA)
	}, mediaType: "application/json", check: wants([]string{"error.message"}, "error.type", "invalid_request_error", "error.code", "conversation_on_legal_hold")},
	{name: "openai item", del: func(w *world, f *fixture) *doortest.Response {
		return w.c.Do("DELETE", "/compat/openai/v1/conversations/"+f.conv.ID.Format(convstore.PrefixConversation)+"/items/"+f.msgs[0].ID.Format(convstore.PrefixMessage), nil,
			"Authorization", "Bearer "+w.env.KeyA)
	}, mediaType: "application/json", check: wants([]string{"error.message"}, "error.type", "invalid_request_error", "error.code", "conversation_on_legal_hold")},
}

// TestHoldRefusedByEveryDoor places a legal hold on the agent of one
// fixture per delete path, sends every door's delete, and checks each
// refusal in the door's own format, with nothing deleted or audited;
// after the release through the native API, the same requests delete.
func TestHoldRefusedByEveryDoor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	fixtures := make([]*fixture, len(holdCases))
	for i := range holdCases {
		fixtures[i] = w.fixture()
	}
	var hold api.Hold
	r := w.mustStatus(w.c.Do("POST", "/v1/holds", map[string]any{"agent_id": bot, "reason": "matter 7"}, "Authorization", "Bearer "+w.env.KeyA), 201)
	if err := json.Unmarshal(r.Body, &hold); err != nil || hold.Kind != convstore.HoldOnAgent {
		t.Fatalf("hold: %v: %s", err, r.Body)
	}
	audits := len(w.audit())
	for i, tc := range holdCases {
		r := tc.del(w, fixtures[i])
		if r.Status != 409 || r.ContentType() != tc.mediaType {
			t.Errorf("%s under a hold: %v (%s), want 409 %s", tc.name, r, r.ContentType(), tc.mediaType)
			continue
		}
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Errorf("%s: %v: %s", tc.name, err, r.Body)
			continue
		}
		if msg := tc.check(body); msg != "" {
			t.Errorf("%s: %s: %s", tc.name, msg, r.Body)
		}
		if !strings.Contains(string(r.Body), hold.ID) {
			t.Errorf("%s: the refusal does not name %s: %s", tc.name, hold.ID, r.Body)
		}
		f := fixtures[i]
		msgs, _, err := w.env.Store.FindMessages(w.ctx, w.env.TenantA, f.conv.ID, convstore.MessageFilter{})
		if err != nil || len(msgs) != 2 {
			t.Errorf("%s: after the refusal the conversation has %d messages, %v", tc.name, len(msgs), err)
		}
		if _, err := w.env.Store.FindArtifactByID(w.ctx, w.env.TenantA, f.conv.ID, f.art.ID); err != nil {
			t.Errorf("%s: after the refusal the artifact is gone: %v", tc.name, err)
		}
	}
	if n := len(w.audit()); n != audits {
		t.Errorf("refused deletes wrote %d audit entries", n-audits)
	}

	w.mustStatus(w.c.Do("DELETE", "/v1/holds/"+hold.ID, nil, "Authorization", "Bearer "+w.env.KeyA), 200)
	for i, tc := range holdCases {
		if r := tc.del(w, fixtures[i]); r.Status != 200 {
			t.Errorf("%s after the release: %v", tc.name, r)
		}
	}
	var held, released int
	for _, a := range w.audit() {
		switch {
		case a.Action == convstore.AuditHoldCreate && a.Door == "native" && a.ActorKeyID == w.env.KeyAID:
			held++
		case a.Action == convstore.AuditHoldRelease && a.Door == "native" && a.ActorKeyID == w.env.KeyAID:
			released++
		}
	}
	if held != 1 || released != 1 {
		t.Errorf("audit: %d hold.create and %d hold.release entries by the admin key through native, want 1 and 1", held, released)
	}
}

// TestHoldRefusesInkeepRelog checks that an Inkeep re-log that would
// replace a held conversation's fields answers Inkeep's 409: the old field
// artifact is kept (the new one beside it), and the re-log goes through
// once the hold is released.
func TestHoldRefusesInkeepRelog(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	body := func(source string) map[string]any {
		return map[string]any{"id": "held-relog", "type": "openai", "properties": map[string]any{"source": source},
			"messages": []map[string]any{{"role": "user", "content": "hello"}}}
	}
	auth := []string{"Authorization", "Bearer " + w.env.KeyA}
	w.mustStatus(w.c.Do("POST", "/compat/inkeep/conversations", body("web"), auth...), 200)
	c, err := w.env.Store.FindConversationByExternalID(w.ctx, w.env.TenantA, "inkeep:held-relog")
	if err != nil {
		t.Fatal(err)
	}
	var hold api.Hold
	r := w.mustStatus(w.c.Do("POST", "/v1/holds", map[string]any{"conversation_id": c.ID.Format(convstore.PrefixConversation), "reason": "m"}, auth...), 201)
	if err := json.Unmarshal(r.Body, &hold); err != nil {
		t.Fatal(err)
	}
	r = w.c.Do("POST", "/compat/inkeep/conversations", body("app"), auth...)
	if r.Status != 409 || r.ContentType() != "application/problem+json" || !strings.Contains(string(r.Body), `"code":"legal_hold"`) {
		t.Fatalf("re-log under a hold: %v", r)
	}
	arts, _, err := w.env.Store.FindArtifacts(w.ctx, w.env.TenantA, c.ID, convstore.ArtifactFilter{PageFilter: convstore.PageFilter{Limit: 10}})
	if err != nil || len(arts) == 0 || !strings.Contains(string(arts[0].Data), "web") && !strings.Contains(string(arts[len(arts)-1].Data), "web") {
		t.Fatalf("the held conversation's field artifacts after the refusal: %d, %v", len(arts), err)
	}
	w.mustStatus(w.c.Do("DELETE", "/v1/holds/"+hold.ID, nil, auth...), 200)
	w.mustStatus(w.c.Do("POST", "/compat/inkeep/conversations", body("app"), auth...), 200)
	arts, _, err = w.env.Store.FindArtifacts(w.ctx, w.env.TenantA, c.ID, convstore.ArtifactFilter{PageFilter: convstore.PageFilter{Limit: 10}})
	if err != nil || len(arts) != 1 || !strings.Contains(string(arts[0].Data), "app") {
		t.Errorf("after the release the re-log left %d artifacts, %v", len(arts), err)
	}
}
