package stammer

import (
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
// DRF-paginated list, newest first. onlyDeletedConversations=true lists
// the deactivated conversations still within the tenant's restore window
// (none when it has no window: deletes are then final), with is_deleted
// true and no messages (they are hidden until a restore).
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
	// conversation_number is one more filter of the store's (Seq), so a
	// number and the other filters select in SQL, together.
	lq.filter.Seq = lq.seq
	lq.filter.Deleted = lq.onlyDeleted
	var convs []*convstore.ConversationDigest
	count := 0
	if lq.seq != 0 {
		if count, err = d.store.CountConversations(ctx, t, lq.filter); err != nil {
			return err
		}
	}
	if count == 0 && lq.rounded != nil {
		// No exact match: the number may be one JavaScript rounded; list
		// every conversation whose number rounds to it (usually one).
		lq.filter.Seq, lq.filter.SeqMax = lq.rounded[0], lq.rounded[1]
		lq.seq = 0
	}
	if lq.seq == 0 {
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
	if count > 0 {
		f := lq.filter
		f.Offset = offset
		f.PageFilter = convstore.PageFilter{Limit: lq.pageSize, Order: convstore.OrderDesc}
		// The page with each conversation's newest message (the end of
		// its snapshot); their first messages are then read in batches
		// across conversations as the answer is written.
		if convs, _, err = d.store.FindConversationDigests(ctx, t, f, convstore.DigestOptions{Last: 1}); err != nil {
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
	st := convhttp.NewJSONStream(w, r, http.StatusOK)
	if st.Head() {
		return st.Finish()
	}
	st.OpenObject()
	st.Members(head)
	st.Key("results")
	st.OpenArray()
	msgs := convhttp.NewListMessages(d.store, t, convs, maxListedMessages)
	for i, c := range convs {
		res := fromConversation(c.Conversation)
		res.IsDeleted = lq.onlyDeleted
		err := msgs.Each(ctx, i, func(m *convstore.Message) error {
			res.Messages = append(res.Messages, fromMessage(m))
			return nil
		})
		if err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND { // deleted: shown without messages
			return err
		}
		res.MessagesTruncated = msgs.More(i)
		st.Value(res)
		if err := st.Err(); err != nil {
			return err
		}
	}
	st.Close()
	st.Close()
	return st.Finish()
}

// fromConversation converts a conversation, its messages left to add.
func fromConversation(c *convstore.Conversation) conversation {
	return conversation{
		UUID:               c.ID.UUID(),
		ConversationNumber: c.Seq,
		ChatbotUUID:        nullable(c.AgentID),
		UserKey:            nullable(c.UserID),
		SourcePlatform:     nullable(c.Metadata[metaSource]),
		CreatedAt:          timestamp(c.CreatedAt),
		UpdatedAt:          timestamp(c.UpdatedAt),
		MessageCount:       c.MessageCount,
		Messages:           make([]message, 0, min(c.MessageCount, maxListedMessages)),
	}
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
