package symbl

import (
	"math"
	"net/http"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// listMessages serves GET /v1/conversations/{conversationId}/messages: all
// messages, oldest first. The verbose and sentiment parameters are
// accepted; words, phrases and sentiment are not computed (words and
// phrases are [], sentiment is omitted). The messages are streamed a store
// page at a time, up to the newest one when the request began.
func (d *Door) listMessages(w http.ResponseWriter, r *http.Request) error {
	conv, err := d.findConversation(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	pages, err := convhttp.OpenMessagePages(ctx, d.store, convhttp.Tenant(r), conv.ID)
	if err != nil {
		return notFoundAs(err)
	}
	st := convhttp.NewJSONStream(w, r, http.StatusOK)
	if st.Head() {
		return st.Finish()
	}
	cid := conversationID(conv)
	var members memberIndex
	var first time.Time
	n := 0
	st.OpenObject()
	st.Key("messages")
	st.OpenArray()
	err = pages.Each(ctx, func(m *convstore.Message) error {
		start, end := messageTimes(m)
		if n == 0 {
			first = start
		}
		n++
		st.Value(message{
			ID:             decimalID(m.ID),
			Text:           m.Content,
			From:           from{ID: members.add(m), Name: m.AuthorName, UserID: m.Metadata[metaUserID]},
			StartTime:      formatTime(start),
			EndTime:        formatTime(end),
			TimeOffset:     seconds(start.Sub(first)),
			Duration:       seconds(end.Sub(start)),
			ConversationID: cid,
			Phrases:        []string{},
			Words:          []string{},
		})
		return st.Err()
	})
	if err != nil {
		return notFoundAs(err)
	}
	st.Close()
	st.Close()
	return st.Finish()
}

// messageTimes returns a message's start and end: the times it was
// submitted with, else its creation time.
func messageTimes(m *convstore.Message) (start, end time.Time) {
	start, end = m.CreatedAt, m.CreatedAt
	if t, err := time.Parse(time.RFC3339Nano, m.Metadata[metaStartTime]); err == nil {
		start, end = t, t
	}
	if t, err := time.Parse(time.RFC3339Nano, m.Metadata[metaEndTime]); err == nil && !t.Before(start) {
		end = t
	}
	return start, end
}

// seconds renders a duration in seconds with two decimals, as Symbl does.
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*100) / 100 }
