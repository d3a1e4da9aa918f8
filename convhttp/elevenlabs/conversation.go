package elevenlabs

import (
	"net/http"
	"slices"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// List paging: ElevenLabs' page_size is 1..100, default 30.
const (
	defaultPageSize = 30
	// maxScanPages bounds the store pages one list request examines when
	// post-filters (call_successful, call duration) skip conversations; the
	// page then ends early with has_more and a cursor past what was seen.
	maxScanPages = 10
)

// unsupportedFilters are documented list filters this server cannot
// honour; they are rejected with 422 rather than silently ignored.
var unsupportedFilters = []string{
	"visited_agent_ids", "visited_agent_branch_ids", "triggered_procedure_ids",
	"rating_max", "rating_min", "has_feedback_comment",
	"evaluation_params", "data_collection_params", "dynamic_variable_params",
	"tool_names", "tool_names_successful", "tool_names_errored",
	"main_languages", "search", "conversation_initiation_source", "text_only",
	"conversation_product_type", "branch_id", "version_id", "parent_conversation_id",
	"topic_ids", "workflow_node_entered_id", "termination_reasons",
	"guardrail_types", "custom_guardrail_names",
}

// listFilter is a parsed list request.
type listFilter struct {
	store          convstore.ConversationFilter
	pageSize       int
	callSuccessful string
	minSecs        *int64
	maxSecs        *int64
	excludeDone    bool
	withSummary    bool
	tagIDs         []string // conversations carrying every one (see tags.go)
}

// postFiltered reports whether conversations are filtered after loading.
func (f *listFilter) postFiltered() bool {
	return f.callSuccessful != "" || f.minSecs != nil || f.maxSecs != nil || len(f.tagIDs) > 0
}

// parseList reads the list's query parameters.
func parseList(r *http.Request) (*listFilter, error) {
	q := parseQuery(r)
	f := &listFilter{pageSize: defaultPageSize, withSummary: true}
	f.store.After = q.cursor()
	if n, ok := q.integer("page_size", 1, convstore.MaxPageLimit); ok {
		f.pageSize = int(n)
	}
	f.store.AgentID = q.text("agent_id", convstore.MaxExternalLen)
	f.store.UserID = q.text("user_id", convstore.MaxExternalLen)
	f.store.CreatedBefore = q.unix("call_start_before_unix")
	if after := q.unix("call_start_after_unix"); after != nil {
		// Start times are whole seconds: "after T" is from T+1 on.
		a := after.Add(time.Second - time.Nanosecond)
		f.store.CreatedAfter = &a
	}
	f.callSuccessful = q.enum("call_successful", successResults...)
	if n, ok := q.integer("call_duration_min_secs", 0, 1<<40); ok {
		f.minSecs = &n
	}
	if n, ok := q.integer("call_duration_max_secs", 0, 1<<40); ok {
		f.maxSecs = &n
	}
	f.excludeDone = slices.Contains(q.enumList("exclude_statuses", conversationStatuses...), statusDone)
	switch q.enum("sort_direction", "asc", "desc") {
	case "asc":
		f.store.Order = convstore.OrderAsc
	default:
		f.store.Order = convstore.OrderDesc
	}
	f.withSummary = q.enum("summary_mode", "exclude", "include") != "exclude"
	f.tagIDs = q.tagFilter()
	// data_collection_ids, evaluation_criteria_ids and
	// include_invalid_tool_calls are accepted and ignored: they only shape
	// optional output this server does not produce. Unknown parameters are
	// ignored, as FastAPI does.
	q.unsupported(unsupportedFilters...)
	if err := q.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// listConversations serves GET /v1/convai/conversations: newest first by
// default, paged by an opaque cursor (the native id of the last
// conversation examined).
func (d *Door) listConversations(w http.ResponseWriter, r *http.Request) error {
	f, err := parseList(r)
	if err != nil {
		return err
	}
	page := conversationsPage{Conversations: []conversationSummary{}}
	if f.excludeDone { // every stored conversation is "done"
		return convhttp.WriteJSON(w, http.StatusOK, page)
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	sf := f.store
	sf.Limit = f.pageSize
	if f.postFiltered() {
		sf.Limit = convstore.MaxPageLimit
	}
	var last convstore.ID
	for scanned := 0; ; scanned++ {
		// A store page with each conversation's newest message's offsets
		// and its newest summary and analysis, which the store keeps on
		// the conversation: one read of the page.
		digests, more, err := d.store.FindConversationDigests(ctx, tid, sf,
			convstore.DigestOptions{Offsets: true, Newest: analysisArtifacts})
		if err != nil {
			return err
		}
		ids := make([]convstore.ID, len(digests))
		for i, dg := range digests {
			ids[i] = dg.Conversation.ID
		}
		tags, err := d.tagIDsOf(ctx, tid, ids)
		if err != nil {
			return err
		}
		for i, dg := range digests {
			c := dg.Conversation
			last = c.ID
			an, _ := analysisHead(c, dg.Newest[0], dg.Newest[1])
			s, keep := summarize(c, callDurationOf(c, dg.LastStartOffset, dg.LastEndOffset), an, f)
			s.TagIDs = tagList(tags[c.ID])
			keep = keep && hasTags(s.TagIDs, f.tagIDs)
			if keep {
				page.Conversations = append(page.Conversations, s)
			}
			if len(page.Conversations) == f.pageSize {
				page.HasMore = more || i < len(digests)-1
				return writePage(w, page, last)
			}
		}
		if !more || len(digests) == 0 {
			return writePage(w, page, last)
		}
		if scanned+1 >= maxScanPages {
			page.HasMore = true
			return writePage(w, page, last)
		}
		sf.After = last
	}
}

// writePage sets next_cursor when more follow and writes the page.
func writePage(w http.ResponseWriter, page conversationsPage, last convstore.ID) error {
	if page.HasMore {
		c := last.Format(convstore.PrefixConversation)
		page.NextCursor = &c
	}
	return convhttp.WriteJSON(w, http.StatusOK, page)
}

// summarize builds a conversation's summary from its call duration and
// analysis (nil for none) and applies the post-filters.
func summarize(c *convstore.Conversation, duration int64, an *callAnalysis, f *listFilter) (conversationSummary, bool) {
	s := conversationSummary{
		AgentID:           c.AgentID,
		AgentName:         metaString(c.Metadata, metaAgentName),
		ConversationID:    c.ID.Format(convstore.PrefixConversation),
		StartTimeUnixSecs: c.CreatedAt.Unix(),
		CallDurationSecs:  duration,
		MessageCount:      c.MessageCount,
		Status:            statusDone,
		CallSuccessful:    successUnknown,
		Direction:         metaString(c.Metadata, metaDirection),
	}
	if c.Title != "" {
		t := c.Title
		s.CallSummaryTitle = &t
	}
	if an != nil {
		s.CallSuccessful = an.CallSuccessful
		s.CallSummaryTitle = an.CallSummaryTitle
		if f.withSummary && an.TranscriptSummary != "" {
			t := an.TranscriptSummary
			s.TranscriptSummary = &t
		}
	}
	keep := (f.callSuccessful == "" || s.CallSuccessful == f.callSuccessful) &&
		(f.minSecs == nil || s.CallDurationSecs >= *f.minSecs) &&
		(f.maxSecs == nil || s.CallDurationSecs <= *f.maxSecs)
	return s, keep
}

// conversationID parses {conversation_id}. ElevenLabs ids are plain
// strings, so a malformed one is simply not found (never a 422).
func conversationID(r *http.Request) (convstore.ID, error) {
	id, err := convstore.ParseID(convstore.PrefixConversation, "conversation_id", r.PathValue("conversation_id"))
	if err != nil {
		return id, errConversationNotFound
	}
	return id, nil
}

// findConversation loads the path's conversation in the caller's tenant.
func (d *Door) findConversation(r *http.Request) (*convstore.Conversation, error) {
	id, err := conversationID(r)
	if err != nil {
		return nil, err
	}
	c, err := d.store.FindConversationByID(r.Context(), convhttp.Tenant(r), id)
	return c, notFound(err)
}

// getConversation serves GET /v1/convai/conversations/{conversation_id}:
// the whole transcript with metadata, analysis and audio flags. Everything
// but the transcript is read first (so a failure is still a clean error);
// the transcript is then streamed a store page at a time, up to the newest
// message when the request began, which also gives the call duration.
func (d *Door) getConversation(w http.ResponseWriter, r *http.Request) error {
	c, err := d.findConversation(r)
	if err != nil {
		return err
	}
	q := parseQuery(r)
	if q.enum("format", "json", "opentelemetry") == "opentelemetry" {
		q.unsupported("format")
	}
	if err := q.err(); err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	head := conversationHead{
		AgentID:        c.AgentID,
		AgentName:      metaString(c.Metadata, metaAgentName),
		ConversationID: c.ID.Format(convstore.PrefixConversation),
		Status:         statusDone,
	}
	if c.UserID != "" {
		u := c.UserID
		head.UserID = &u
	}
	tags, err := d.tagIDsOf(ctx, tid, []convstore.ID{c.ID})
	if err != nil {
		return err
	}
	head.TagIDs = tagList(tags[c.ID])
	pages, err := convhttp.OpenMessagePages(ctx, d.store, tid, c.ID)
	if err != nil {
		return notFound(err)
	}
	tail := conversationTail{Metadata: callMetadata{
		StartTimeUnixSecs: c.CreatedAt.Unix(),
		CallDurationSecs:  callDuration(c, pages.Last()),
		MainLanguage:      metaString(c.Metadata, metaMainLanguage),
		TerminationReason: metaString(c.Metadata, metaTerminationReason),
	}}
	if tail.Analysis, err = d.loadAnalysis(ctx, tid, c); err != nil {
		return notFound(err)
	}
	if tail.Metadata.Feedback, err = d.loadFeedback(ctx, tid, c.ID); err != nil {
		return notFound(err)
	}
	audio, err := d.audioAttachments(ctx, tid, c.ID)
	if err != nil {
		return notFound(err)
	}
	tail.HasAudio, tail.HasUserAudio = audio.main != nil, audio.user
	tail.HasResponseAudio, tail.HasAuxiliaryAudio = audio.response, audio.auxiliary

	st := convhttp.NewJSONStream(w, r, http.StatusOK)
	if st.Head() {
		return st.Finish()
	}
	st.OpenObject()
	st.Members(head)
	st.Key("transcript")
	st.OpenArray()
	err = pages.Each(ctx, func(m *convstore.Message) error {
		if t, ok := toTranscript(m); ok {
			st.Value(t)
		}
		return st.Err()
	})
	if err != nil {
		return notFound(err)
	}
	st.Close()
	st.Members(tail)
	st.Close()
	return st.Finish()
}

// toTranscript renders a message as a transcript turn; false for system
// messages, which ElevenLabs transcripts never show.
func toTranscript(m *convstore.Message) (transcript, bool) {
	if m.Role == convstore.RoleSystem {
		return transcript{}, false
	}
	t := transcript{Role: roleAgent, ToolCalls: []jsonRaw{}, ToolResults: []jsonRaw{}}
	if m.Role == convstore.RoleUser {
		t.Role = roleUser
	}
	if m.Content != "" {
		s := m.Content
		t.Message = &s
	}
	if m.StartOffset != nil {
		t.TimeInCallSecs = seconds(*m.StartOffset)
	}
	return t, true
}

// deleteConversation serves DELETE /v1/convai/conversations/{conversation_id}:
// a permanent delete of the conversation with its messages, artifacts and
// attachments, answered 200 with the JSON body null.
func (d *Door) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	if _, err := d.store.DeleteConversation(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName)); err != nil {
		return notFound(err)
	}
	return convhttp.WriteJSON(w, http.StatusOK, nil)
}
