package elevenlabs_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/elevenlabs"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// hit is one text-search result as the wire has it.
type hit struct {
	ConversationID  string  `json:"conversation_id"`
	AgentID         string  `json:"agent_id"`
	AgentName       *string `json:"agent_name"`
	TranscriptIndex int     `json:"transcript_index"`
	ChunkText       string  `json:"chunk_text"`
	Highlights      []struct {
		Value string `json:"value"`
		IsHit bool   `json:"is_hit"`
	} `json:"chunk_highlights"`
	Score float64 `json:"score"`
	Start int64   `json:"conversation_start_time_unix_secs"`
}

type hitPage struct {
	Results    []hit   `json:"results"`
	NextCursor *string `json:"next_cursor"`
	HasMore    bool    `json:"has_more"`
}

// search runs a text search with tenant A's key and decodes the page.
func (w *world) search(t *testing.T, query string) hitPage {
	t.Helper()
	r := w.do("GET", "/v1/convai/conversations/messages/text-search?"+query)
	doortest.Expect(t, r, 200, "application/json")
	var p hitPage
	r.JSON(t, &p)
	return p
}

// onEngines runs fn over a SQLite store and over a PostgreSQL one (skipped
// when CONVSTORE_TEST_POSTGRES_URL is unset): the search reads through the
// store's interfaces, which both engines serve.
func onEngines(t *testing.T, fn func(t *testing.T, w *world)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, setup(t)) })
	t.Run("postgres", func(t *testing.T) {
		db := pgtest.OpenSchema(t, pgtest.NewSchema(t), postgres.Options{})
		svc := service.New(db, db.Blobs(), service.Options{Keyring: servicetest.NewKeyring(t), Logger: servicetest.Logger(t)})
		t.Cleanup(func() { svc.Close() })
		env := doortest.NewWithStore(t, svc)
		fn(t, &world{Env: env, own: env.Serve(func(s *convhttp.Server) { s.Mount("/", elevenlabs.New(s)) })})
	})
}

// searchWorld seeds three conversations of tenant A (oldest first) and one
// of tenant B that all mention refunds somewhere.
func searchWorld(t *testing.T) (*world, []*convstore.Conversation) {
	return searchSeed(setup(t))
}

func searchSeed(w *world) (*world, []*convstore.Conversation) {
	a := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_a", UserID: "u1",
		Metadata: convstore.Metadata{"elevenlabs.agent_name": "Support"},
		Messages: []*convstore.MessageCreate{
			{Role: convstore.RoleSystem, Content: "Never promise a refund."}, // not in the transcript
			{Role: convstore.RoleAssistant, Content: "Hello!"},
			{Role: convstore.RoleUser, Content: "I want a REFUND for my order."},
		}})
	b := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_b",
		Messages: []*convstore.MessageCreate{
			{Role: convstore.RoleUser, Content: "Refund refund refund"},
			{Role: convstore.RoleAssistant, Content: "Refunds take a week, sorry about the order."},
			{Role: convstore.RoleUser, Content: "thanks"},
		}})
	c := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "agent_a",
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "Where is my parcel?"}}})
	w.seed(w.TenantB, &convstore.ConversationCreate{AgentID: "agent_a",
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "refund please"}}})
	return w, []*convstore.Conversation{a, b, c}
}

// TestTextSearch: keyword search over the tenant's transcripts, newest
// conversation first, with transcript indexes that skip system messages,
// highlights that rebuild the text, paging that yields the same results,
// and never another tenant's messages.
func TestTextSearch(t *testing.T) { onEngines(t, testTextSearch) }

func testTextSearch(t *testing.T, w *world) {
	w, cs := searchSeed(w)
	a, b := cs[0], cs[1]
	p := w.search(t, "text_query=refund")
	if p.HasMore || p.NextCursor != nil || len(p.Results) != 3 {
		t.Fatalf("page %+v", p)
	}
	want := []struct {
		conv string
		idx  int
		text string
	}{{cid(b), 0, "Refund refund refund"}, {cid(b), 1, "Refunds take a week, sorry about the order."}, {cid(a), 1, "I want a REFUND for my order."}}
	for i, h := range p.Results {
		if h.ConversationID != want[i].conv || h.TranscriptIndex != want[i].idx || h.ChunkText != want[i].text {
			t.Fatalf("result %d: %+v, want %+v", i, h, want[i])
		}
		var rebuilt strings.Builder
		hits := 0
		for _, s := range h.Highlights {
			rebuilt.WriteString(s.Value)
			if s.IsHit {
				hits++
				if !strings.EqualFold(s.Value, "refund") {
					t.Fatalf("result %d: hit %q", i, s.Value)
				}
			}
		}
		if rebuilt.String() != h.ChunkText || hits == 0 || h.Score <= 0 || h.Score > 1 {
			t.Fatalf("result %d: highlights %+v score %v", i, h.Highlights, h.Score)
		}
	}
	if p.Results[2].AgentName == nil || *p.Results[2].AgentName != "Support" || p.Results[2].AgentID != "agent_a" ||
		p.Results[2].Start != a.CreatedAt.Unix() || p.Results[0].AgentName != nil {
		t.Fatalf("conversation fields %+v", p.Results)
	}

	// Every word must occur; words match case-insensitively inside longer
	// words; filters narrow the conversations.
	if p := w.search(t, "text_query="+url.QueryEscape("order REFUND")); len(p.Results) != 2 ||
		p.Results[0].TranscriptIndex != 1 || p.Results[1].ConversationID != cid(a) {
		t.Fatalf("two words %+v", p)
	}
	if p := w.search(t, "text_query=refund&agent_id=agent_a"); len(p.Results) != 1 || p.Results[0].ConversationID != cid(a) {
		t.Fatalf("agent filter %+v", p)
	}
	if p := w.search(t, "text_query=refund&user_id=u1"); len(p.Results) != 1 || p.Results[0].ConversationID != cid(a) {
		t.Fatalf("user filter %+v", p)
	}
	if p := w.search(t, "text_query=promise"); len(p.Results) != 0 || p.HasMore {
		t.Fatalf("system message found %+v", p)
	}
	if p := w.search(t, "text_query=refund&exclude_statuses=done"); len(p.Results) != 0 {
		t.Fatalf("exclude done %+v", p)
	}

	// Paging one result at a time gives the same results in the same order.
	var paged []hit
	cursor := ""
	for i := 0; ; i++ {
		if i > 5 {
			t.Fatal("paging does not end")
		}
		p := w.search(t, "text_query=refund&page_size=1"+cursor)
		paged = append(paged, p.Results...)
		if !p.HasMore {
			break
		}
		cursor = "&cursor=" + url.QueryEscape(*p.NextCursor)
	}
	if len(paged) != 3 || paged[0].TranscriptIndex != 0 || paged[1].TranscriptIndex != 1 || paged[2].ConversationID != cid(a) {
		t.Fatalf("paged %+v", paged)
	}

	// search_score: the densest match first ("Refund refund refund").
	s := w.search(t, "text_query=refund&sort_by=search_score&page_size=2")
	if len(s.Results) != 2 || !s.HasMore || s.Results[0].ChunkText != "Refund refund refund" || s.Results[0].Score != 1 ||
		s.Results[1].Score < s.Results[0].Score && s.Results[1].Score > 0.5 {
		t.Fatalf("by score %+v", s)
	}
	rest := w.search(t, "text_query=refund&sort_by=search_score&page_size=2&cursor="+url.QueryEscape(*s.NextCursor))
	if len(rest.Results) != 1 || rest.HasMore || rest.Results[0].Score > s.Results[1].Score {
		t.Fatalf("by score, page 2 %+v", rest)
	}

	// Tenant B sees only its own conversation.
	r := w.own.Do("GET", "/v1/convai/conversations/messages/text-search?text_query=refund", nil, "xi-api-key", w.KeyB)
	doortest.Expect(t, r, 200, "application/json")
	var pb hitPage
	r.JSON(t, &pb)
	if len(pb.Results) != 1 || pb.Results[0].ChunkText != "refund please" {
		t.Fatalf("tenant B %+v", pb)
	}
}

// TestTextSearchBounds: sorted by created_at a page that reaches the
// bound ends early and its cursor continues, so paging still finds every
// match; sorted by search_score a search over more than the bound is a
// 422 naming sort_by.
func TestTextSearchBounds(t *testing.T) { onEngines(t, testTextSearchBounds) }

func testTextSearchBounds(t *testing.T, w *world) {
	w, _ = searchSeed(w)
	defer elevenlabs.SetSearchBounds(1, 2)()
	var all []hit
	cursor, pages := "", 0
	for ; pages < 20; pages++ {
		p := w.search(t, "text_query=refund"+cursor)
		all = append(all, p.Results...)
		if !p.HasMore {
			break
		}
		cursor = "&cursor=" + url.QueryEscape(*p.NextCursor)
	}
	if len(all) != 3 || pages < 3 {
		t.Fatalf("bounded paging: %d pages, %+v", pages+1, all)
	}
	validation(t, w.do("GET", "/v1/convai/conversations/messages/text-search?text_query=refund&sort_by=search_score"), "sort_by", "value_error")

	// Within the bound a ranked search answers.
	restore := elevenlabs.SetSearchBounds(10, 100)
	defer restore()
	if p := w.search(t, "text_query=refund&sort_by=search_score"); len(p.Results) != 3 {
		t.Fatalf("ranked %+v", p)
	}
}

// TestTextSearchValidation: bad parameters are pydantic 422s.
func TestTextSearchValidation(t *testing.T) {
	w, _ := searchWorld(t)
	base := "/v1/convai/conversations/messages/text-search?"
	validation(t, w.do("GET", base), "text_query", "missing")
	validation(t, w.do("GET", base+"text_query=%20!%20"), "text_query", "value_error")
	validation(t, w.do("GET", base+"text_query=x&page_size=51"), "page_size", "less_than_equal")
	validation(t, w.do("GET", base+"text_query=x&sort_by=relevance"), "sort_by", "enum")
	validation(t, w.do("GET", base+"text_query=x&tool_names=refund"), "tool_names", "value_error")
	validation(t, w.do("GET", base+"text_query=x&cursor=nonsense"), "cursor", "value_error")
	validation(t, w.do("GET", base+"text_query=x&sort_by=search_score&cursor=conv_01m8pfgzpnepf8eew0phv59r57"), "cursor", "value_error")
	// A cursor naming an unknown or foreign conversation just continues
	// after it: no error, nothing of the other tenant.
	if p := w.search(t, "text_query=refund&cursor=conv_7zzzzzzzzzzzzzzzzzzzzzzzzz.first"); len(p.Results) != 3 {
		t.Fatalf("unknown cursor conversation %+v", p)
	}
	r := w.own.Do("GET", base+"text_query=x", nil, "xi-api-key", "bad")
	errorDetail(t, r, 401, "invalid_api_key")
}

// TestUnserved: the SDK methods convstore cannot serve answer 501
// not_supported_by_convstore with a message saying why, the same for any
// id and any tenant; a bad key is still 401.
func TestUnserved(t *testing.T) {
	w, cs := searchWorld(t)
	own := cid(cs[0])
	paths := []struct{ method, path, word string }{
		{"GET", "/v1/convai/conversation/get-signed-url?agent_id=agent_a", "signed URL"},
		{"GET", "/v1/convai/conversation/token?agent_id=agent_a", "WebRTC"},
		{"GET", "/v1/convai/conversations/resolve?agent_id=a&reference=https://x.zendesk.com/agent/tickets/1", "Zendesk"},
		{"GET", "/v1/convai/conversations/messages/smart-search?text_query=refund", "textSearch"},
		{"POST", "/v1/convai/conversations/" + own + "/analysis/run", "analysis"},
		{"POST", "/v1/convai/conversations/conv_01m8pfgzpnepf8eew0phv59r57/analysis/evaluations/run", "evaluations"},
		{"GET", "/v1/convai/agents/agent_a/topics", "topic"},
	}
	for _, p := range paths {
		for _, key := range []string{w.KeyA, w.KeyB, w.Scoped[convstore.ScopeRead]} {
			r := w.own.Do(p.method, p.path, nil, "xi-api-key", key)
			d := errorDetail(t, r, 501, "not_supported_by_convstore")
			if msg, _ := d["message"].(string); !strings.Contains(msg, p.word) || !strings.Contains(msg, "convstore") {
				t.Fatalf("%s %s: message %q", p.method, p.path, msg)
			}
		}
		errorDetail(t, w.own.Do(p.method, p.path, nil, "xi-api-key", "bad"), 401, "invalid_api_key")
	}
	// The served routes beside them are untouched.
	r := w.do("GET", "/v1/convai/conversations/"+own)
	doortest.Expect(t, r, 200, "application/json")
	var got map[string]json.RawMessage
	r.JSON(t, &got)
	if string(got["conversation_id"]) != `"`+own+`"` {
		t.Fatalf("get %s", r.Body)
	}
}
