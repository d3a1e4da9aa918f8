package stammer_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	convhttp "github.com/convstore/convstore/http"
	"github.com/convstore/convstore/http/doortest"
	"github.com/convstore/convstore/http/stammer"
)

func TestRoutes(t *testing.T) {
	s := convhttp.NewServer(doortest.New(t).Config())
	d := stammer.New(s)
	if d.Name() != "stammer" || stammer.DoorName != "stammer" {
		t.Fatalf("name %q", d.Name())
	}
	want := map[string]convstore.Scope{
		"POST /en/chatbot/api/v1/message/{$}":                                     convstore.ScopeWrite,
		"GET /en/chatbot/api/v1/conversations/{$}":                                convstore.ScopeRead,
		"POST /en/chatbot/api/v1/conversation/{conversation_uuid}/deactivate/{$}": convstore.ScopeDelete,
	}
	routes := d.Routes()
	if len(routes) != len(want) {
		t.Fatalf("%d routes, want %d", len(routes), len(want))
	}
	for _, rt := range routes {
		if scope, ok := want[rt.Method+" "+rt.Path]; !ok || scope != rt.Scope || rt.Handler == nil {
			t.Errorf("unexpected route %s %s (%s)", rt.Method, rt.Path, rt.Scope)
		}
	}
}

func TestMessage(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		r := f.do("POST", pathMessage, map[string]any{
			"chatbot_uuid": bot1, "query": "Hello there", "user_key": "user-1", "extra_sdk_field": true,
		}, f.KeyA, "Accept", "application/json")
		doortest.Expect(t, r, 200, "application/json")
		m := r.Map(t)
		keys(t, "message", m, "conversation_uuid", "chatbot_uuid", "user_key", "query", "answer", "new_conversation", "created_at")
		if m["chatbot_uuid"] != bot1 || m["user_key"] != "user-1" || m["query"] != "Hello there" ||
			m["answer"] != nil || m["new_conversation"] != true {
			t.Fatalf("%v", r)
		}
		if _, err := time.Parse(time.RFC3339Nano, m["created_at"].(string)); err != nil {
			t.Fatalf("created_at: %v", err)
		}
		uuid := m["conversation_uuid"].(string)
		conv, err := f.conversation(f.TenantA, uuid)
		if err != nil {
			t.Fatal(err)
		}
		if conv.ID.UUID() != uuid || conv.AgentID != bot1 || conv.UserID != "user-1" ||
			conv.ExternalID != "stammer:"+bot1+":user-1" || conv.Metadata["stammer.source_platform"] != "API" || conv.MessageCount != 1 {
			t.Fatalf("stored %+v", conv)
		}

		// The same chatbot and user_key (uuid in upper case) continue it.
		r = f.do("POST", pathMessage, map[string]any{
			"chatbot_uuid": strings.ToUpper(bot1), "query": "Second", "user_key": "user-1",
			"custom_base_system_prompt": "Be brief.",
		}, f.KeyA)
		doortest.Expect(t, r, 200, "application/json")
		m2 := r.Map(t)
		if m2["conversation_uuid"] != uuid || m2["new_conversation"] != false || m2["chatbot_uuid"] != bot1 {
			t.Fatalf("%v", r)
		}
		msgs, _, err := f.Store.FindMessages(ctx, f.TenantA, conv.ID, convstore.MessageFilter{})
		if err != nil || len(msgs) != 2 || msgs[0].Role != convstore.RoleUser || msgs[0].Content != "Hello there" ||
			msgs[1].Content != "Second" || string(msgs[1].Parts) != `{"stammer":{"custom_base_system_prompt":"Be brief."}}` {
			t.Fatalf("messages %v %v", msgs, err)
		}

		// Another user_key or chatbot is another conversation.
		if o := f.message(f.KeyA, bot1, "user-2", "hi"); o["conversation_uuid"] == uuid || o["new_conversation"] != true {
			t.Fatalf("%v", o)
		}
		if o := f.message(f.KeyA, bot2, "user-1", "hi"); o["conversation_uuid"] == uuid || o["new_conversation"] != true {
			t.Fatalf("%v", o)
		}
		// Tenant B's same chatbot and user_key is B's own conversation.
		if o := f.message(f.KeyB, bot1, "user-1", "hi"); o["conversation_uuid"] == uuid || o["new_conversation"] != true {
			t.Fatalf("%v", o)
		}
		// A query of 4999 characters is "under 5000".
		f.message(f.KeyA, bot1, "user-3", strings.Repeat("é", 4999))
	})
}

func TestMessageValidation(t *testing.T) {
	f := setupRoot(t)
	long := strings.Repeat("x", 5000)
	cases := []struct {
		name  string
		body  any
		field string // "" for a parse error
	}{
		{"missing chatbot_uuid", map[string]any{"query": "q", "user_key": "u"}, "chatbot_uuid"},
		{"null chatbot_uuid", map[string]any{"chatbot_uuid": nil, "query": "q", "user_key": "u"}, "chatbot_uuid"},
		{"bad chatbot_uuid", map[string]any{"chatbot_uuid": "610", "query": "q", "user_key": "u"}, "chatbot_uuid"},
		{"numeric chatbot_uuid", map[string]any{"chatbot_uuid": 610, "query": "q", "user_key": "u"}, "chatbot_uuid"},
		{"missing query", map[string]any{"chatbot_uuid": bot1, "user_key": "u"}, "query"},
		{"blank query", map[string]any{"chatbot_uuid": bot1, "query": "  ", "user_key": "u"}, "query"},
		{"long query", map[string]any{"chatbot_uuid": bot1, "query": long, "user_key": "u"}, "query"},
		{"query not a string", map[string]any{"chatbot_uuid": bot1, "query": []int{1}, "user_key": "u"}, "query"},
		{"missing user_key", map[string]any{"chatbot_uuid": bot1, "query": "q"}, "user_key"},
		{"empty user_key", map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": ""}, "user_key"},
		{"long user_key", map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": strings.Repeat("k", 212)}, "user_key"},
		{"NUL user_key", map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": "a\x00b"}, "user_key"},
		{"prompt not a string", map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": "u", "custom_base_system_prompt": 1}, "custom_base_system_prompt"},
		{"array body", `[]`, "non_field_errors"},
		{"not JSON", `{"chatbot_uuid":`, ""},
		{"trailing data", `{} {}`, ""},
		{"empty body", ` `, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.do("POST", pathMessage, c.body, f.KeyA)
			if c.field == "" {
				expectError(t, r, 400, "parse_error")
			} else {
				expectField(t, r, c.field)
			}
		})
	}
	if n, err := f.Store.CountConversations(ctx, f.TenantA, convstore.ConversationFilter{}); err != nil || n != 0 {
		t.Fatalf("invalid requests wrote %d conversations (%v)", n, err)
	}
	// A 211-byte user_key is the longest accepted.
	f.message(f.KeyA, bot1, strings.Repeat("k", 211), "q")
}

func TestAuth(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		uuid := f.message(f.KeyA, bot1, "u", "q")["conversation_uuid"].(string)
		routes := []struct {
			method, path string
			body         any
			wrongScope   convstore.Scope
		}{
			{"POST", pathMessage, map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": "u"}, convstore.ScopeRead},
			{"GET", pathConversations + "?onlyDeletedConversations=false", nil, convstore.ScopeWrite},
			{"POST", pathDeactivate(uuid), nil, convstore.ScopeRead},
		}
		for _, rt := range routes {
			missing := f.do(rt.method, rt.path, rt.body, "")
			expectError(t, missing, 401, "not_authenticated")
			if missing.Header.Get("WWW-Authenticate") != "Token" {
				t.Fatalf("%v: WWW-Authenticate %q", missing, missing.Header.Get("WWW-Authenticate"))
			}
			sameAnswer(t, missing, f.do(rt.method, rt.path, rt.body, "cs_wrong_key"))
			sameAnswer(t, missing, f.c.Do(rt.method, f.prefix+rt.path, rt.body, "Authorization", "Bearer "+f.KeyA))
			sameAnswer(t, missing, f.c.Do(rt.method, f.prefix+rt.path, rt.body, "Authorization", "Token"))
			expectError(t, f.do(rt.method, rt.path, rt.body, f.Scoped[rt.wrongScope]), 403, "permission_denied")
		}
		// The scheme word is case-insensitive, and nothing above deleted it.
		r := f.c.Do("POST", f.prefix+pathDeactivate(uuid), nil, "Authorization", "token "+f.Scoped[convstore.ScopeDelete])
		doortest.Expect(t, r, 200, "application/json")
	})
}

// listed lists with the query and returns the page.
func (f *fixture) list(key, query string) map[string]any {
	f.TB.Helper()
	r := f.do("GET", pathConversations+"?"+query, nil, key)
	doortest.Expect(f.TB, r, 200, "application/json")
	m := r.Map(f.TB)
	keys(f.TB, "page", m, "count", "next", "previous", "results")
	if _, ok := m["results"].([]any); !ok {
		f.TB.Fatalf("%v: results is not an array", r)
	}
	return m
}

func results(m map[string]any) []any { return m["results"].([]any) }

func TestList(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		c1 := f.message(f.KeyA, bot1, "u1", "first")["conversation_uuid"].(string)
		f.message(f.KeyA, bot1, "u1", "second")
		f.message(f.KeyA, bot1, "u2", "other user")
		c3 := f.message(f.KeyA, bot2, "u3", "other bot")["conversation_uuid"].(string)
		f.message(f.KeyB, bot1, "u1", "tenant b")
		native, _, err := f.Store.CreateConversation(ctx, f.TenantA, &convstore.ConversationCreate{Title: "native"})
		if err != nil {
			t.Fatal(err)
		}

		all := f.list(f.KeyA, "onlyDeletedConversations=false")
		if all["count"] != 4.0 || len(results(all)) != 4 || all["next"] != nil || all["previous"] != nil {
			t.Fatalf("%v", all)
		}
		// Newest first: the native conversation, then c3, …, c1 last.
		first, last := results(all)[0].(map[string]any), results(all)[3].(map[string]any)
		if first["uuid"] != native.ID.UUID() || first["chatbot_uuid"] != nil || first["user_key"] != nil ||
			first["source_platform"] != nil || first["message_count"] != 0.0 || len(first["messages"].([]any)) != 0 {
			t.Fatalf("native result %v", first)
		}
		keys(t, "result", last, "uuid", "conversation_number", "chatbot_uuid", "user_key", "source_platform", "is_deleted",
			"created_at", "updated_at", "message_count", "messages", "messages_truncated")
		stored, err := f.conversation(f.TenantA, c1)
		if err != nil {
			t.Fatal(err)
		}
		if last["uuid"] != c1 || last["chatbot_uuid"] != bot1 || last["user_key"] != "u1" || last["source_platform"] != "API" ||
			last["is_deleted"] != false || last["message_count"] != 2.0 || last["messages_truncated"] != false ||
			last["conversation_number"] != float64(stored.Seq) {
			t.Fatalf("result %v", last)
		}
		msgs := last["messages"].([]any)
		m0 := msgs[0].(map[string]any)
		keys(t, "message", m0, "role", "content", "created_at")
		if len(msgs) != 2 || m0["role"] != "user" || m0["content"] != "first" || msgs[1].(map[string]any)["content"] != "second" {
			t.Fatalf("messages %v", msgs)
		}
		for _, k := range []string{"created_at", "updated_at"} {
			if _, err := time.Parse("2006-01-02T15:04:05.000000Z", last[k].(string)); err != nil {
				t.Fatalf("%s: %v", k, err)
			}
		}

		today := time.Now().UTC().Format(time.DateOnly)
		yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
		counts := map[string]float64{
			"onlyDeletedConversations=False&chatbot_uuid=" + bot1:                                                               2,
			"onlyDeletedConversations=0&chatbot_uuid=" + strings.ToUpper(bot2):                                                  1,
			"onlyDeletedConversations=false&startDate=" + today + "&endDate=" + today:                                           4,
			"onlyDeletedConversations=false&startDate=" + today:                                                                 4,
			"onlyDeletedConversations=false&endDate=" + yesterday:                                                               0,
			"onlyDeletedConversations=false&startDate=" + tomorrow:                                                              0,
			"onlyDeletedConversations=false&sourcePlatform=API":                                                                 3,
			"onlyDeletedConversations=false&sourcePlatform=whatsapp":                                                            0,
			"onlyDeletedConversations=false&conversation_number=" + strconv.FormatInt(stored.Seq, 10):                           1,
			"onlyDeletedConversations=false&conversation_number=" + strconv.FormatInt(stored.Seq, 10) + "&chatbot_uuid=" + bot2: 0,
			"onlyDeletedConversations=false&conversation_number=12345":                                                          0,
			"onlyDeletedConversations=false&unknown_param=1":                                                                    4,
			"onlyDeletedConversations=true":                                                                                     0,
			"onlyDeletedConversations=True&chatbot_uuid=" + bot1:                                                                0,
			"onlyDeletedConversations=1":                                                                                        0,
		}
		for q, want := range counts {
			p := f.list(f.KeyA, q)
			if p["count"] != want || float64(len(results(p))) != want {
				t.Errorf("%s: %v, want count %v", q, p, want)
			}
		}
		// Tenant B sees only its own conversation.
		if p := f.list(f.KeyB, "onlyDeletedConversations=false"); p["count"] != 1.0 {
			t.Fatalf("tenant B: %v", p)
		}
		if p := f.list(f.KeyA, "onlyDeletedConversations=false&chatbot_uuid="+bot2); results(p)[0].(map[string]any)["uuid"] != c3 {
			t.Fatalf("%v", p)
		}
	})
}

func TestListPagination(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		for i := range 3 {
			f.message(f.KeyA, bot1, "u"+strconv.Itoa(i), "q")
		}
		p1 := f.list(f.KeyA, "onlyDeletedConversations=false&page_size=2")
		if p1["count"] != 3.0 || len(results(p1)) != 2 || p1["previous"] != nil {
			t.Fatalf("%v", p1)
		}
		next, _ := p1["next"].(string)
		u, err := url.Parse(next)
		if err != nil || u.Scheme != "http" || u.Path != f.prefix+pathConversations ||
			u.RawQuery != "onlyDeletedConversations=false&page=2&page_size=2" || !strings.HasPrefix(f.c.URL, "http://"+u.Host) {
			t.Fatalf("next %q", next)
		}
		p2 := f.list(f.KeyA, u.RawQuery)
		prev, _ := p2["previous"].(string)
		if len(results(p2)) != 1 || p2["next"] != nil || !strings.HasSuffix(prev, pathConversations+"?onlyDeletedConversations=false&page_size=2") {
			t.Fatalf("%v", p2)
		}
		seen := map[any]bool{}
		for _, r := range append(results(p1), results(p2)...) {
			seen[r.(map[string]any)["uuid"]] = true
		}
		if len(seen) != 3 {
			t.Fatalf("pages overlap: %v", seen)
		}
		if p := f.list(f.KeyA, "onlyDeletedConversations=false&page_size=2&page=last"); len(results(p)) != 1 {
			t.Fatalf("last: %v", p)
		}
		// DRF: a bad page_size falls back to 20, a large one is capped.
		for _, ps := range []string{"abc", "0", "1000"} {
			if p := f.list(f.KeyA, "onlyDeletedConversations=false&page_size="+ps); len(results(p)) != 3 {
				t.Fatalf("page_size=%s: %v", ps, p)
			}
		}
		// The first page of an empty list exists; later ones do not.
		if p := f.list(f.KeyA, "onlyDeletedConversations=true"); p["count"] != 0.0 || len(results(p)) != 0 {
			t.Fatalf("%v", p)
		}
		for _, q := range []string{"page=3&page_size=2", "page=0", "page=abc", "page=-1", "page=2"} {
			r := f.do("GET", pathConversations+"?onlyDeletedConversations=false&"+q, nil, f.KeyA)
			if m := expectError(t, r, 404, "not_found"); m["message"] != "Invalid page." {
				t.Fatalf("%v", r)
			}
		}
	})
}

func TestListValidation(t *testing.T) {
	f := setupRoot(t)
	cases := map[string]string{
		"":                               "onlyDeletedConversations",
		"chatbot_uuid=" + bot1:           "onlyDeletedConversations",
		"onlyDeletedConversations=":      "onlyDeletedConversations",
		"onlyDeletedConversations=maybe": "onlyDeletedConversations",
		"onlyDeletedConversations=false&chatbot_id=610&chatbot_uuid=" + bot1:     "chatbot_id",
		"onlyDeletedConversations=false&chatbot_id=610":                          "chatbot_id",
		"onlyDeletedConversations=false&chatbot_id=abc":                          "chatbot_id",
		"onlyDeletedConversations=false&chatbot_uuid=610":                        "chatbot_uuid",
		"onlyDeletedConversations=false&startDate=2024-13-01":                    "startDate",
		"onlyDeletedConversations=false&endDate=01/12/2023":                      "endDate",
		"onlyDeletedConversations=false&startDate=2024-01-02&endDate=2024-01-01": "startDate",
		"onlyDeletedConversations=false&sourcePlatform=api":                      "sourcePlatform",
		"onlyDeletedConversations=false&sourcePlatform=telegram":                 "sourcePlatform",
		"onlyDeletedConversations=false&conversation_number=abc":                 "conversation_number",
		"onlyDeletedConversations=false&conversation_number=-4":                  "conversation_number",
		"onlyDeletedConversations=false&page=5001&page_size=20":                  "",
	}
	for q, field := range cases {
		r := f.do("GET", pathConversations+"?"+q, nil, f.KeyA)
		if field == "" {
			// Page 5001 of an empty list is DRF's invalid page, not a 500.
			expectError(t, r, 404, "not_found")
			continue
		}
		expectField(t, r, field)
		if field == "onlyDeletedConversations" && !strings.Contains(r.Map(t)["message"].(string), "onlyDeletedConversations") {
			t.Fatalf("%v: message does not name the parameter", r)
		}
	}
}

func TestDeactivate(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		uuid := f.message(f.KeyA, bot1, "u1", "first")["conversation_uuid"].(string)
		f.message(f.KeyA, bot1, "u1", "second")
		conv, err := f.conversation(f.TenantA, uuid)
		if err != nil {
			t.Fatal(err)
		}
		art, err := f.Store.CreateArtifact(ctx, f.TenantA, conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "s"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Store.PutAttachment(ctx, f.TenantA, conv.ID, &convstore.AttachmentPut{Name: "a.txt", Body: strings.NewReader("hello")}); err != nil {
			t.Fatal(err)
		}
		other := f.message(f.KeyA, bot1, "u2", "kept")["conversation_uuid"].(string)

		r := f.do("POST", pathDeactivate(uuid), nil, f.KeyA, "Content-Type", "application/json", "Accept", "application/json")
		doortest.Expect(t, r, 200, "application/json")
		m := r.Map(t)
		keys(t, "deactivate", m, "message", "uuid", "deleted", "receipt_id")
		if m["message"] != "Conversation deleted successfully." || m["uuid"] != uuid || m["deleted"] != true {
			t.Fatalf("%v", r)
		}

		dels, _, err := f.Store.FindDeletions(ctx, f.TenantA, convstore.DeletionFilter{ConversationID: conv.ID})
		if err != nil || len(dels) != 1 {
			t.Fatalf("receipts %v %v", dels, err)
		}
		d := dels[0]
		if d.Door != stammer.DoorName || d.Messages != 2 || d.Artifacts != 1 || d.Attachments != 1 || d.AttachmentBytes != 5 ||
			d.ActorKeyID != f.KeyAID || d.RequestID != r.Header.Get("X-Request-Id") || m["receipt_id"] != d.ID.Format(convstore.PrefixDeletion) {
			t.Fatalf("receipt %+v", d)
		}
		notFound := func(what string, err error) {
			if convstore.ErrorCode(err) != convstore.ENOTFOUND {
				t.Fatalf("%s after delete: %v", what, err)
			}
		}
		_, err = f.Store.FindConversationByID(ctx, f.TenantA, conv.ID)
		notFound("conversation", err)
		_, _, err = f.Store.FindMessages(ctx, f.TenantA, conv.ID, convstore.MessageFilter{})
		notFound("messages", err)
		_, err = f.Store.FindArtifactByID(ctx, f.TenantA, convstore.ID{}, art.ID)
		notFound("artifact", err)
		_, err = f.Store.FindAttachmentByName(ctx, f.TenantA, conv.ID, "a.txt")
		notFound("attachment", err)
		_, err = f.Store.FindConversationByExternalID(ctx, f.TenantA, "stammer:"+bot1+":u1")
		notFound("external id", err)
		if _, err := f.conversation(f.TenantA, other); err != nil {
			t.Fatalf("other conversation: %v", err)
		}

		// Deleted: the same answer as an unknown uuid; the list no longer has it.
		again := f.do("POST", pathDeactivate(uuid), nil, f.KeyA)
		expectError(t, again, 404, "not_found")
		if p := f.list(f.KeyA, "onlyDeletedConversations=false"); p["count"] != 1.0 {
			t.Fatalf("%v", p)
		}
		if p := f.list(f.KeyA, "onlyDeletedConversations=true"); p["count"] != 0.0 {
			t.Fatalf("%v", p)
		}

		// The next message for the same user_key starts a new conversation.
		n := f.message(f.KeyA, bot1, "u1", "after")
		if n["conversation_uuid"] == uuid || n["new_conversation"] != true {
			t.Fatalf("%v", n)
		}
		// A {} body is accepted, and so is an upper-case uuid.
		r = f.do("POST", pathDeactivate(strings.ToUpper(n["conversation_uuid"].(string))), "{}", f.KeyA)
		doortest.Expect(t, r, 200, "application/json")
		if r.Map(t)["uuid"] != n["conversation_uuid"] {
			t.Fatalf("%v", r)
		}
	})
}

func TestDeactivateNotFound(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		foreign := f.message(f.KeyB, bot1, "u1", "tenant b")["conversation_uuid"].(string)
		unknown := convstore.NewID().UUID()
		want := f.do("POST", pathDeactivate(unknown), nil, f.KeyA)
		if m := expectError(t, want, 404, "not_found"); m["message"] != "Conversation not found." {
			t.Fatalf("%v", want)
		}
		for _, id := range []string{
			foreign, strings.ToUpper(foreign), "not-a-uuid", strings.ReplaceAll(unknown, "-", ""),
			"00000000-0000-0000-0000-000000000000", unknown + "0", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "%20",
		} {
			sameAnswer(t, want, f.do("POST", pathDeactivate(id), nil, f.KeyA))
		}
		if _, err := f.conversation(f.TenantB, foreign); err != nil {
			t.Fatalf("tenant B's conversation: %v", err)
		}
	})
}

func TestUnknownRoutes(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		expectError(t, f.do("GET", "/en/chatbot/api/v1/nope/", nil, f.KeyA), 404, "not_found")
		expectError(t, f.do("POST", pathMessage+"extra/", "{}", f.KeyA), 404, "not_found")
		r := f.do("GET", pathMessage, nil, f.KeyA)
		expectError(t, r, 405, "method_not_allowed")
		if !strings.Contains(r.Header.Get("Allow"), "POST") {
			t.Fatalf("%v: Allow %q", r, r.Header.Get("Allow"))
		}
		expectError(t, f.do("DELETE", pathDeactivate(convstore.NewID().UUID()), nil, f.KeyA), 405, "method_not_allowed")

		// Without the trailing slash: ServeMux redirects to the slashed path
		// with 307, which keeps the method and body (Django's APPEND_SLASH
		// would answer 301).
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, c := range []struct{ method, path string }{
			{"POST", strings.TrimSuffix(pathMessage, "/")},
			{"GET", strings.TrimSuffix(pathConversations, "/") + "?onlyDeletedConversations=false"},
		} {
			req, _ := http.NewRequest(c.method, f.c.URL+f.prefix+c.path, nil)
			req.Header.Set("Authorization", token(f.KeyA))
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			path, query, _ := strings.Cut(c.path, "?")
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusTemporaryRedirect || loc != f.prefix+path+"/"+strings.TrimSuffix("?"+query, "?") {
				t.Fatalf("%s %s: %d %q", c.method, c.path, resp.StatusCode, loc)
			}
		}
		// A client that follows the redirect re-sends the POST with its body.
		r = f.do("POST", strings.TrimSuffix(pathMessage, "/"), map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": "slashless"}, f.KeyA)
		doortest.Expect(t, r, 200, "application/json")
		if r.Map(t)["user_key"] != "slashless" {
			t.Fatalf("%v", r)
		}
	})
}

func TestErrorFormat(t *testing.T) {
	f := setupRoot(t)
	big := `{"query":"` + strings.Repeat("x", convhttp.DefaultMaxBodyBytes) + `"}`
	expectError(t, f.do("POST", pathMessage, big, f.KeyA), 413, "request_too_large")

	// A store fault is a 500 that shows nothing of it.
	e := doortest.New(t)
	e.Store = faultyStore{e.Store}
	c := e.Serve(func(s *convhttp.Server) { s.Mount("/", stammer.New(s)) })
	r := c.Do("GET", pathConversations+"?onlyDeletedConversations=false", nil, "Authorization", token(e.KeyA))
	if m := expectError(t, r, 500, "server_error"); m["message"] != "Internal error." || m["field"] != nil ||
		strings.Contains(string(r.Body), "disk") || !strings.Contains(e.Logs.String(), "disk on fire") {
		t.Fatalf("%v", r)
	}
}

// faultyStore fails CountConversations with an internal error.
type faultyStore struct{ convstore.Store }

func (faultyStore) CountConversations(context.Context, convstore.ID, convstore.ConversationFilter) (int, error) {
	return 0, errors.New("disk on fire")
}
