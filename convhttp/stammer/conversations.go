package stammer

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// maxListedMessages bounds the messages shown per listed conversation;
// messages_truncated says when there are more.
const maxListedMessages = convstore.MaxPageLimit

// listConversations serves GET /en/chatbot/api/v1/conversations/: a
// DRF-paginated list, newest first. convstore deletes permanently, so
// onlyDeletedConversations=true always lists nothing.
func (d *Door) listConversations(w http.ResponseWriter, r *http.Request) error {
	q, err := queryRules.Parse(r)
	if err != nil {
		return err
	}
	lq, err := parseListQuery(q)
	if err != nil {
		return err
	}
	ctx, t := r.Context(), convhttp.Tenant(r)
	var convs []*convstore.Conversation
	count := 0
	switch {
	case lq.onlyDeleted:
	case lq.seq != 0:
		conv, err := d.store.FindConversationBySeq(ctx, t, lq.seq)
		if err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND {
			return err
		}
		if err == nil && lq.matches(conv) {
			convs, count = []*convstore.Conversation{conv}, 1
		}
	default:
		if count, err = d.store.CountConversations(ctx, t, lq.filter); err != nil {
			return err
		}
	}
	pages := max(1, (count+lq.pageSize-1)/lq.pageSize)
	if lq.page == 0 {
		lq.page = pages
	}
	if lq.page > pages {
		return errInvalidPage()
	}
	offset := (lq.page - 1) * lq.pageSize
	if offset > convstore.MaxConversationOffset {
		return invalid("page", "Pages beyond %d conversations cannot be listed; narrow the list with startDate and endDate.", convstore.MaxConversationOffset)
	}
	if !lq.onlyDeleted && lq.seq == 0 {
		f := lq.filter
		f.Offset = offset
		f.PageFilter = convstore.PageFilter{Limit: lq.pageSize, Order: convstore.OrderDesc}
		if convs, _, err = d.store.FindConversations(ctx, t, f); err != nil {
			return err
		}
	}
	head := pageHead{Count: count}
	if lq.page < pages {
		head.Next = pageURL(r, q.Values(), lq.page+1)
	}
	if lq.page > 1 {
		head.Previous = pageURL(r, q.Values(), lq.page-1)
	}
	// Each result is written as soon as its messages are read, so the
	// answer holds one conversation's first page, not the whole list.
	st := convhttp.NewJSONStream(w, r, http.StatusOK)
	if st.Head() {
		return st.Finish()
	}
	st.OpenObject()
	st.Members(head)
	st.Key("results")
	st.OpenArray()
	for _, c := range convs {
		res, err := d.fromConversation(ctx, t, c)
		if err != nil {
			return err
		}
		st.Value(res)
		if err := st.Err(); err != nil {
			return err
		}
	}
	st.Close()
	st.Close()
	return st.Finish()
}

// matches reports whether a conversation found by number also passes the
// other filters.
func (lq *listQuery) matches(c *convstore.Conversation) bool {
	f := lq.filter
	switch {
	case f.AgentID != "" && c.AgentID != f.AgentID,
		f.CreatedAfter != nil && !c.CreatedAt.After(*f.CreatedAfter),
		f.CreatedBefore != nil && !c.CreatedAt.Before(*f.CreatedBefore),
		lq.source != "" && c.Metadata[metaSource] != lq.source:
		return false
	}
	return true
}

// fromConversation converts a conversation with its first messages. A
// conversation deleted since it was listed is shown without messages.
func (d *Door) fromConversation(ctx context.Context, t convstore.ID, c *convstore.Conversation) (conversation, error) {
	msgs, more, err := d.store.FindMessages(ctx, t, c.ID, convstore.MessageFilter{
		PageFilter: convstore.PageFilter{Limit: maxListedMessages, Order: convstore.OrderAsc},
	})
	if err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND {
		return conversation{}, err
	}
	out := conversation{
		UUID:               c.ID.UUID(),
		ConversationNumber: c.Seq,
		ChatbotUUID:        nullable(c.AgentID),
		UserKey:            nullable(c.UserID),
		SourcePlatform:     nullable(c.Metadata[metaSource]),
		CreatedAt:          timestamp(c.CreatedAt),
		UpdatedAt:          timestamp(c.UpdatedAt),
		MessageCount:       c.MessageCount,
		Messages:           make([]message, 0, len(msgs)),
		MessagesTruncated:  more,
	}
	for _, m := range msgs {
		out.Messages = append(out.Messages, fromMessage(m))
	}
	return out, nil
}

// pageURL is the absolute URL of another page, built as DRF builds next and
// previous: the request's URL with page replaced (removed for page 1) and
// the query sorted. v is a copy of the query, changed here.
func pageURL(r *http.Request, v url.Values, page int) *string {
	if page == 1 {
		v.Del("page")
	} else {
		v.Set("page", strconv.Itoa(page))
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: v.Encode()}
	s := u.String()
	return &s
}
