package stammer_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

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
