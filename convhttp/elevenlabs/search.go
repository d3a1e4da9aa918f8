package elevenlabs

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Message search is a bounded decrypt-and-scan: content is sealed at rest,
// so there is no plaintext index to ask; each request opens the messages
// of the tenant's conversations newest first and stops at a bound.
const (
	// searchPageSize and maxSearchPageSize: ElevenLabs says "Max 50"; its
	// default is UNCONFIRMED.
	searchPageSize    = 20
	maxSearchPageSize = 50
	// maxQueryLen bounds text_query, in bytes; maxQueryTerms its words.
	maxQueryLen   = 1000
	maxQueryTerms = 32
)

// maxSearchConversations and maxSearchMessages bound what one request
// opens (variables so tests can lower them). Sorted by created_at a page
// that reaches them ends early with has_more and a cursor that continues
// the scan; sorted by search_score every match must be seen to rank them,
// so a search that covers more is a 422.
var (
	maxSearchConversations = 500
	maxSearchMessages      = 20000
)

// sortByScore and sortByCreated are the values of sort_by.
const (
	sortByScore   = "search_score"
	sortByCreated = "created_at"
)

// searchUnsupported are the documented text-search filters this door
// cannot honour (422, as for the list); the output-only parameters
// summary_mode and include_invalid_tool_calls are accepted and ignored.
var searchUnsupported = []string{
	"visited_agent_ids", "visited_agent_branch_ids", "triggered_procedure_ids",
	"call_successful", "call_duration_min_secs", "call_duration_max_secs",
	"rating_max", "rating_min", "has_feedback_comment",
	"evaluation_params", "data_collection_params", "dynamic_variable_params",
	"tool_names", "tool_names_successful", "tool_names_errored",
	"main_languages", "termination_reasons", "conversation_initiation_source", "text_only",
	"conversation_product_type", "branch_id", "version_id", "topic_ids",
}

// searchResult is MessagesSearchResult.
type searchResult struct {
	ConversationID   string             `json:"conversation_id"`
	AgentID          string             `json:"agent_id"`
	AgentName        *string            `json:"agent_name,omitempty"`
	TranscriptIndex  int                `json:"transcript_index"`
	ChunkText        string             `json:"chunk_text"`
	ChunkHighlights  []highlightSegment `json:"chunk_highlights"`
	Score            float64            `json:"score"`
	StartTimeUnixSec int64              `json:"conversation_start_time_unix_secs"`
}

// highlightSegment is SearchHighlightSegment.
type highlightSegment struct {
	Value string `json:"value"`
	IsHit bool   `json:"is_hit"`
}

// searchPage is MessagesSearchResponse.
type searchPage struct {
	Results    []searchResult `json:"results"`
	NextCursor *string        `json:"next_cursor,omitempty"`
	HasMore    bool           `json:"has_more"`
}

// searchRequest is a parsed text-search request.
type searchRequest struct {
	terms       [][]rune // the query's words, lower case
	store       convstore.ConversationFilter
	pageSize    int
	byScore     bool
	excludeDone bool
	from        searchCursor
}

// searchCursor is where a page starts. Sorted by created_at: inside the
// conversation conv after the message msg (zero: from its first message),
// whose transcript index is next; with done, after conv altogether.
// Sorted by search_score: the rank of the first result.
type searchCursor struct {
	conv, msg convstore.ID
	next      int
	done      bool
	rank      int
}

// format renders the cursor: "conv_…" (after that conversation),
// "conv_….first" (from its start), "conv_….msg_….N" (inside it) or
// "rank.N".
func (c searchCursor) format(byScore bool) string {
	if byScore {
		return "rank." + strconv.Itoa(c.rank)
	}
	s := c.conv.Format(convstore.PrefixConversation)
	if c.done {
		return s
	}
	if c.msg.IsZero() {
		return s + ".first"
	}
	return s + "." + c.msg.Format(convstore.PrefixMessage) + "." + strconv.Itoa(c.next)
}

// parseSearchCursor reads a cursor this door rendered for the same sort.
func parseSearchCursor(s string, byScore bool) (searchCursor, bool) {
	var c searchCursor
	parts := strings.Split(s, ".")
	if byScore {
		if len(parts) != 2 || parts[0] != "rank" {
			return c, false
		}
		n, err := strconv.Atoi(parts[1])
		c.rank = n
		return c, err == nil && n >= 0 && n <= maxSearchMessages
	}
	var err error
	if c.conv, err = convstore.ParseID(convstore.PrefixConversation, "cursor", parts[0]); err != nil {
		return c, false
	}
	switch len(parts) {
	case 1:
		c.done = true
		return c, true
	case 2:
		return c, parts[1] == "first"
	case 3:
		if c.msg, err = convstore.ParseID(convstore.PrefixMessage, "cursor", parts[1]); err != nil {
			return c, false
		}
		c.next, err = strconv.Atoi(parts[2])
		return c, err == nil && c.next >= 0
	}
	return c, false
}

// parseSearch reads the text search's query parameters.
func parseSearch(r *http.Request) (*searchRequest, error) {
	q := parseQuery(r)
	s := &searchRequest{pageSize: searchPageSize}
	if !q.q.Has("text_query") {
		q.errs.add(validationItem{Type: "missing", Loc: []any{"query", "text_query"}, Msg: "Field required"})
	} else if text := q.text("text_query", maxQueryLen); q.errs.empty() {
		s.terms = queryTerms(text)
		if len(s.terms) == 0 || len(s.terms) > maxQueryTerms {
			q.errs.add(validationItem{Type: "value_error", Loc: []any{"query", "text_query"}, Input: text,
				Msg: "Value error, text_query needs 1 to " + strconv.Itoa(maxQueryTerms) + " words (letters or digits)"})
		}
	}
	if n, ok := q.integer("page_size", 1, maxSearchPageSize); ok {
		s.pageSize = int(n)
	}
	s.store.AgentID = q.text("agent_id", convstore.MaxExternalLen)
	s.store.UserID = q.text("user_id", convstore.MaxExternalLen)
	s.store.CreatedBefore = q.unix("call_start_before_unix")
	if after := q.unix("call_start_after_unix"); after != nil {
		a := after.Add(1e9 - 1) // whole seconds, as in the list
		s.store.CreatedAfter = &a
	}
	s.store.Order = convstore.OrderDesc
	s.byScore = q.enum("sort_by", sortByScore, sortByCreated) == sortByScore
	s.excludeDone = slices.Contains(q.enumList("exclude_statuses", conversationStatuses...), statusDone)
	q.enum("summary_mode", "exclude", "include")
	q.unsupported(searchUnsupported...)
	if c, _, _ := q.q.String("cursor"); c != "" {
		var ok bool
		if s.from, ok = parseSearchCursor(c, s.byScore); !ok {
			q.errs.add(validationItem{Type: "value_error", Loc: []any{"query", "cursor"}, Input: c,
				Msg: "Value error, invalid cursor (a cursor is only valid with the sort_by it was given for)"})
		}
	}
	if err := q.err(); err != nil {
		return nil, err
	}
	return s, nil
}

// queryTerms splits a query into lower-case words of letters and digits.
func queryTerms(text string) [][]rune {
	var out [][]rune
	for _, w := range strings.FieldsFunc(text, notWordRune) {
		out = append(out, []rune(strings.Map(unicode.ToLower, w)))
	}
	return out
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// match reports whether text holds every term (case-insensitively, as a
// substring, so "refund" finds "refunds") and returns its highlights and
// score: the share of the text's words that hold a term.
func match(text string, terms [][]rune) ([]highlightSegment, float64, bool) {
	orig := []rune(text)
	lower := make([]rune, len(orig))
	for i, r := range orig {
		lower[i] = unicode.ToLower(r)
	}
	hit := make([]bool, len(orig))
	for _, t := range terms {
		found := false
		for i := 0; i+len(t) <= len(lower); i++ {
			if slices.Equal(lower[i:i+len(t)], t) {
				found = true
				for j := i; j < i+len(t); j++ {
					hit[j] = true
				}
			}
		}
		if !found {
			return nil, 0, false
		}
	}
	var segs []highlightSegment
	words, hitWords := 0, 0
	inWord, wordHit := false, false
	for i, r := range orig {
		if n := len(segs); n > 0 && segs[n-1].IsHit == hit[i] {
			segs[n-1].Value += string(r)
		} else {
			segs = append(segs, highlightSegment{Value: string(r), IsHit: hit[i]})
		}
		if notWordRune(r) {
			if inWord && wordHit {
				hitWords++
			}
			inWord, wordHit = false, false
			continue
		}
		if !inWord {
			words++
			inWord = true
		}
		wordHit = wordHit || hit[i]
	}
	if inWord && wordHit {
		hitWords++
	}
	return segs, float64(hitWords) / float64(max(words, 1)), true
}

// errSearchTooBroad answers a search_score search over more than the
// bound: ranking needs every match.
func errSearchTooBroad() error {
	return &validationError{items: []validationItem{{Type: "value_error", Loc: []any{"query", "sort_by"},
		Msg: "Value error, sorted by search_score a search covers at most " + strconv.Itoa(maxSearchConversations) +
			" conversations and " + strconv.Itoa(maxSearchMessages) + " messages, and this one covers more: narrow it with " +
			"call_start_after_unix, call_start_before_unix, agent_id or user_id, or sort by created_at, which pages through any number",
		Input: sortByScore}}, base: convstore.Invalidf("sort_by", "search too broad to rank")}
}

// scanner walks a tenant's conversations newest first, and their messages
// oldest first, within the request's bound.
type scanner struct {
	d              *Door
	tid            convstore.ID
	req            *searchRequest
	convs, msgs    int
	results        []searchResult
	pos            searchCursor // where the scan stands (for the next page)
	bounded, ended bool
}

// textSearch serves GET /v1/convai/conversations/messages/text-search.
func (d *Door) textSearch(w http.ResponseWriter, r *http.Request) error {
	req, err := parseSearch(r)
	if err != nil {
		return err
	}
	page := searchPage{Results: []searchResult{}}
	if req.excludeDone { // every stored conversation is "done"
		return convhttp.WriteJSON(w, http.StatusOK, page)
	}
	sc := &scanner{d: d, tid: convhttp.Tenant(r), req: req}
	want := req.pageSize // created_at: stop once the page is full
	if req.byScore {
		want = -1 // every match, to rank them
	}
	if err := sc.run(r.Context(), want); err != nil {
		return err
	}
	if req.byScore {
		if sc.bounded {
			return errSearchTooBroad()
		}
		slices.SortStableFunc(sc.results, func(a, b searchResult) int {
			switch {
			case a.Score > b.Score:
				return -1
			case a.Score < b.Score:
				return 1
			}
			return 0
		})
		from := min(req.from.rank, len(sc.results))
		to := min(from+req.pageSize, len(sc.results))
		page.Results = append(page.Results, sc.results[from:to]...)
		if to < len(sc.results) {
			c := searchCursor{rank: to}.format(true)
			page.NextCursor, page.HasMore = &c, true
		}
		return convhttp.WriteJSON(w, http.StatusOK, page)
	}
	page.Results = append(page.Results, sc.results...)
	if !sc.ended {
		c := sc.pos.format(false)
		page.NextCursor, page.HasMore = &c, true
	}
	return convhttp.WriteJSON(w, http.StatusOK, page)
}

// run scans until want results (-1: all), the bound, or the end.
func (sc *scanner) run(ctx context.Context, want int) error {
	f := sc.req.store
	from := sc.req.from
	if !from.conv.IsZero() {
		f.After = from.conv
		if !from.done { // finish the conversation the last page stopped in
			c, err := sc.d.store.FindConversationByID(ctx, sc.tid, from.conv)
			if err == nil {
				if full, err := sc.conversation(ctx, c, from.msg, from.next, want); err != nil || full {
					return err
				}
			} else if convstore.ErrorCode(err) != convstore.ENOTFOUND {
				return err
			}
		}
	}
	for {
		f.Limit = min(convstore.MaxPageLimit, maxSearchConversations-sc.convs+1)
		cs, more, err := sc.d.store.FindConversations(ctx, sc.tid, f)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if sc.convs >= maxSearchConversations {
				sc.bounded = true
				sc.pos = searchCursor{conv: f.After, done: true}
				return nil
			}
			sc.convs++
			if full, err := sc.conversation(ctx, c, convstore.ID{}, 0, want); err != nil || full {
				return err
			}
			f.After = c.ID
		}
		if !more || len(cs) == 0 {
			sc.ended = true
			return nil
		}
	}
}

// conversation scans c's messages after msg (transcript index next on);
// true when the scan stops inside or right after it (page full or bound),
// with sc.pos set to continue.
func (sc *scanner) conversation(ctx context.Context, c *convstore.Conversation, after convstore.ID, next, want int) (bool, error) {
	cid := c.ID.Format(convstore.PrefixConversation)
	agentName := metaString(c.Metadata, metaAgentName)
	for {
		if sc.msgs >= maxSearchMessages {
			sc.bounded = true
			sc.pos = searchCursor{conv: c.ID, msg: after, next: next} // msg zero: from c's start
			return true, nil
		}
		limit := min(convstore.MaxPageLimit, maxSearchMessages-sc.msgs)
		ms, more, err := sc.d.store.FindMessages(ctx, sc.tid, c.ID, convstore.MessageFilter{
			PageFilter: convstore.PageFilter{After: after, Limit: limit, Order: convstore.OrderAsc}})
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return false, nil // deleted meanwhile
		} else if err != nil {
			return false, err
		}
		for i, m := range ms {
			sc.msgs++
			after = m.ID
			if m.Role == convstore.RoleSystem { // not in the transcript
				continue
			}
			idx := next
			next++
			if m.Content == "" {
				continue
			}
			segs, score, ok := match(m.Content, sc.req.terms)
			if !ok {
				continue
			}
			sc.results = append(sc.results, searchResult{ConversationID: cid, AgentID: c.AgentID, AgentName: agentName,
				TranscriptIndex: idx, ChunkText: m.Content, ChunkHighlights: segs, Score: score,
				StartTimeUnixSec: c.CreatedAt.Unix()})
			if want > 0 && len(sc.results) == want {
				sc.pos = searchCursor{conv: c.ID, msg: m.ID, next: next}
				if !more && i == len(ms)-1 {
					sc.pos = searchCursor{conv: c.ID, done: true}
				}
				return true, nil
			}
		}
		if !more || len(ms) == 0 {
			return false, nil
		}
	}
}
