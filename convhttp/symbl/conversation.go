package symbl

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Bounds of GET /v1/conversations.
const (
	defaultListLimit = 20
	maxListLimit     = 65536 // Symbl's documented maximum
	defaultWindow    = 7 * 24 * time.Hour
	sortStartTime    = "conversation.startTime"
)

// toConversation renders a conversation. Symbl's startTime and endTime are
// the times the conversation was created and last changed, the times the
// list's startTime/endTime window filters on; members are the distinct
// authors of its messages.
func toConversation(c *convstore.Conversation, members []member) conversation {
	name := c.Title
	if name == "" {
		name = conversationID(c) // Symbl's default name is the id
	}
	meta := map[string]string{}
	for k, v := range c.Metadata {
		if !strings.HasPrefix(k, "symbl.") {
			meta[k] = v
		}
	}
	if members == nil {
		members = []member{}
	}
	return conversation{
		ID: conversationID(c), Type: "meeting", Name: name,
		StartTime: formatTime(c.CreatedAt), EndTime: formatTime(c.UpdatedAt),
		Members: members, Metadata: meta,
	}
}

// getConversation serves GET /v1/conversations/{conversationId}.
func (d *Door) getConversation(w http.ResponseWriter, r *http.Request) error {
	conv, err := d.findConversation(r)
	if err != nil {
		return err
	}
	members, err := d.members(r.Context(), convhttp.Tenant(r), conv.ID)
	if err != nil {
		return notFoundAs(err)
	}
	return ok(w, toConversation(conv, members))
}

// listMembers serves GET /v1/conversations/{conversationId}/members.
func (d *Door) listMembers(w http.ResponseWriter, r *http.Request) error {
	conv, err := d.findConversation(r)
	if err != nil {
		return err
	}
	members, err := d.members(r.Context(), convhttp.Tenant(r), conv.ID)
	if err != nil {
		return notFoundAs(err)
	}
	if members == nil {
		members = []member{}
	}
	return ok(w, struct {
		Members []member `json:"members"`
	}{members})
}

// deleteConversation serves DELETE /v1/conversations/{conversationId}: a
// permanent, cascading delete.
func (d *Door) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	conv, err := d.findConversation(r)
	if err != nil {
		return err
	}
	if _, err := d.store.DeleteConversation(r.Context(), convhttp.Tenant(r), conv.ID, convhttp.DeleteParams(r, DoorName)); err != nil {
		return notFoundAs(err)
	}
	return ok(w, messageBody{Message: "successfully deleted the conversation"})
}

// listQuery is the parsed query of GET /v1/conversations.
type listQuery struct {
	limit, offset int
	order         convstore.Order
	start, end    time.Time
}

// queryRules read query strings as Symbl's servers do: unknown parameters
// are ignored, as SDKs may send more, a repeated one takes its first value
// and an empty one counts as absent.
var queryRules = &convhttp.QueryRules{Repeated: convhttp.RepeatFirst, Absent: []string{""}, Wrap: queryError}

// queryError phrases a bad query parameter as Joi does.
func queryError(e *convhttp.ParamError) error {
	switch e.Kind {
	case convhttp.QueryMalformed:
		return badRequest("The query string is malformed")
	case convhttp.ParamNotInteger, convhttp.ParamTooSmall, convhttp.ParamTooLarge:
		return badRequest(`"%s" must be an integer between %d and %d`, e.Name, e.Min, e.Max)
	case convhttp.ParamNotAllowed:
		return badRequest(`"%s" must be one of [%s]`, e.Name, strings.Join(e.Allowed, ", "))
	case convhttp.ParamBadTime:
		return badRequest(`"%s" must be a valid ISO 8601 date`, e.Name)
	}
	return badRequest(`"%s" is invalid`, e.Name)
}

// parseListQuery validates the list's query parameters.
func parseListQuery(raw string, t time.Time) (*listQuery, error) {
	v, err := queryRules.ParseRaw(raw)
	if err != nil {
		return nil, err
	}
	q := &listQuery{limit: defaultListLimit, order: convstore.OrderAsc, end: t}
	if n, ok, err := v.Int("limit", 0, maxListLimit); err != nil {
		return nil, err
	} else if ok {
		q.limit = int(n)
	}
	if n, ok, err := v.Int("offset", 0, convstore.MaxConversationOffset); err != nil {
		return nil, err
	} else if ok {
		q.offset = int(n)
	}
	if s, _, err := v.Enum("order", "asc", "desc"); err != nil {
		return nil, err
	} else if s == "desc" {
		q.order = convstore.OrderDesc
	}
	if s, ok, _ := v.String("sort"); ok && s != sortStartTime {
		return nil, badRequest(`"sort" must be %s: no other sort field is supported`, sortStartTime)
	}
	if _, ok, _ := v.String("filter"); ok {
		return nil, badRequest(`"filter" is not supported by this server; use startTime and endTime`)
	}
	if end, ok, err := v.Time("endTime", parseISO); err != nil {
		return nil, err
	} else if ok {
		q.end = end
	}
	q.start = q.end.Add(-defaultWindow)
	if start, ok, err := v.Time("startTime", parseISO); err != nil {
		return nil, err
	} else if ok {
		q.start = start
	}
	if !q.start.Before(q.end) {
		return nil, badRequest(`"startTime" must be before "endTime"`)
	}
	return q, nil
}

// listConversations serves GET /v1/conversations: {conversations:[…]},
// oldest first by default, paging through the store 100 at a time and
// streaming each conversation as it is read (a list may ask for 65536).
func (d *Door) listConversations(w http.ResponseWriter, r *http.Request) error {
	q, err := parseListQuery(r.URL.RawQuery, now())
	if err != nil {
		return err
	}
	ctx, ten := r.Context(), convhttp.Tenant(r)
	f := convstore.ConversationFilter{CreatedAfter: &q.start, CreatedBefore: &q.end, Offset: q.offset}
	f.Order = q.order
	st := convhttp.NewJSONStream(w, r, http.StatusOK)
	if st.Head() {
		return st.Finish()
	}
	st.OpenObject()
	st.Key("conversations")
	st.OpenArray()
	for remaining := q.limit; remaining > 0; {
		f.Limit = min(remaining, convstore.MaxPageLimit)
		// A store page with the members of its conversations, from the
		// store's record of their authors (not from their messages): one
		// read (one round trip on PostgreSQL) whatever the page's size.
		page, more, err := d.store.FindConversationDigests(ctx, ten, f, convstore.DigestOptions{Authors: true})
		if err != nil {
			return err
		}
		for _, dg := range page {
			st.Value(toConversation(dg.Conversation, toMembers(dg.Authors)))
		}
		if err := st.Err(); err != nil {
			return err
		}
		remaining -= len(page)
		if !more || len(page) == 0 {
			break
		}
		f.After, f.Offset = page[len(page)-1].Conversation.ID, 0
	}
	st.Close()
	st.Close()
	return st.Finish()
}

// memberIndex assigns member ids: a member is a distinct author
// (convstore.AuthorOf: a distinct from.userId, or from.name for messages
// without one), and its id is the decimal id of its first message, so it
// is stable and matches the messages' from.id.
type memberIndex struct {
	ids     map[string]string
	members []member
}

// add returns the member id of m's author, "" when m has none.
func (x *memberIndex) add(m *convstore.Message) string {
	a := convstore.AuthorOf(m)
	if a == nil {
		return ""
	}
	if id, ok := x.ids[a.Key()]; ok {
		return id
	}
	if x.ids == nil {
		x.ids = map[string]string{}
	}
	id := decimalID(m.ID)
	x.ids[a.Key()] = id
	x.members = append(x.members, member{ID: id, Name: a.Name, Email: a.UserID})
	return id
}

// toMembers renders a conversation's authors as its members.
func toMembers(authors []*convstore.Author) []member {
	out := make([]member, len(authors))
	for i, a := range authors {
		out[i] = member{ID: decimalID(a.MessageID), Name: a.Name, Email: a.UserID}
	}
	return out
}

// members returns the conversation's members in order of first message.
func (d *Door) members(ctx context.Context, ten, conv convstore.ID) ([]member, error) {
	authors, err := d.store.FindAuthors(ctx, ten, []convstore.ID{conv})
	if err != nil {
		return nil, err
	}
	return toMembers(authors[0]), nil
}
