package elevenlabs

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// pathUsers is conversationalAi.users.list.
const pathUsers = "/v1/convai/users"

// Values of the users list's sort_by (UsersSortBy).
const (
	usersByLastContact = "last_contact_unix_secs"
	usersByCount       = "conversation_count"
	usersBySentiment   = "average_sentiment_score"
)

// usersPage is GetConversationUsersPageResponseModel.
type usersPage struct {
	Users      []conversationUser `json:"users"`
	NextCursor *string            `json:"next_cursor,omitempty"`
	HasMore    bool               `json:"has_more"`
}

// conversationUser is ConversationUserResponseModel. The SDK requires
// user_id, the two contact times, conversation_count,
// last_contact_conversation_id and sentiment.
type conversationUser struct {
	UserID                    string           `json:"user_id"`
	LastContactUnixSecs       int64            `json:"last_contact_unix_secs"`
	FirstContactUnixSecs      int64            `json:"first_contact_unix_secs"`
	ConversationCount         int              `json:"conversation_count"`
	LastContactAgentID        *string          `json:"last_contact_agent_id,omitempty"`
	LastContactConversationID string           `json:"last_contact_conversation_id"`
	LastContactAgentName      *string          `json:"last_contact_agent_name,omitempty"`
	Sentiment                 sentimentSummary `json:"sentiment"`
}

// sentimentSummary is SentimentAggregate. convstore scores no sentiment:
// every count is 0 and the averages, optional, are absent.
type sentimentSummary struct {
	ScoredConversationCount       int `json:"scored_conversation_count"`
	PositiveCount                 int `json:"positive_count"`
	NeutralCount                  int `json:"neutral_count"`
	NegativeCount                 int `json:"negative_count"`
	RecentScoredConversationCount int `json:"recent_scored_conversation_count"`
	RecentPositiveCount           int `json:"recent_positive_count"`
	RecentNeutralCount            int `json:"recent_neutral_count"`
	RecentNegativeCount           int `json:"recent_negative_count"`
}

// usersCursor renders the position after u in a list sorted by count or
// by last contact: "count.N.conv_…" or "last.MICROS.conv_…" (the stored
// time to the microsecond, as the store compares it).
func usersCursor(u *convstore.ConversationUser, byCount bool) string {
	id := u.Latest.ID.Format(convstore.PrefixConversation)
	if byCount {
		return "count." + strconv.Itoa(u.Conversations) + "." + id
	}
	return "last." + strconv.FormatInt(u.LastAt.UnixMicro(), 10) + "." + id
}

// parseUsersCursor reads a cursor usersCursor rendered for the same sort
// into f.
func parseUsersCursor(s string, f *convstore.ConversationUserFilter) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return false
	}
	n, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return false
	}
	switch {
	case parts[0] == "count" && f.ByCount && n >= 0 && n <= 1<<31:
		f.AfterCount = int(n)
	case parts[0] == "last" && !f.ByCount && n >= convhttp.MinUnix*1e6 && n <= convhttp.MaxUnix*1e6:
		f.AfterLast = time.UnixMicro(n).UTC()
	default:
		return false
	}
	f.After, err = convstore.ParseID(convstore.PrefixConversation, "cursor", parts[2])
	return err == nil && !f.After.IsZero()
}

// parseUsers reads the users list's query parameters.
func parseUsers(r *http.Request) (convstore.ConversationUserFilter, error) {
	q := parseQuery(r)
	f := convstore.ConversationUserFilter{PageFilter: convstore.PageFilter{Limit: defaultPageSize, Order: convstore.OrderDesc}}
	if n, ok := q.integer("page_size", 1, convstore.MaxPageLimit); ok {
		f.Limit = int(n)
	}
	f.AgentID = q.text("agent_id", convstore.MaxExternalLen)
	f.UserID = q.text("search", convstore.MaxExternalLen) // "Search/filter by user ID (exact match)"
	f.CreatedBefore = q.unix("call_start_before_unix")
	if after := q.unix("call_start_after_unix"); after != nil {
		a := after.Add(time.Second - time.Nanosecond) // whole seconds, as in the list
		f.CreatedAfter = &a
	}
	switch q.enum("sort_by", usersByLastContact, usersByCount, usersBySentiment) {
	case usersByCount:
		f.ByCount = true
	case usersBySentiment:
		q.errs.add(validationItem{Type: "value_error", Loc: []any{"query", "sort_by"}, Input: usersBySentiment,
			Msg: "Value error, this server scores no sentiment, so it cannot sort users by average_sentiment_score: " +
				"sort by last_contact_unix_secs or conversation_count"})
	}
	if q.enum("sort_direction", "asc", "desc") == "asc" {
		f.Order = convstore.OrderAsc
	}
	// Conversations have no branches in convstore: a branch filter
	// cannot be honoured.
	q.unsupported("branch_id")
	if c, _, _ := q.q.String("cursor"); c != "" && q.errs.empty() && !parseUsersCursor(c, &f) {
		q.errs.add(validationItem{Type: "value_error", Loc: []any{"query", "cursor"}, Input: c,
			Msg: "Value error, invalid cursor (a cursor is only valid with the sort_by it was given for)"})
	}
	return f, q.err()
}

// listUsers serves GET /v1/convai/users: the distinct user ids of the
// tenant's conversations, each with its conversation count, first and
// last contact (start times) and newest conversation, newest last contact
// first by default. The store groups the conversations by the blind index
// of their user id, so a page opens one conversation per user listed.
func (d *Door) listUsers(w http.ResponseWriter, r *http.Request) error {
	f, err := parseUsers(r)
	if err != nil {
		return err
	}
	us, more, err := d.store.FindConversationUsers(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	page := usersPage{Users: make([]conversationUser, 0, len(us)), HasMore: more}
	for _, u := range us {
		c := u.Latest
		out := conversationUser{UserID: u.UserID, LastContactUnixSecs: u.LastAt.Unix(), FirstContactUnixSecs: u.FirstAt.Unix(),
			ConversationCount: u.Conversations, LastContactConversationID: c.ID.Format(convstore.PrefixConversation),
			LastContactAgentName: metaString(c.Metadata, metaAgentName)}
		if c.AgentID != "" {
			out.LastContactAgentID = &c.AgentID
		}
		page.Users = append(page.Users, out)
	}
	if more {
		c := usersCursor(us[len(us)-1], f.ByCount)
		page.NextCursor = &c
	}
	return convhttp.WriteJSON(w, http.StatusOK, page)
}
