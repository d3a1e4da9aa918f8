package botpress_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

func TestCreateMessage(t *testing.T) {
	e := setup(t)
	conv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	r := e.c.Do("POST", "/v1/chat/messages", `{"conversationId":"`+conv+`","userId":"user_1","type":"text","tags":{"t":"1"},
		"payload":{"text":"hello","n":12345678901234567890},"origin":"synthetic","schedule":{"delay":0}}`, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	m := r.Map(t)["message"].(map[string]any)
	if !messageID.MatchString(m["id"].(string)) || !isoTime.MatchString(m["createdAt"].(string)) || !isoTime.MatchString(m["updatedAt"].(string)) {
		t.Errorf("message %v", m)
	}
	if m["type"] != "text" || m["direction"] != "incoming" || m["userId"] != "user_1" || m["conversationId"] != conv ||
		m["origin"] != "synthetic" || m["tags"].(map[string]any)["t"] != "1" {
		t.Errorf("message %v", m)
	}
	if !strings.Contains(string(r.Body), `"n":12345678901234567890`) || m["payload"].(map[string]any)["text"] != "hello" {
		t.Errorf("payload %s", r.Body)
	}
	// Stored as a user message with the text as content.
	id, _ := convstore.ParseID("msg", "id", m["id"].(string))
	sm, err := e.Store.FindMessageByID(context.Background(), e.TenantA, convstore.ID{}, id)
	if err != nil || sm.Role != convstore.RoleUser || sm.Content != "hello" || sm.AuthorName != "user_1" {
		t.Errorf("stored %+v %v", sm, err)
	}
	// Payloads round-trip as sent, markup included.
	html := e.createMessage(t, e.KeyA, bot, conv, "u", "<b>&amp;</b>")
	if html["payload"].(map[string]any)["text"] != "<b>&amp;</b>" {
		t.Errorf("html payload %v", html["payload"])
	}
	// The bot's own userId makes an outgoing (assistant) message.
	out := e.createMessage(t, e.KeyA, bot, conv, bot, "reply")
	if out["direction"] != "outgoing" {
		t.Errorf("bot message %v", out)
	}
	valid := func(mut func(map[string]any)) map[string]any {
		b := map[string]any{"conversationId": conv, "userId": "u", "type": "text", "tags": map[string]string{}, "payload": map[string]any{"text": "x"}}
		mut(b)
		return b
	}
	for name, body := range map[string]any{
		"no payload":      valid(func(b map[string]any) { delete(b, "payload") }),
		"payload string":  valid(func(b map[string]any) { b["payload"] = "x" }),
		"payload null":    valid(func(b map[string]any) { b["payload"] = nil }),
		"no userId":       valid(func(b map[string]any) { delete(b, "userId") }),
		"no type":         valid(func(b map[string]any) { b["type"] = "" }),
		"no tags":         valid(func(b map[string]any) { delete(b, "tags") }),
		"no conversation": valid(func(b map[string]any) { delete(b, "conversationId") }),
		"bad origin":      valid(func(b map[string]any) { b["origin"] = "real" }),
		"bad schedule":    valid(func(b map[string]any) { b["schedule"] = map[string]any{"delay": "soon"} }),
		"not json":        "{",
	} {
		r := e.c.Do("POST", "/v1/chat/messages", body, as(e.KeyA, bot)...)
		if r.Status != 400 {
			t.Errorf("%s: %v", name, r)
		}
		wantError(t, r, 400, "InvalidPayload")
	}
	huge := valid(func(b map[string]any) {
		b["payload"] = map[string]any{"text": strings.Repeat("x", convstore.MaxMessagePartsLen)}
	})
	wantError(t, e.c.Do("POST", "/v1/chat/messages", huge, as(e.KeyA, bot)...), 413, "PayloadTooLarge")
	var rs []*doortest.Response
	for _, id := range notFoundConversations(t, e) {
		rs = append(rs, e.c.Do("POST", "/v1/chat/messages", valid(func(b map[string]any) { b["conversationId"] = id }), as(e.KeyA, bot)...))
	}
	sameNotFound(t, rs...)
	if c, _ := e.Store.FindConversationByID(context.Background(), e.TenantA, mustID(t, "conv", conv)); c.MessageCount != 3 {
		t.Errorf("message count %d, want 3", c.MessageCount)
	}
}

func mustID(t testing.TB, prefix, s string) convstore.ID {
	t.Helper()
	id, err := convstore.ParseID(prefix, "id", s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestListMessages(t *testing.T) {
	e := setup(t)
	conv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.createMessage(t, e.KeyA, bot, conv, "u", fmt.Sprint(i))["id"].(string))
	}
	var got []string
	q := "?pageSize=3&conversationId=" + conv
	for range 3 {
		r := e.c.Do("GET", "/v1/chat/messages"+q, nil, as(e.KeyA, bot)...)
		doortest.Expect(t, r, 200, "application/json")
		m := r.Map(t)
		for _, x := range m["messages"].([]any) {
			got = append(got, x.(map[string]any)["id"].(string))
		}
		tok, ok := m["meta"].(map[string]any)["nextToken"].(string)
		if !ok {
			break
		}
		q = "?pageSize=3&conversationId=" + conv + "&nextToken=" + tok
	}
	if fmt.Sprint(got) != fmt.Sprint([]string{ids[4], ids[3], ids[2], ids[1], ids[0]}) {
		t.Errorf("messages %v, want newest first %v", got, ids)
	}
	// Messages written natively render as text with direction from role.
	native, _, err := e.Store.CreateConversation(context.Background(), e.TenantA, &convstore.ConversationCreate{AgentID: bot, UserID: "end-user",
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "q"}, {Role: convstore.RoleAssistant, Content: "a", Parts: json.RawMessage(`[1]`)}}})
	if err != nil {
		t.Fatal(err)
	}
	r := e.c.Do("GET", "/v1/chat/messages?conversationId="+native.ID.Format("conv"), nil, as(e.KeyA, bot)...)
	var l struct {
		Messages []struct {
			Type, Direction, UserID string
			Payload                 map[string]any
		}
	}
	r.JSON(t, &l)
	if len(l.Messages) != 2 || l.Messages[0].Direction != "outgoing" || l.Messages[0].UserID != bot || l.Messages[0].Payload["text"] != "a" ||
		l.Messages[1].Direction != "incoming" || l.Messages[1].UserID != "end-user" || l.Messages[1].Type != "text" || l.Messages[1].Payload["text"] != "q" {
		t.Errorf("native messages %s", r.Body)
	}
	for _, q := range []string{"", "?conversationId=", "?conversationId=" + conv + "&nextToken=conv_x", "?conversationId=" + conv + "&pageSize=-1"} {
		wantError(t, e.c.Do("GET", "/v1/chat/messages"+q, nil, as(e.KeyA, bot)...), 400, "InvalidQuery")
	}
	var rs []*doortest.Response
	for _, id := range notFoundConversations(t, e) {
		rs = append(rs, e.c.Do("GET", "/v1/chat/messages?conversationId="+id, nil, as(e.KeyA, bot)...))
	}
	sameNotFound(t, rs...)
}

// notFoundMessages returns message ids that must answer the same 404.
func notFoundMessages(t *testing.T, e *env) []string {
	t.Helper()
	foreignConv := e.createConversation(t, e.KeyB, bot, nil)["id"].(string)
	foreign := e.createMessage(t, e.KeyB, bot, foreignConv, "u", "x")["id"].(string)
	otherConv := e.createConversation(t, e.KeyA, otherBot, nil)["id"].(string)
	other := e.createMessage(t, e.KeyA, otherBot, otherConv, "u", "x")["id"].(string)
	return []string{convstore.NewID().Format("msg"), foreign, other, "msg_bad", "x", otherConv}
}

func TestGetAndDeleteMessage(t *testing.T) {
	e := setup(t)
	conv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	m := e.createMessage(t, e.KeyA, bot, conv, "u", "hi")
	path := "/v1/chat/messages/" + m["id"].(string)
	r := e.c.Do("GET", path, nil, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	if got := r.Map(t)["message"]; fmt.Sprint(got) != fmt.Sprint(m) {
		t.Errorf("get %v, created %v", got, m)
	}
	var rs []*doortest.Response
	for _, id := range notFoundMessages(t, e) {
		rs = append(rs, e.c.Do("GET", "/v1/chat/messages/"+id, nil, as(e.KeyA, bot)...))
		rs = append(rs, e.c.Do("DELETE", "/v1/chat/messages/"+id, "{}", as(e.KeyA, bot)...))
	}
	sameNotFound(t, rs...)

	r = e.c.Do("DELETE", path, "{}", as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	if strings.TrimSpace(string(r.Body)) != "{}" {
		t.Errorf("delete body %s", r.Body)
	}
	sameNotFound(t, e.c.Do("GET", path, nil, as(e.KeyA, bot)...), e.c.Do("DELETE", path, nil, as(e.KeyA, bot)...), rs[0])
	if _, err := e.Store.FindMessageByID(context.Background(), e.TenantA, convstore.ID{}, mustID(t, "msg", m["id"].(string))); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("message still stored: %v", err)
	}
}

// TestMessageEmptyTagsPresent checks the exact JSON of a message's tags
// when it has none: {}, which the SDK's Message type requires, in every
// answer that carries a message (create, get, list) and for a message
// written through another door, which never had Botpress tags.
func TestMessageEmptyTagsPresent(t *testing.T) {
	t.Parallel()
	e := setup(t)
	conv := e.createConversation(t, e.KeyA, bot, nil)
	convID := conv["id"].(string)
	r := e.c.Do("POST", "/v1/chat/messages", map[string]any{
		"conversationId": convID, "userId": "user_1", "type": "text", "tags": map[string]string{}, "payload": map[string]any{"text": "hi"},
	}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	if got := doortest.Raw(t, r.Body, "message", "tags"); got != `{}` {
		t.Errorf("created message tags %s, want {}", got)
	}
	msgID := doortest.Raw(t, r.Body, "message", "id")
	if _, err := e.Store.CreateMessages(context.Background(), e.TenantA, mustID(t, "conv", convID),
		[]*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "from elsewhere"}}); err != nil {
		t.Fatal(err)
	}
	r = e.c.Do("GET", "/v1/chat/messages/"+strings.Trim(msgID, `"`), nil, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	if got := doortest.Raw(t, r.Body, "message", "tags"); got != `{}` {
		t.Errorf("read message tags %s, want {}", got)
	}
	r = e.c.Do("GET", "/v1/chat/messages?conversationId="+convID, nil, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	for i := range 2 {
		if got := doortest.Raw(t, r.Body, "messages", strconv.Itoa(i), "tags"); got != `{}` {
			t.Errorf("listed message %d tags %s, want {}", i, got)
		}
	}
	if got := doortest.Raw(t, r.Body, "meta"); got != `{}` {
		t.Errorf("last page meta %s, want {}", got)
	}
	other := e.createConversation(t, e.KeyA, bot, nil)
	r = e.c.Do("GET", "/v1/chat/messages?conversationId="+other["id"].(string), nil, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	if got := strings.TrimSpace(string(r.Body)); got != `{"messages":[],"meta":{}}` {
		t.Errorf("empty list %s", got)
	}
}
