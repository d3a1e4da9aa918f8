package botpress_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestUpdateMessage: tags merge (null removes), the payload is replaced
// and its text kept as content, updatedAt moves, type/createdAt stay; bad
// input is 400 and another bot's or tenant's message 404, changing nothing.
func TestUpdateMessage(t *testing.T) {
	e := setup(t)
	conv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	r := e.c.Do("POST", "/v1/chat/messages", map[string]any{"conversationId": conv, "userId": "u", "type": "text",
		"tags": map[string]string{"a": "1", "b": "2"}, "payload": map[string]any{"text": "before"}}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	m := r.Map(t)["message"].(map[string]any)
	id := m["id"].(string)
	time.Sleep(2 * time.Millisecond)
	r = e.c.Do("PUT", "/v1/chat/messages/"+id, map[string]any{"tags": map[string]any{"a": nil, "c": "3"}, "payload": map[string]any{"text": "after", "n": 1}}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	u := r.Map(t)["message"].(map[string]any)
	if tags := u["tags"].(map[string]any); len(tags) != 2 || tags["b"] != "2" || tags["c"] != "3" {
		t.Errorf("tags %v", tags)
	}
	if doortest.Raw(t, r.Body, "message", "payload") != `{"n":1,"text":"after"}` || u["type"] != "text" || u["createdAt"] != m["createdAt"] ||
		u["updatedAt"].(string) <= m["updatedAt"].(string) {
		t.Errorf("updated %s (was %v)", r.Body, m)
	}
	got := e.c.Do("GET", "/v1/chat/messages/"+id, nil, as(e.KeyA, bot)...)
	if doortest.Raw(t, got.Body, "message") != doortest.Raw(t, r.Body, "message") {
		t.Errorf("GET %s after PUT %s", got.Body, r.Body)
	}
	// Tags only: the payload stays.
	r = e.c.Do("PUT", "/v1/chat/messages/"+id, map[string]any{"tags": map[string]any{"b": ""}}, as(e.KeyA, bot)...)
	if doortest.Raw(t, r.Body, "message", "payload") != `{"n":1,"text":"after"}` || len(r.Map(t)["message"].(map[string]any)["tags"].(map[string]any)) != 1 {
		t.Errorf("tags-only update %s", r.Body)
	}
	for _, body := range []string{`{"payload":5}`, `{"payload":[]}`, `{"tags":{"a":1}}`, `not json`} {
		wantError(t, e.c.Do("PUT", "/v1/chat/messages/"+id, body, as(e.KeyA, bot)...), 400, "InvalidPayload")
	}
	sameNotFound(t, e.c.Do("PUT", "/v1/chat/messages/"+id, `{"tags":{"x":"y"}}`, as(e.KeyA, otherBot)...),
		e.c.Do("PUT", "/v1/chat/messages/"+id, `{"tags":{"x":"y"}}`, as(e.KeyB, bot)...),
		e.c.Do("PUT", "/v1/chat/messages/msg_00000000000000000000000000", `{"tags":{"x":"y"}}`, as(e.KeyA, bot)...))
	if tags := e.c.Do("GET", "/v1/chat/messages/"+id, nil, as(e.KeyA, bot)...).Map(t)["message"].(map[string]any)["tags"].(map[string]any); tags["x"] != nil {
		t.Errorf("a refused update changed the message: %v", tags)
	}
}

// TestGetOrCreateMessage: discriminating tags find the message (whatever
// the payload); without them the payload must match; another user, type
// or conversation is another message.
func TestGetOrCreateMessage(t *testing.T) {
	e := setup(t)
	conv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	goc := func(body map[string]any) (string, bool) {
		t.Helper()
		b := map[string]any{"conversationId": conv, "userId": "u", "type": "text", "tags": map[string]string{}, "payload": map[string]any{"text": "hi"}}
		for k, v := range body {
			b[k] = v
		}
		r := e.c.Do("POST", "/v1/chat/messages/get-or-create", b, as(e.KeyA, bot)...)
		doortest.Expect(t, r, 200, "application/json")
		m := r.Map(t)
		return m["message"].(map[string]any)["id"].(string), m["meta"].(map[string]any)["created"].(bool)
	}
	a, c1 := goc(map[string]any{"tags": map[string]string{"k": "1"}})
	b, c2 := goc(map[string]any{"tags": map[string]string{"k": "1"}, "payload": map[string]any{"text": "other"}})
	if !c1 || c2 || a != b {
		t.Errorf("by tags: %s %v, %s %v", a, c1, b, c2)
	}
	if x, c := goc(map[string]any{"tags": map[string]string{"k": "1", "z": "9"}, "discriminateByTags": []string{"k"}}); c || x != a {
		t.Errorf("discriminateByTags [k]: %s %v", x, c)
	}
	if x, c := goc(map[string]any{"tags": map[string]string{"k": "2"}}); !c || x == a {
		t.Errorf("another tag value: %s %v", x, c)
	}
	if x, c := goc(map[string]any{"tags": map[string]string{"k": "1"}, "userId": "v"}); !c || x == a {
		t.Errorf("another user: %s %v", x, c)
	}
	// Without tags the payload discriminates: u's newest "hi" is found.
	if x, c := goc(nil); c || x == a {
		t.Errorf("no tags, a's payload: %s %v, want the newer k=2 message", x, c)
	}
	hello := map[string]any{"payload": map[string]any{"text": "hello"}}
	p1, c3 := goc(hello)
	p2, c4 := goc(hello)
	p3, c5 := goc(map[string]any{"payload": map[string]any{"text": "different"}})
	if !c3 || c4 || p1 != p2 || !c5 || p3 == p1 {
		t.Errorf("without tags: %s %v %s %v %s %v", p1, c3, p2, c4, p3, c5)
	}
	if n := e.c.Do("GET", "/v1/chat/conversations/"+conv, nil, as(e.KeyA, bot)...).Map(t)["conversation"].(map[string]any)["messageCount"]; n != float64(5) {
		t.Errorf("messageCount %v, want 5", n)
	}
	wantError(t, e.c.Do("POST", "/v1/chat/messages/get-or-create", map[string]any{"conversationId": conv, "userId": "u", "type": "text", "tags": map[string]string{}}, as(e.KeyA, bot)...), 400, "InvalidPayload")
	sameNotFound(t, e.c.Do("POST", "/v1/chat/messages/get-or-create", map[string]any{"conversationId": conv, "userId": "u", "type": "text", "tags": map[string]string{}, "payload": map[string]any{"text": "hi"}}, as(e.KeyA, otherBot)...),
		e.c.Do("POST", "/v1/chat/messages/get-or-create", map[string]any{"conversationId": "conv_00000000000000000000000000", "userId": "u", "type": "text", "tags": map[string]string{}, "payload": map[string]any{"text": "hi"}}, as(e.KeyA, bot)...))
}

// TestListMessagesFilters: tags and dates filter (bad ones are 400
// InvalidQuery), pages of matches carry a nextToken, and a page that the
// scan bound cuts short ends with a nextToken that goes on.
func TestListMessagesFilters(t *testing.T) {
	e := setup(t)
	conv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	var ids []string
	var times []string
	for i := range 5 {
		r := e.c.Do("POST", "/v1/chat/messages", map[string]any{"conversationId": conv, "userId": "u", "type": "text",
			"tags": map[string]string{"even": map[bool]string{true: "yes", false: "no"}[i%2 == 0]}, "payload": map[string]any{"text": "m"}}, as(e.KeyA, bot)...)
		m := r.Map(t)["message"].(map[string]any)
		ids, times = append(ids, m["id"].(string)), append(times, m["createdAt"].(string))
		time.Sleep(2 * time.Millisecond)
	}
	list := func(q string) ([]string, string) {
		t.Helper()
		r := e.c.Do("GET", "/v1/chat/messages?conversationId="+conv+q, nil, as(e.KeyA, bot)...)
		doortest.Expect(t, r, 200, "application/json")
		m := r.Map(t)
		var out []string
		for _, x := range m["messages"].([]any) {
			out = append(out, x.(map[string]any)["id"].(string))
		}
		next, _ := m["meta"].(map[string]any)["nextToken"].(string)
		return out, next
	}
	join := func(ix ...int) string {
		var s []string
		for _, i := range ix {
			s = append(s, ids[i])
		}
		return strings.Join(s, ",")
	}
	for q, want := range map[string]string{
		"&tags.even=yes":          join(4, 2, 0),
		"&tags%5Beven%5D=no":      join(3, 1),
		"&afterDate=" + times[2]:  join(4, 3),
		"&beforeDate=" + times[2]: join(1, 0),
		"&afterDate=" + times[0] + "&beforeDate=" + times[4] + "&tags.even=no": join(3, 1),
		"&tags.even=maybe": "",
	} {
		if got, next := list(q); strings.Join(got, ",") != want || next != "" {
			t.Errorf("%s: %v %q, want %s", q, got, next, want)
		}
	}
	got, next := list("&tags.even=yes&pageSize=2")
	rest, end := list("&tags.even=yes&pageSize=2&nextToken=" + next)
	if strings.Join(got, ",") != join(4, 2) || strings.Join(rest, ",") != join(0) || end != "" {
		t.Errorf("pages %v %q %v %q", got, next, rest, end)
	}
	for _, q := range []string{"&afterDate=x", "&beforeDate=2024-13-01T00:00:00Z", "&tags.=a", "&tags.a=1&tags.a=2"} {
		wantError(t, e.c.Do("GET", "/v1/chat/messages?conversationId="+conv+q, nil, as(e.KeyA, bot)...), 400, "InvalidQuery")
	}

	// 1,000 newer messages without the tag: the first request reads its
	// bound (10 pages of 100) and ends with no match but a nextToken, from
	// which the next finds the oldest match.
	id, _ := convstore.ParseID(convstore.PrefixConversation, "id", conv)
	batch := make([]*convstore.MessageCreate, 1000)
	for i := range batch {
		batch[i] = &convstore.MessageCreate{Role: convstore.RoleUser, Content: "x", Metadata: convstore.Metadata{"botpress.type": "text"}}
	}
	if _, err := e.Store.CreateMessages(context.Background(), e.TenantA, id, batch); err != nil {
		t.Fatal(err)
	}
	got, next = list("&tags.even=no&pageSize=5")
	if len(got) != 0 || next == "" {
		t.Fatalf("past the scan bound: %v %q", got, next)
	}
	if got, end = list("&tags.even=no&pageSize=5&nextToken=" + next); strings.Join(got, ",") != join(3, 1) || end != "" {
		t.Errorf("after the bound: %v %q, want %s", got, end, join(3, 1))
	}
}

// TestInitializeIncomingMessage: a bad body is refused before anything is
// written; another bot's user or conversation is 404; a valid one makes
// the user a participant and the message incoming from it.
func TestInitializeIncomingMessage(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	user := e.createUser(t, e.KeyA, bot, nil)["id"].(string)
	conv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	newUser := map[string]any{"tags": map[string]string{"p": "1"}, "discriminateByTags": []string{"p"}}
	for _, body := range []any{
		map[string]any{"conversationId": conv},
		map[string]any{"user": newUser},
		map[string]any{"user": newUser, "conversationId": conv, "message": map[string]any{"type": "text", "tags": map[string]string{}}},
		map[string]any{"user": newUser, "conversationId": conv, "message": map[string]any{"type": "text", "payload": map[string]any{"text": "x"}}},
		`{"user":5}`,
	} {
		wantError(t, e.c.Do("POST", "/v1/chat/initialize-incoming-message", body, as(e.KeyA, bot)...), 400, "InvalidPayload")
	}
	if n, _ := e.Store.CountConversations(ctx, e.TenantA, convstore.ConversationFilter{}); n != 1 {
		t.Errorf("refused requests wrote: %d conversations, want 1", n)
	}
	if us, _, _ := e.Store.FindEndUsers(ctx, e.TenantA, convstore.EndUserFilter{}); len(us) != 1 {
		t.Errorf("refused requests wrote: %d users, want 1", len(us))
	}
	sameNotFound(t, e.c.Do("POST", "/v1/chat/initialize-incoming-message", map[string]any{"userId": user, "conversationId": conv}, as(e.KeyA, otherBot)...),
		e.c.Do("POST", "/v1/chat/initialize-incoming-message", map[string]any{"userId": "user_00000000000000000000000000", "conversationId": conv}, as(e.KeyA, bot)...))
	r := e.c.Do("POST", "/v1/chat/initialize-incoming-message", map[string]any{"userId": user, "conversationId": conv,
		"message": map[string]any{"type": "text", "payload": map[string]any{"text": "hi"}, "tags": map[string]string{}}}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	m := r.Map(t)
	msg := m["message"].(map[string]any)
	if msg["userId"] != user || msg["direction"] != "incoming" || m["conversation"].(map[string]any)["messageCount"] != float64(1) || m["user"].(map[string]any)["id"] != user {
		t.Errorf("answer %s", r.Body)
	}
	doortest.Expect(t, e.c.Do("GET", "/v1/chat/conversations/"+conv+"/participants/"+user, nil, as(e.KeyA, bot)...), 200, "application/json")
}

// TestImportMessages: createdAt is kept and shown, a re-import finds the
// messages, and a batch with any bad message writes none.
func TestImportMessages(t *testing.T) {
	e := setup(t)
	conv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	msg := func(i int, at string) map[string]any {
		return map[string]any{"conversationId": conv, "userId": "u", "type": "text", "payload": map[string]any{"text": "m" + strconv.Itoa(i)},
			"tags": map[string]string{"n": strconv.Itoa(i)}, "createdAt": at, "discriminateByTags": []string{"n"}}
	}
	good := []any{msg(1, "2024-01-31T12:00:00.000Z"), msg(2, "2024-01-31T12:00:01Z")}
	for _, bad := range [][]any{
		{good[0], msg(3, "yesterday")},
		{good[0], map[string]any{"conversationId": conv, "userId": "u", "type": "text", "tags": map[string]string{}, "payload": map[string]any{"text": "x"}}},
		{good[0], map[string]any{"conversationId": conv, "userId": "u", "type": "text", "tags": map[string]string{}, "createdAt": "2024-01-31T12:00:00Z"}},
	} {
		wantError(t, e.c.Do("POST", "/v1/chat/messages/import-messages", map[string]any{"messages": bad}, as(e.KeyA, bot)...), 400, "InvalidPayload")
	}
	many := make([]any, 101)
	for i := range many {
		many[i] = msg(i, "2024-01-31T12:00:00Z")
	}
	wantError(t, e.c.Do("POST", "/v1/chat/messages/import-messages", map[string]any{"messages": many}, as(e.KeyA, bot)...), 400, "InvalidPayload")
	wantError(t, e.c.Do("POST", "/v1/chat/messages/import-messages", `{}`, as(e.KeyA, bot)...), 400, "InvalidPayload")
	if n := e.c.Do("GET", "/v1/chat/conversations/"+conv, nil, as(e.KeyA, bot)...).Map(t)["conversation"].(map[string]any)["messageCount"]; n != float64(0) {
		t.Fatalf("refused imports wrote %v messages", n)
	}
	r := e.c.Do("POST", "/v1/chat/messages/import-messages", map[string]any{"messages": good}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	ms := r.Map(t)["messages"].([]any)
	if len(ms) != 2 || ms[0].(map[string]any)["createdAt"] != "2024-01-31T12:00:00.000Z" || ms[1].(map[string]any)["updatedAt"] != "2024-01-31T12:00:01.000Z" {
		t.Errorf("imported %s", r.Body)
	}
	again := e.c.Do("POST", "/v1/chat/messages/import-messages", map[string]any{"messages": good}, as(e.KeyA, bot)...).Map(t)["messages"].([]any)
	if again[0].(map[string]any)["id"] != ms[0].(map[string]any)["id"] {
		t.Errorf("re-import made new messages: %v", again)
	}
	sameNotFound(t, e.c.Do("POST", "/v1/chat/messages/import-messages", map[string]any{"messages": good}, as(e.KeyA, otherBot)...),
		e.c.Do("POST", "/v1/chat/messages/import-messages", map[string]any{"messages": []any{map[string]any{"conversationId": "conv_00000000000000000000000000", "userId": "u",
			"type": "text", "payload": map[string]any{"text": "x"}, "tags": map[string]string{}, "createdAt": "2024-01-31T12:00:00Z"}}}, as(e.KeyA, bot)...))
}
