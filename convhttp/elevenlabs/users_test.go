package elevenlabs_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/elevenlabs"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// usersWorld seeds tenant A with ann (three conversations, the last a
// second later, with an agent name), bob (one) and a conversation without
// a user, and tenant B with ann and carl, who must never show for A.
func usersWorld(t *testing.T) (*world, map[string]*convstore.Conversation) {
	clock := &servicetest.Clock{}
	w := setupWith(t, service.Options{Now: clock.Now})
	cs := map[string]*convstore.Conversation{}
	cs["a1"] = w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_support", UserID: "ann"})
	cs["b1"] = w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_other", UserID: "bob"})
	cs["a2"] = w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_other", UserID: "ann"})
	cs["none"] = w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_support"})
	clock.Advance(1100 * time.Millisecond) // a distinct second for the time filters
	cs["a3"] = w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_support", UserID: "ann",
		Metadata: convstore.Metadata{"elevenlabs.agent_name": "Support"}})
	for _, u := range []string{"ann", "carl", "carl", "carl"} {
		w.seed(w.TenantB, &convstore.ConversationCreate{AgentID: "agent_support", UserID: u})
	}
	return w, cs
}

// usersOf lists A's users with query and returns them as "user:count"
// and the page.
func usersOf(t *testing.T, w *world, query string) (string, map[string]any) {
	t.Helper()
	r := w.do("GET", "/v1/convai/users"+query)
	doortest.Expect(t, r, 200, "application/json")
	page := r.Map(t)
	var parts []string
	for _, u := range page["users"].([]any) {
		m := u.(map[string]any)
		parts = append(parts, fmt.Sprintf("%v:%v", m["user_id"], m["conversation_count"]))
	}
	return strings.Join(parts, " "), page
}

func TestUsersList(t *testing.T) {
	w, cs := usersWorld(t)
	got, page := usersOf(t, w, "")
	if got != "ann:3 bob:1" || page["has_more"] != false || page["next_cursor"] != nil {
		t.Fatalf("users %q, page %v", got, page)
	}
	ann := page["users"].([]any)[0].(map[string]any)
	keys(t, "user", ann, map[string]string{"user_id": "string", "last_contact_unix_secs": "integer",
		"first_contact_unix_secs": "integer", "conversation_count": "integer",
		"last_contact_conversation_id": "string", "sentiment": "object"})
	if ann["first_contact_unix_secs"] != float64(cs["a1"].CreatedAt.Unix()) ||
		ann["last_contact_unix_secs"] != float64(cs["a3"].CreatedAt.Unix()) ||
		ann["last_contact_conversation_id"] != cid(cs["a3"]) || ann["last_contact_agent_id"] != "agent_support" ||
		ann["last_contact_agent_name"] != "Support" {
		t.Fatalf("ann %v", ann)
	}
	// No sentiment is scored: zero counts, no averages, no frustrated list.
	s := ann["sentiment"].(map[string]any)
	for _, k := range []string{"scored_conversation_count", "positive_count", "neutral_count", "negative_count",
		"recent_scored_conversation_count", "recent_positive_count", "recent_neutral_count", "recent_negative_count"} {
		if s[k] != float64(0) {
			t.Fatalf("sentiment %v", s)
		}
	}
	if _, ok := s["average_sentiment_score"]; ok || len(s) != 8 || ann["most_frustrated_conversations"] != nil {
		t.Fatalf("sentiment %v, user %v", s, ann)
	}

	for _, tc := range []struct{ query, want string }{
		{"?sort_by=conversation_count&sort_direction=asc", "bob:1 ann:3"},
		{"?sort_by=conversation_count", "ann:3 bob:1"},
		{"?sort_direction=asc", "bob:1 ann:3"},
		{"?agent_id=agent_other", "ann:1 bob:1"},
		{"?agent_id=agent_support", "ann:2"},
		{"?agent_id=nobody", ""},
		{"?search=bob", "bob:1"},
		{"?search=carl", ""}, // tenant B's user
		{"?search=", "ann:3 bob:1"},
		{"?call_start_after_unix=" + strconv.FormatInt(cs["a2"].CreatedAt.Unix(), 10), "ann:1"},
		{"?call_start_before_unix=" + strconv.FormatInt(cs["a3"].CreatedAt.Unix(), 10), "ann:2 bob:1"},
		{"?search=ann&agent_id=agent_other", "ann:1"},
		{"?include_unknown=1", "ann:3 bob:1"}, // unknown parameters are ignored, as FastAPI does
	} {
		if got, _ := usersOf(t, w, tc.query); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
		}
	}
	// An empty tenant (B's view of A's users is tested above): a page of
	// nothing, well formed.
	r := w.own.Do("GET", "/v1/convai/users?search=bob", nil, "xi-api-key", w.KeyB)
	doortest.Expect(t, r, 200, "application/json")
	if trimmed(r) != `{"users":[],"has_more":false}` {
		t.Fatalf("tenant B's search for A's user: %s", r.Body)
	}
}

// Tenant B sees its own users only; A never sees B's, in any sort or page.
func TestUsersTenantIsolation(t *testing.T) {
	w, _ := usersWorld(t)
	r := w.own.Do("GET", "/v1/convai/users", nil, "xi-api-key", w.KeyB)
	doortest.Expect(t, r, 200, "application/json")
	var page struct {
		Users []struct {
			UserID string `json:"user_id"`
			Count  int    `json:"conversation_count"`
		} `json:"users"`
	}
	r.JSON(t, &page)
	if len(page.Users) != 2 || page.Users[0].UserID != "carl" || page.Users[0].Count != 3 ||
		page.Users[1].UserID != "ann" || page.Users[1].Count != 1 {
		t.Fatalf("tenant B's users %s", r.Body)
	}
	for _, q := range []string{"", "?sort_by=conversation_count", "?page_size=1", "?agent_id=agent_support"} {
		if got, _ := usersOf(t, w, q); strings.Contains(got, "carl") || strings.Contains(got, "ann:4") {
			t.Fatalf("%s: tenant A sees %q", q, got)
		}
	}
}

// Pages follow one another through next_cursor in every sort.
func TestUsersPaging(t *testing.T) {
	w, _ := usersWorld(t)
	w.seed(w.TenantA, &convstore.ConversationCreate{UserID: "cyd"})
	w.seed(w.TenantA, &convstore.ConversationCreate{UserID: "cyd"})
	for _, tc := range []struct{ query, want string }{
		{"", "cyd:2 ann:3 bob:1"},
		{"&sort_direction=asc", "bob:1 ann:3 cyd:2"},
		{"&sort_by=conversation_count", "ann:3 cyd:2 bob:1"},
		{"&sort_by=conversation_count&sort_direction=asc", "bob:1 cyd:2 ann:3"},
	} {
		var all []string
		cursor := ""
		for i := 0; ; i++ {
			if i > 5 {
				t.Fatalf("%s: endless pages", tc.query)
			}
			q := "?page_size=1" + tc.query
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			got, page := usersOf(t, w, q)
			all = append(all, got)
			next, _ := page["next_cursor"].(string)
			if page["has_more"] != (next != "") {
				t.Fatalf("%s: has_more %v with next_cursor %q", q, page["has_more"], next)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if got := strings.Join(all, " "); got != tc.want {
			t.Errorf("%s: pages %q, want %q", tc.query, got, tc.want)
		}
	}
	// A cursor of one sort is refused by the other.
	_, page := usersOf(t, w, "?page_size=1")
	next := page["next_cursor"].(string)
	validation(t, w.do("GET", "/v1/convai/users?sort_by=conversation_count&cursor="+next), "cursor", "value_error")
}

func TestUsersErrors(t *testing.T) {
	w, _ := usersWorld(t)
	for _, tc := range []struct{ query, param, typ string }{
		{"?page_size=0", "page_size", "greater_than_equal"},
		{"?page_size=101", "page_size", "less_than_equal"},
		{"?page_size=x", "page_size", "int_parsing"},
		{"?sort_by=name", "sort_by", "enum"},
		{"?sort_direction=up", "sort_direction", "enum"},
		{"?sort_by=average_sentiment_score", "sort_by", "value_error"},
		{"?branch_id=b1", "branch_id", "value_error"},
		{"?call_start_after_unix=soon", "call_start_after_unix", "int_parsing"},
		{"?cursor=nonsense", "cursor", "value_error"},
		{"?cursor=last.1.conv_nonsense", "cursor", "value_error"},
		{"?cursor=count.1.conv_01m8pfgzpnepf8eew0phv59r57", "cursor", "value_error"}, // a count cursor, sorted by last contact
		{"?cursor=last.-1.conv_01m8pfgzpnepf8eew0phv59r57&sort_by=conversation_count", "cursor", "value_error"},
		{"?search=" + strings.Repeat("u", 257), "search", "string_too_long"},
		{"?agent_id=" + strings.Repeat("a", 257), "agent_id", "string_too_long"},
	} {
		validation(t, w.do("GET", "/v1/convai/users"+tc.query), tc.param, tc.typ)
	}
	// Every failure at once, as FastAPI answers.
	r := w.do("GET", "/v1/convai/users?page_size=0&branch_id=b&sort_by=average_sentiment_score")
	doortest.Expect(t, r, 422, "application/json")
	var body struct{ Detail []json.RawMessage }
	r.JSON(t, &body)
	if len(body.Detail) != 3 {
		t.Fatalf("want three items: %s", r.Body)
	}
	// A cursor that names no user is a page past it, never an error.
	if got, _ := usersOf(t, w, "?cursor=last.1.conv_01m8pfgzpnepf8eew0phv59r57&sort_direction=asc"); got != "bob:1 ann:3" {
		t.Fatalf("past a time before every user: %q", got)
	}
	// 401: no key, a bad key, the key in the wrong header; any scope reads.
	for _, key := range []string{"", "x", "csk_wrongwrongwrongwrongwrongwrongwrongwrong"} {
		errorDetail(t, w.own.Do("GET", "/v1/convai/users", nil, "xi-api-key", key), 401, "invalid_api_key")
	}
	errorDetail(t, w.own.Do("GET", "/v1/convai/users", nil, "Authorization", "Bearer "+w.KeyA), 401, "invalid_api_key")
	errorDetail(t, w.own.Do("GET", "/v1/convai/users", nil, "xi-api-key", w.Scoped[convstore.ScopeWrite]), 401, "missing_permissions")
	doortest.Expect(t, w.own.Do("GET", "/v1/convai/users", nil, "xi-api-key", w.Scoped[convstore.ScopeRead]), 200, "application/json")
	// Under /compat/elevenlabs on the main listener too.
	doortest.Expect(t, w.main.Do("GET", compat+"/v1/convai/users", nil, "xi-api-key", w.KeyA), 200, "application/json")
}

// TestOfficialSDKUsers runs testdata/sdk/users.mjs: conversationalAi.users.list
// of @elevenlabs/elevenlabs-js by base URL alone.
func TestOfficialSDKUsers(t *testing.T) {
	dir := doortest.NodeSDK(t, "testdata/sdk")
	w, cs := usersWorld(t)
	out := doortest.RunNode(t, dir, "users.mjs", map[string]string{
		"BASE_URL": w.main.URL + compat, "API_KEY": w.KeyA, "AFTER": strconv.FormatInt(cs["a2"].CreatedAt.Unix(), 10),
	})
	var got struct {
		All []string `json:"all"`
		Ann struct {
			First, Last         int64
			Conversation, Agent string
			AgentName           string `json:"agentName"`
			Scored              int
			Average             *float64
		} `json:"ann"`
		Pages                                 map[string][]string `json:"pages"`
		ByAgent, Search, SearchForeign, After []string
		Errors                                map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	join := func(s []string) string { return strings.Join(s, " ") }
	if join(got.All) != "ann:3 bob:1" || got.Ann.First != cs["a1"].CreatedAt.Unix() || got.Ann.Last != cs["a3"].CreatedAt.Unix() ||
		got.Ann.Conversation != cid(cs["a3"]) || got.Ann.Agent != "agent_support" || got.Ann.AgentName != "Support" ||
		got.Ann.Scored != 0 || got.Ann.Average != nil {
		t.Fatalf("findings %s", out)
	}
	if join(got.Pages["last_contact_unix_secs desc"]) != "ann:3 bob:1" || join(got.Pages["conversation_count asc"]) != "bob:1 ann:3" ||
		join(got.Pages["conversation_count desc"]) != "ann:3 bob:1" {
		t.Fatalf("pages %s", out)
	}
	if join(got.ByAgent) != "ann:2" || join(got.Search) != "bob:1" || len(got.SearchForeign) != 0 || join(got.After) != "ann:1" {
		t.Fatalf("filters %s", out)
	}
	want := map[string]string{"pageSize": "page_size", "branch": "branch_id", "sentiment": "sort_by", "cursor": "cursor", "badKey": "invalid_api_key"}
	for k, v := range want {
		if got.Errors[k] != v {
			t.Fatalf("errors %s", out)
		}
	}
}

// FuzzElevenLabsUsersCursor sends arbitrary cursors and search values to
// the users list: the answer is a page or a 422 in the door's format,
// never a 500, whatever the sort.
func FuzzElevenLabsUsersCursor(f *testing.F) {
	env := doortest.New(f)
	fz := env.Fuzzer(func(s *convhttp.Server) { s.Mount("/", elevenlabs.New(s)) })
	fz.Auth = func(h http.Header, key string) { h.Set("xi-api-key", key) }
	fz.Allowed = map[int]bool{200: true, 422: true}
	fz.ErrorType = "application/json"
	fz.CheckError = func(tb testing.TB, r *doortest.Response) {
		if !isDoorError(r.Body) {
			tb.Fatalf("%v: not an ElevenLabs error", r)
		}
	}
	w := &world{Env: env}
	mine := w.seed(env.TenantA, &convstore.ConversationCreate{UserID: "ann"})
	id := cid(mine)
	for _, c := range []string{
		"", "last.0." + id, "count.1." + id, "last." + id, "count.-1." + id, "count.99999999999999999999." + id,
		"last.253402300800000000." + id, "last.-62135596800000001." + id, "last.1.conv_", "count.1.." + id,
		"last.1." + id + ".x", "\x00", "\xff", "%", "rank.1", strings.Repeat("9", 500),
	} {
		for sort := range uint8(4) {
			f.Add(sort, c)
		}
	}
	f.Fuzz(func(t *testing.T, sort uint8, c string) {
		q := url.Values{"cursor": {c}, "page_size": {"1"}}
		if sort&1 != 0 {
			q.Set("sort_by", "conversation_count")
		}
		if sort&2 != 0 {
			q.Set("search", c)
		}
		r := fz.Check(t, http.MethodGet, "/v1/convai/users?"+q.Encode(), nil, env.KeyA)
		if r != nil && r.Status == 200 && r.ContentType() != "application/json" {
			t.Fatalf("%v: 200 %q", r, r.ContentType())
		}
	})
}
