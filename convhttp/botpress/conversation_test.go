package botpress_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/botpress"
	"github.com/convstore/convstore/convhttp/doortest"
)

func TestCreateConversation(t *testing.T) {
	e := setup(t)
	r := e.c.Do("POST", "/v1/chat/conversations", map[string]any{
		"channel": "dm", "tags": map[string]any{"id": "42", "skip": "", "nil": nil}, "properties": map[string]string{"p": "q"},
	}, as(e.KeyA, bot, "x-integration-alias", "telegram", "x-integration-id", "intver_1")...)
	doortest.Expect(t, r, 200, "application/json")
	c := r.Map(t)["conversation"].(map[string]any)
	if !conversationID.MatchString(c["id"].(string)) {
		t.Errorf("id %v", c["id"])
	}
	if !isoTime.MatchString(c["createdAt"].(string)) || !isoTime.MatchString(c["updatedAt"].(string)) {
		t.Errorf("times %v %v", c["createdAt"], c["updatedAt"])
	}
	if c["channel"] != "dm" || c["integration"] != "telegram" || c["messageCount"] != 0.0 {
		t.Errorf("conversation %v", c)
	}
	if tags := c["tags"].(map[string]any); len(tags) != 1 || tags["id"] != "42" {
		t.Errorf("tags %v", tags)
	}
	if p := c["properties"].(map[string]any); p["p"] != "q" {
		t.Errorf("properties %v", p)
	}
	// The store keeps the bot as AgentID and the fields as metadata.
	id, _ := convstore.ParseID("conv", "id", c["id"].(string))
	sc, err := e.Store.FindConversationByID(context.Background(), e.TenantA, id)
	if err != nil {
		t.Fatal(err)
	}
	if sc.AgentID != bot || sc.Metadata["botpress.channel"] != "dm" || sc.Metadata["botpress.integration"] != "telegram" || sc.Metadata["botpress.tag.id"] != "42" {
		t.Errorf("stored %+v", sc)
	}

	// Integration: x-integration-id, else the body's integrationName; none is "".
	c = e.createConversation(t, e.KeyA, bot, nil)
	if c["integration"] != "" || len(c["tags"].(map[string]any)) != 0 {
		t.Errorf("plain conversation %v", c)
	}
	r = e.c.Do("POST", "/v1/chat/conversations", `{"channel":"c","tags":{},"integrationName":"webchat"}`, as(e.KeyA, bot)...)
	if got := r.Map(t)["conversation"].(map[string]any)["integration"]; got != "webchat" {
		t.Errorf("integrationName: %v", got)
	}
	r = e.c.Do("POST", "/v1/chat/conversations", `{"channel":"c","tags":{},"integrationName":"webchat"}`, as(e.KeyA, bot, "x-integration-id", "int_9")...)
	if got := r.Map(t)["conversation"].(map[string]any)["integration"]; got != "int_9" {
		t.Errorf("x-integration-id: %v", got)
	}

	// 14 tags fit next to channel and integration; 15 do not.
	tags := map[string]string{}
	for i := range 14 {
		tags[fmt.Sprint("t", i)] = "v"
	}
	r = e.c.Do("POST", "/v1/chat/conversations", map[string]any{"channel": "c", "tags": tags, "integrationName": "i"}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	tags["t14"] = "v"
	r = e.c.Do("POST", "/v1/chat/conversations", map[string]any{"channel": "c", "tags": tags, "integrationName": "i"}, as(e.KeyA, bot)...)
	wantError(t, r, 400, "InvalidPayload")
	if !strings.Contains(r.Map(t)["message"].(string), "at most 14 tags") {
		t.Errorf("too many tags message: %s", r.Body)
	}

	for _, body := range []string{
		`{"tags":{}}`, `{"channel":"","tags":{}}`, `{"channel":"c"}`, `{"channel":1,"tags":{}}`,
		`{"channel":"c","tags":"x"}`, `{"channel":"c","tags":{"a":true}}`, `{"channel":"c","tags":{}} trailing`,
		`{"channel":"` + strings.Repeat("c", 201) + `","tags":{}}`, `{"channel":"c","tags":{"` + strings.Repeat("k", 52) + `":"v"}}`,
		`{"channel":"c","tags":{"k":"` + strings.Repeat("v", 513) + `"}}`, `{"channel":"c","tags":{},"properties":[]}`,
	} {
		wantError(t, e.c.Do("POST", "/v1/chat/conversations", body, as(e.KeyA, bot)...), 400, "InvalidPayload")
	}
	big := `{"channel":"c","tags":{},"x":"` + strings.Repeat("a", convhttp.DefaultMaxBodyBytes) + `"}`
	wantError(t, e.c.Do("POST", "/v1/chat/conversations", big, as(e.KeyA, bot)...), 413, "PayloadTooLarge")
	n, err := e.Store.CountConversations(context.Background(), e.TenantA, convstore.ConversationFilter{})
	if err != nil || n != 5 {
		t.Errorf("%d conversations (%v), want 5: a refused request wrote", n, err)
	}
}

func TestGetOrCreateConversation(t *testing.T) {
	e := setup(t)
	goc := func(key, botID, body string, hdr ...string) (map[string]any, bool) {
		t.Helper()
		r := e.c.Do("POST", "/v1/chat/conversations/get-or-create", body, append(as(key, botID), hdr...)...)
		doortest.Expect(t, r, 200, "application/json")
		m := r.Map(t)
		return m["conversation"].(map[string]any), m["meta"].(map[string]any)["created"].(bool)
	}
	c1, created := goc(e.KeyA, bot, `{"channel":"dm","tags":{"chat":"1","name":"Ann"},"discriminateByTags":["chat"]}`)
	if !created || !conversationID.MatchString(c1["id"].(string)) {
		t.Fatalf("first: %v %v", c1, created)
	}
	// Same discriminating tag: found, other tags merged in.
	c2, created := goc(e.KeyA, bot, `{"channel":"dm","tags":{"chat":"1","name":"Bob","x":"y"},"discriminateByTags":["chat"]}`)
	if created || c2["id"] != c1["id"] {
		t.Fatalf("second: %v %v", c2, created)
	}
	if tags := c2["tags"].(map[string]any); tags["name"] != "Bob" || tags["x"] != "y" || tags["chat"] != "1" {
		t.Errorf("merged tags %v", tags)
	}
	// Another channel, integration, discriminating value or bot: a new one.
	for _, tc := range []struct {
		bot, body string
		hdr       []string
	}{
		{bot, `{"channel":"group","tags":{"chat":"1"},"discriminateByTags":["chat"]}`, nil},
		{bot, `{"channel":"dm","tags":{"chat":"2"},"discriminateByTags":["chat"]}`, nil},
		{bot, `{"channel":"dm","tags":{"chat":"1"},"discriminateByTags":["chat"]}`, []string{"x-integration-alias", "slack"}},
		{otherBot, `{"channel":"dm","tags":{"chat":"1"},"discriminateByTags":["chat"]}`, nil},
	} {
		c, created := goc(e.KeyA, tc.bot, tc.body, tc.hdr...)
		if !created || c["id"] == c1["id"] {
			t.Errorf("%s %s: %v created=%v", tc.bot, tc.body, c["id"], created)
		}
	}
	// Without discriminateByTags every tag discriminates.
	a, _ := goc(e.KeyA, bot, `{"channel":"all","tags":{"a":"1","b":"2"}}`)
	b, created := goc(e.KeyA, bot, `{"channel":"all","tags":{"b":"2","a":"1","gone":null}}`)
	if created || a["id"] != b["id"] {
		t.Errorf("same tags: %v %v created=%v", a["id"], b["id"], created)
	}
	if c, created := goc(e.KeyA, bot, `{"channel":"all","tags":{"a":"1"}}`); !created || c["id"] == a["id"] {
		t.Errorf("subset of tags found the same conversation")
	}
	// Tenant B's identical call gets its own conversation.
	if c, created := goc(e.KeyB, bot, `{"channel":"dm","tags":{"chat":"1"},"discriminateByTags":["chat"]}`); !created || c["id"] == c1["id"] {
		t.Errorf("tenant B: %v created=%v", c["id"], created)
	}

	// Concurrent calls agree on one conversation, created once.
	var wg sync.WaitGroup
	ids := make([]string, 8)
	createdN := make([]bool, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.c.Do("POST", "/v1/chat/conversations/get-or-create", `{"channel":"race","tags":{"k":"v"}}`, as(e.KeyA, bot)...)
			if r.Status != 200 {
				t.Errorf("%v", r)
				return
			}
			m := r.Map(t)
			ids[i] = m["conversation"].(map[string]any)["id"].(string)
			createdN[i] = m["meta"].(map[string]any)["created"].(bool)
		}()
	}
	wg.Wait()
	n := 0
	for i := range ids {
		if ids[i] != ids[0] {
			t.Errorf("race: ids %v", ids)
		}
		if createdN[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("race: created %d times", n)
	}

	for _, body := range []string{`{"tags":{}}`, `{"channel":"c"}`, `{"channel":"c","tags":{},"discriminateByTags":"chat"}`,
		`{"channel":"c","tags":{},"discriminateByTags":[""]}`, `{"channel":"c","tags":{},"discriminateByTags":[1]}`, `{`} {
		wantError(t, e.c.Do("POST", "/v1/chat/conversations/get-or-create", body, as(e.KeyA, bot)...), 400, "InvalidPayload")
	}
}

// notFoundIDs returns conversation ids that must all answer the same 404
// for tenant A's bot: unknown, tenant B's, another bot's, malformed.
func notFoundConversations(t *testing.T, e *env) []string {
	t.Helper()
	foreign := e.createConversation(t, e.KeyB, bot, nil)["id"].(string)
	other := e.createConversation(t, e.KeyA, otherBot, nil)["id"].(string)
	return []string{convstore.NewID().Format("conv"), foreign, other, "conv_nope", "nope", "msg_" + strings.Repeat("0", 26), strings.Repeat("x", 300)}
}

func TestGetConversation(t *testing.T) {
	e := setup(t)
	c := e.createConversation(t, e.KeyA, bot, map[string]string{"k": "v"})
	r := e.c.Do("GET", "/v1/chat/conversations/"+c["id"].(string), nil, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	got := r.Map(t)["conversation"].(map[string]any)
	if fmt.Sprint(got) != fmt.Sprint(c) {
		t.Errorf("get %v, created %v", got, c)
	}
	var rs []*doortest.Response
	for _, id := range notFoundConversations(t, e) {
		rs = append(rs, e.c.Do("GET", "/v1/chat/conversations/"+id, nil, as(e.KeyA, bot)...))
	}
	sameNotFound(t, rs...)

	// A conversation made outside the door renders with empty channel and
	// integration; one without an agent belongs to no bot.
	native, _, err := e.Store.CreateConversation(context.Background(), e.TenantA, &convstore.ConversationCreate{AgentID: bot, Metadata: convstore.Metadata{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	r = e.c.Do("GET", "/v1/chat/conversations/"+native.ID.Format("conv"), nil, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	n := r.Map(t)["conversation"].(map[string]any)
	if n["channel"] != "" || n["integration"] != "" || len(n["tags"].(map[string]any)) != 0 || n["properties"] != nil {
		t.Errorf("native conversation %v", n)
	}
}

func TestUpdateConversation(t *testing.T) {
	e := setup(t)
	c := e.createConversation(t, e.KeyA, bot, map[string]string{"keep": "1", "drop": "2", "blank": "3", "change": "4"})
	path := "/v1/chat/conversations/" + c["id"].(string)
	r := e.c.Do("PUT", path, `{"tags":{"drop":null,"blank":"","change":"5","new":"6"},"properties":{"p":"1"},"currentTaskId":"t"}`, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	u := r.Map(t)["conversation"].(map[string]any)
	want := map[string]any{"keep": "1", "change": "5", "new": "6"}
	if fmt.Sprint(u["tags"]) != fmt.Sprint(want) || u["properties"].(map[string]any)["p"] != "1" || u["channel"] != "channel" {
		t.Errorf("updated %v", u)
	}
	// An empty body changes nothing.
	r = e.c.Do("PUT", path, `{}`, as(e.KeyA, bot)...)
	if fmt.Sprint(r.Map(t)["conversation"].(map[string]any)["tags"]) != fmt.Sprint(want) {
		t.Errorf("empty update changed tags: %s", r.Body)
	}
	for _, body := range []string{`{"tags":[]}`, `{"tags":{"a":1}}`, `{"properties":"x"}`, `nope`, ``} {
		wantError(t, e.c.Do("PUT", path, body, as(e.KeyA, bot)...), 400, "InvalidPayload")
	}
	many := map[string]string{}
	for i := range 16 {
		many[fmt.Sprint("n", i)] = "v"
	}
	wantError(t, e.c.Do("PUT", path, map[string]any{"tags": many}, as(e.KeyA, bot)...), 400, "InvalidPayload")
	var rs []*doortest.Response
	for _, id := range notFoundConversations(t, e) {
		rs = append(rs, e.c.Do("PUT", "/v1/chat/conversations/"+id, `{"tags":{"x":"y"}}`, as(e.KeyA, bot)...))
	}
	sameNotFound(t, rs...)
}

func TestListConversations(t *testing.T) {
	e := setup(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.createConversation(t, e.KeyA, bot, map[string]string{"n": fmt.Sprint(i), "even": fmt.Sprint(i%2 == 0)})["id"].(string))
	}
	e.createConversation(t, e.KeyA, otherBot, map[string]string{"even": "true"})
	e.createConversation(t, e.KeyB, bot, map[string]string{"even": "true"})
	e.c.Do("POST", "/v1/chat/conversations", `{"channel":"sms","tags":{"even":"true"}}`, as(e.KeyA, bot, "x-integration-alias", "twilio")...)

	list := func(q string) ([]string, map[string]any) {
		t.Helper()
		r := e.c.Do("GET", "/v1/chat/conversations"+q, nil, as(e.KeyA, bot)...)
		doortest.Expect(t, r, 200, "application/json")
		m := r.Map(t)
		var got []string
		for _, c := range m["conversations"].([]any) {
			got = append(got, c.(map[string]any)["id"].(string))
		}
		return got, m["meta"].(map[string]any)
	}
	// Newest first, pageSize 2, nextToken until the last page, which has none.
	var all []string
	q := "?pageSize=2&tags.even=true&channel=channel"
	for pages := 0; ; pages++ {
		got, meta := list(q)
		all = append(all, got...)
		tok, ok := meta["nextToken"].(string)
		if !ok {
			if _, present := meta["nextToken"]; present {
				t.Fatalf("nextToken present but not a string: %v", meta)
			}
			break
		}
		if pages > 3 {
			t.Fatal("endless paging")
		}
		q = "?pageSize=2&tags.even=true&channel=channel&nextToken=" + tok
	}
	if fmt.Sprint(all) != fmt.Sprint([]string{ids[4], ids[2], ids[0]}) {
		t.Errorf("paged %v, want %v", all, []string{ids[4], ids[2], ids[0]})
	}
	if got, _ := list("?sortDirection=asc&sortField=createdAt&tags[n]=1"); fmt.Sprint(got) != fmt.Sprint([]string{ids[1]}) {
		t.Errorf("bracket tag filter: %v", got)
	}
	if got, _ := list("?integrationName=twilio"); len(got) != 1 {
		t.Errorf("integration filter: %v", got)
	}
	if got, meta := list(""); len(got) != 6 || len(meta) != 0 {
		t.Errorf("all of the bot's: %v %v", got, meta)
	}
	if got, _ := list("?afterDate=2999-01-01T00:00:00.000Z"); len(got) != 0 {
		t.Errorf("afterDate: %v", got)
	}
	if got, _ := list("?unknownParam=1&pageSize=500"); len(got) != 6 {
		t.Errorf("lenient query: %v", got)
	}
	r := e.c.Do("GET", "/v1/chat/conversations", nil, as(e.KeyA, "nobody")...)
	if m := r.Map(t); len(m["conversations"].([]any)) != 0 {
		t.Errorf("unknown bot sees %v", m)
	}
	for _, q := range []string{"?pageSize=0", "?pageSize=x", "?nextToken=bad", "?sortField=title", "?sortField=updatedAt&nextToken=conv_x.1", "?sortDirection=up",
		"?participantIds=", "?minMessageCount=-1", "?maxMessageCount=x", "?afterDate=yesterday", "?channel=a&channel=b", "?%zz"} {
		wantError(t, e.c.Do("GET", "/v1/chat/conversations"+q, nil, as(e.KeyA, bot)...), 400, "InvalidQuery")
	}
}

func TestDeleteConversation(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	for _, body := range []any{"{}", nil} {
		conv := e.createConversation(t, e.KeyA, bot, map[string]string{"k": "v"})["id"].(string)
		msgs := []string{e.createMessage(t, e.KeyA, bot, conv, "u", "q")["id"].(string), e.createMessage(t, e.KeyA, bot, conv, bot, "a")["id"].(string)}
		path := "/v1/chat/conversations/" + conv
		r := e.c.Do("DELETE", path, body, as(e.KeyA, bot)...)
		doortest.Expect(t, r, 200, "application/json")
		if strings.TrimSpace(string(r.Body)) != "{}" {
			t.Errorf("delete body %s", r.Body)
		}
		// Gone through the door: the conversation, its messages and the list.
		sameNotFound(t,
			e.c.Do("GET", path, nil, as(e.KeyA, bot)...),
			e.c.Do("DELETE", path, "{}", as(e.KeyA, bot)...),
			e.c.Do("GET", "/v1/chat/messages?conversationId="+conv, nil, as(e.KeyA, bot)...),
			e.c.Do("GET", "/v1/chat/conversations/"+convstore.NewID().Format("conv"), nil, as(e.KeyA, bot)...))
		sameNotFound(t, e.c.Do("GET", "/v1/chat/messages/"+msgs[0], nil, as(e.KeyA, bot)...), e.c.Do("GET", "/v1/chat/messages/"+msgs[1], nil, as(e.KeyA, bot)...))
		// Gone in the store, with a receipt naming this door.
		id := mustID(t, "conv", conv)
		if _, err := e.Store.FindConversationByID(ctx, e.TenantA, id); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Errorf("conversation still stored: %v", err)
		}
		for _, m := range msgs {
			if _, err := e.Store.FindMessageByID(ctx, e.TenantA, convstore.ID{}, mustID(t, "msg", m)); convstore.ErrorCode(err) != convstore.ENOTFOUND {
				t.Errorf("message still stored: %v", err)
			}
		}
		dels, _, err := e.Store.FindDeletions(ctx, e.TenantA, convstore.DeletionFilter{ConversationID: id})
		if err != nil || len(dels) != 1 {
			t.Fatalf("receipts %v %v", dels, err)
		}
		if d := dels[0]; d.Door != botpress.DoorName || d.Messages != 2 || d.ActorKeyID != e.KeyAID || d.RequestID == "" {
			t.Errorf("receipt %+v", d)
		}
	}
	var rs []*doortest.Response
	for _, id := range notFoundConversations(t, e) {
		rs = append(rs, e.c.Do("DELETE", "/v1/chat/conversations/"+id, "{}", as(e.KeyA, bot)...))
	}
	sameNotFound(t, rs...)
	// The refused deletes left tenant B's and the other bot's conversations.
	if n, _ := e.Store.CountConversations(ctx, e.TenantB, convstore.ConversationFilter{}); n != 1 {
		t.Errorf("tenant B has %d conversations", n)
	}
}

// TestConversationEmptyTagsPresent checks the exact JSON of a
// conversation's tags when it has none, {} (the SDK requires them), and
// of an empty list.
func TestConversationEmptyTagsPresent(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.c.Do("POST", "/v1/chat/conversations", map[string]any{"channel": "web", "tags": map[string]string{}}, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	if got := doortest.Raw(t, r.Body, "conversation", "tags"); got != `{}` {
		t.Errorf("created conversation tags %s, want {}", got)
	}
	r = e.c.Do("GET", "/v1/chat/conversations", nil, as(e.KeyA, otherBot)...)
	doortest.Expect(t, r, 200, "application/json")
	if got := strings.TrimSpace(string(r.Body)); got != `{"conversations":[],"meta":{}}` {
		t.Errorf("empty list %s", got)
	}
}
