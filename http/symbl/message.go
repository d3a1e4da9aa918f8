package symbl

import (
	"math"
	"net/http"
	"time"

	"github.com/convstore/convstore"
	convhttp "github.com/convstore/convstore/http"
)

// listMessages serves GET /v1/conversations/{conversationId}/messages: all
// messages, oldest first. The verbose and sentiment parameters are
// accepted; words, phrases and sentiment are not computed (words and
// phrases are [], sentiment is omitted).
func (d *Door) listMessages(w http.ResponseWriter, r *http.Request) error {
	conv, err := d.findConversation(r)
	if err != nil {
		return err
	}
	cid := conversationID(conv)
	out := []message{}
	var members memberIndex
	var first time.Time
	err = d.eachMessage(r.Context(), convhttp.Tenant(r), conv.ID, func(m *convstore.Message) {
		start, end := messageTimes(m)
		if len(out) == 0 {
			first = start
		}
		out = append(out, message{
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
	})
	if err != nil {
		return notFoundAs(err)
	}
	return ok(w, struct {
		Messages []message `json:"messages"`
	}{out})
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
