package stammer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
)

// wholePage and wholeList are the former list answer (commit 06bfc9d),
// which built the page with every result and marshalled it: the oracle
// the streamed answer must equal byte for byte.
type wholePage struct {
	Count    int            `json:"count"`
	Next     *string        `json:"next"`
	Previous *string        `json:"previous"`
	Results  []conversation `json:"results"`
}

func wholeList(tb testing.TB, d *Door, t convstore.ID, url string, page, pageSize int) string {
	tb.Helper()
	ctx := context.Background()
	r, err := http.NewRequest("GET", url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	count, err := d.store.CountConversations(ctx, t, convstore.ConversationFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	pages := max(1, (count+pageSize-1)/pageSize)
	convs, _, err := d.store.FindConversations(ctx, t, convstore.ConversationFilter{Offset: (page - 1) * pageSize,
		PageFilter: convstore.PageFilter{Limit: pageSize, Order: convstore.OrderDesc}})
	if err != nil {
		tb.Fatal(err)
	}
	out := wholePage{Count: count, Results: make([]conversation, 0, len(convs))}
	for _, c := range convs {
		res, err := d.fromConversation(ctx, t, c)
		if err != nil {
			tb.Fatal(err)
		}
		out.Results = append(out.Results, res)
	}
	q := r.URL.Query()
	if page < pages {
		out.Next = pageURL(r, q, page+1)
	}
	if page > 1 {
		out.Previous = pageURL(r, q, page-1)
	}
	b, err := json.Marshal(out)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b) + "\n"
}

// TestStreamedListAsMarshalled compares the streamed list, with a
// conversation of several store pages, with the former whole answer.
func TestStreamedListAsMarshalled(t *testing.T) {
	t.Parallel()
	e := doortest.New(t)
	var d *Door
	c := e.Serve(func(s *convhttp.Server) { d = New(s); s.Mount("/", d) })
	ctx := context.Background()
	for i, n := range []int{250, 2, 0, 101} {
		var batch []*convstore.MessageCreate
		for j := range n {
			batch = append(batch, &convstore.MessageCreate{Role: []convstore.Role{convstore.RoleUser, convstore.RoleAssistant}[j%2],
				Content: fmt.Sprintf("query %d <&> \"é\" \u2028", j)})
		}
		cc := &convstore.ConversationCreate{Messages: batch}
		if i%2 == 0 {
			cc.AgentID, cc.UserID, cc.Metadata = "0f8fad5b-d9cb-469f-a165-70867728950e", fmt.Sprint("user<", i, ">"), convstore.Metadata{metaSource: sourceAPI}
		}
		if _, _, err := e.Store.CreateConversation(ctx, e.TenantA, cc); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		query          string
		page, pageSize int
	}{
		{"onlyDeletedConversations=false", 1, defaultPageSize},
		{"onlyDeletedConversations=false&page_size=3", 1, 3},
		{"onlyDeletedConversations=false&page_size=3&page=2", 2, 3},
	} {
		path := "/en/chatbot/api/v1/conversations/?" + tc.query
		r := c.Do("GET", path, nil, "Authorization", "Token "+e.KeyA)
		if want := wholeList(t, d, e.TenantA, c.URL+path, tc.page, tc.pageSize); r.Status != 200 || string(r.Body) != want {
			t.Fatalf("%v\nwant %s", r, want)
		}
	}
}

// fromConversation is the former per-conversation read (the oracle of
// fromDigest): a conversation with its first messages. A
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
