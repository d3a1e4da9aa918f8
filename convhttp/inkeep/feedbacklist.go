package inkeep

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Feedback list paging: the SDK's default limit is 10; offset as for
// conversations.
const (
	defaultFeedbackLimit = 10
	maxFeedbackLimit     = convstore.MaxPageLimit
)

// listedFeedback is one feedback of a GET /feedback page, with what it
// embeds.
type listedFeedback struct {
	fb  *Feedback
	v   *view
	msg *convstore.Message
}

// listFeedback serves GET /feedback?limit=&offset=: the tenant's feedback,
// newest first, offset and limit counting positive and negative feedback
// together, each split into its type's array with its conversation and
// message; the counts are of all the tenant's feedback. Inkeep does not
// say how its paging splits; this is the reading that keeps one order.
// The counts need every feedback artifact read, so the list reads all the
// tenant's "other" artifacts (feedback, events and Inkeep fields) in pages
// of MaxPageLimit. A feedback whose message was deleted through another
// door is counted but left out of the arrays (the SDK requires its
// message).
func (d *Door) listFeedback(w http.ResponseWriter, r *http.Request) error {
	ctx, t := r.Context(), convhttp.Tenant(r)
	q, err := queryRules.Parse(r)
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", defaultFeedbackLimit, 0, maxFeedbackLimit)
	if err != nil {
		return err
	}
	offset, err := intParam(q, "offset", 0, 0, convstore.MaxConversationOffset)
	if err != nil {
		return err
	}
	var (
		pos, neg int
		page     []*listedFeedback
	)
	f := convstore.ArtifactFilter{Type: convstore.ArtifactOther, PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderDesc}}
	for {
		arts, more, err := d.store.FindArtifacts(ctx, t, convstore.ID{}, f)
		if err != nil {
			return err
		}
		for _, a := range arts {
			fb, isFeedback := feedbackData(a)
			if !isFeedback {
				continue
			}
			if n := pos + neg; n >= offset && n < offset+limit {
				page = append(page, &listedFeedback{fb: renderFeedback(a, fb)})
			}
			if fb.Type == "negative" {
				neg++
			} else {
				pos++
			}
		}
		if !more || len(arts) == 0 {
			break
		}
		f.After = arts[len(arts)-1].ID
	}
	var kept []*listedFeedback
	for _, lf := range page {
		ok, err := d.loadFeedback(r, lf)
		if err != nil {
			return err
		}
		if ok {
			kept = append(kept, lf)
		}
	}
	st := convhttp.NewJSONStream(w, r, http.StatusOK)
	if st.Head() {
		return st.Finish()
	}
	st.OpenObject()
	st.Members(struct {
		Pos int `json:"positiveFeedbackCount"`
		Neg int `json:"negativeFeedbackCount"`
	}{pos, neg})
	for _, typ := range feedbackTypes {
		st.Key(typ + "Feedback")
		st.OpenArray()
		for _, lf := range kept {
			if lf.fb.Type != typ {
				continue
			}
			st.OpenObject()
			st.Members(lf.fb)
			st.Key("conversation")
			if err := lf.v.write(ctx, st); convstore.ErrorCode(err) == convstore.ENOTFOUND {
				return errListChanged()
			} else if err != nil {
				return err
			}
			st.Key("message")
			st.Value(lf.v.message(lf.msg))
			st.Close()
		}
		st.Close()
	}
	st.Close()
	return st.Finish()
}

// loadFeedback reads a listed feedback's conversation and message; false
// if either is gone.
func (d *Door) loadFeedback(r *http.Request, lf *listedFeedback) (bool, error) {
	ctx, t := r.Context(), convhttp.Tenant(r)
	msgID, err := convstore.ParseID(convstore.PrefixMessage, "messageId", lf.fb.MessageID)
	if err != nil {
		return false, nil
	}
	m, err := d.store.FindMessageByID(ctx, t, convstore.ID{}, msgID)
	if lookupMiss(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	c, err := d.store.FindConversationByID(ctx, t, m.ConversationID)
	if lookupMiss(err) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	v, err := d.load(ctx, t, c)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return false, nil
	} else if err != nil {
		return false, err
	}
	lf.v, lf.msg = v, m
	return true, nil
}
