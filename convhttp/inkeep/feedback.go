package inkeep

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// feedbackKey is the top-level member of a feedback artifact's Data.
const feedbackKey = "inkeep_feedback"

// Feedback types and source types, as the SDK's closed enums have them.
var (
	feedbackTypes = []string{"positive", "negative"}
	sourceTypes   = []string{"positive", "negative", "new"}
)

// maxDetails bounds a feedback's free-text details.
const maxDetails = 64 << 10

// submitFeedback serves POST /feedback: a new feedback artifact on the
// message's conversation. An unknown messageId is a 422, since Inkeep
// documents no 404 for this operation.
func (d *Door) submitFeedback(w http.ResponseWriter, r *http.Request) error {
	ctx, t := r.Context(), convhttp.Tenant(r)
	body, err := d.srv.ReadBody(w, r)
	if err != nil {
		return err
	}
	fb, err := parseFeedback(body)
	if err != nil {
		return err
	}
	m, err := d.findMessage(ctx, t, fb.MessageID)
	if err != nil {
		return err
	}
	fb.MessageID = m.ID.Format(convstore.PrefixMessage)
	data, _ := json.Marshal(map[string]*storedFeedback{feedbackKey: fb}) // plain data always marshals
	score := 1.0
	if fb.Type == "negative" {
		score = -1
	}
	a, err := d.store.CreateArtifact(ctx, t, m.ConversationID, &convstore.ArtifactCreate{
		Type: convstore.ArtifactOther, Text: fb.Type, Data: data, MessageIDs: []convstore.ID{m.ID}, Score: &score,
	})
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return invalid("messageId", "messageId does not name a logged message.")
	} else if err != nil {
		return err
	}
	return ok(w, renderFeedback(a, fb))
}

// getFeedback serves GET /feedback/{id}: the feedback with its conversation
// and message, as the SDK's newest schema requires.
func (d *Door) getFeedback(w http.ResponseWriter, r *http.Request) error {
	ctx, t := r.Context(), convhttp.Tenant(r)
	id, err := convstore.ParseID(convstore.PrefixArtifact, "id", r.PathValue("id"))
	if err != nil {
		return errFeedbackNotFound()
	}
	a, err := d.store.FindArtifactByID(ctx, t, convstore.ID{}, id)
	if lookupMiss(err) {
		return errFeedbackNotFound()
	} else if err != nil {
		return err
	}
	fb, isFeedback := feedbackData(a)
	if !isFeedback {
		return errFeedbackNotFound()
	}
	c, err := d.store.FindConversationByID(ctx, t, a.ConversationID)
	if lookupMiss(err) {
		return errFeedbackNotFound()
	} else if err != nil {
		return err
	}
	msgID, err := convstore.ParseID(convstore.PrefixMessage, "messageId", fb.MessageID)
	if err != nil || msgID.Format(convstore.PrefixMessage) != fb.MessageID {
		return errFeedbackNotFound()
	}
	m, err := d.store.FindMessageByID(ctx, t, c.ID, msgID)
	if lookupMiss(err) {
		return errFeedbackNotFound() // the message was deleted through another door
	} else if err != nil {
		return err
	}
	v, err := d.load(ctx, t, c)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return errFeedbackNotFound()
	} else if err != nil {
		return err
	}
	// The body is the feedback's members, then its conversation streamed
	// with every message, then the message.
	st := convhttp.NewJSONStream(w, r, http.StatusOK)
	if st.Head() {
		return st.Finish()
	}
	st.OpenObject()
	st.Members(renderFeedback(a, fb))
	st.Key("conversation")
	if err := v.write(ctx, st); convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return errFeedbackNotFound()
	} else if err != nil {
		return err
	}
	st.Key("message")
	st.Value(v.message(m))
	st.Close()
	return st.Finish()
}

// findMessage finds a message of the tenant by the id the door rendered
// (msg_…) or, failing that, by the client's own id it was logged with
// (the newest such message of the tenant); an unknown or foreign id is a
// 422 naming messageId, since Inkeep documents no 404 for the routes that
// take one in their body.
func (d *Door) findMessage(ctx context.Context, t convstore.ID, id string) (*convstore.Message, error) {
	msgID, err := convstore.ParseID(convstore.PrefixMessage, "messageId", id)
	var m *convstore.Message
	if err == nil {
		m, err = d.store.FindMessageByID(ctx, t, convstore.ID{}, msgID)
	}
	if lookupMiss(err) {
		m, err = d.store.FindMessageByExternalID(ctx, t, id)
	}
	if lookupMiss(err) {
		return nil, invalid("messageId", "messageId does not name a logged message.")
	}
	return m, err
}

// feedbackData decodes a feedback artifact; false for any other artifact.
func feedbackData(a *convstore.Artifact) (*storedFeedback, bool) {
	if a.Type != convstore.ArtifactOther {
		return nil, false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(a.Data, &top) != nil || top[feedbackKey] == nil {
		return nil, false
	}
	fb := &storedFeedback{}
	if json.Unmarshal(top[feedbackKey], fb) != nil || fb.Type == "" || fb.MessageID == "" {
		return nil, false
	}
	return fb, true
}

// renderFeedback converts a stored feedback; its id is the artifact's.
func renderFeedback(a *convstore.Artifact, fb *storedFeedback) *Feedback {
	out := &Feedback{
		ID: a.ID.Format(convstore.PrefixArtifact), Type: fb.Type, MessageID: fb.MessageID,
		CreatedAt: fb.CreatedAt, UpdatedAt: fb.UpdatedAt, Reasons: fb.Reasons, Details: fb.Details,
		Properties: fb.Properties, UserProperties: fb.UserProperties, Sources: fb.Sources,
	}
	if out.CreatedAt == "" {
		out.CreatedAt = isoTime(a.CreatedAt)
	}
	if out.UpdatedAt == "" {
		out.UpdatedAt = out.CreatedAt
	}
	return out
}

// parseFeedback validates a whole POST /feedback body.
func parseFeedback(body []byte) (*storedFeedback, error) {
	o, err := parseBody(body)
	if err != nil {
		return nil, err
	}
	fb := &storedFeedback{}
	typ, err := o.enum("type", feedbackTypes...)
	if err != nil {
		return nil, err
	}
	if !typ.Set || typ.Null {
		return nil, invalid("type", "type is required.")
	}
	fb.Type = typ.V
	if fb.MessageID, err = o.requiredStr("messageId", maxMetaLen); err != nil {
		return nil, err
	}
	id, err := o.str("id", maxMetaLen)
	if err != nil {
		return nil, err
	}
	fb.ClientID = id.V
	now := isoTime(time.Now())
	created, err := o.timestamp("createdAt")
	if err != nil {
		return nil, err
	}
	fb.CreatedAt = now
	if created.Set && !created.Null {
		fb.CreatedAt = created.V
	}
	updated, err := o.timestamp("updatedAt")
	if err != nil {
		return nil, err
	}
	fb.UpdatedAt = fb.CreatedAt
	if updated.Set && !updated.Null {
		fb.UpdatedAt = updated.V
	}
	details, err := o.str("details", maxDetails)
	if err != nil {
		return nil, err
	}
	fb.Details = details.V
	if fb.Reasons, err = parseReasons(o); err != nil {
		return nil, err
	}
	if fb.Sources, err = parseSources(o); err != nil {
		return nil, err
	}
	p, err := o.properties("properties")
	if err != nil {
		return nil, err
	}
	fb.Properties = p.V
	u, err := o.userProperties("userProperties")
	if err != nil {
		return nil, err
	}
	fb.UserProperties = u.V
	return fb, nil
}

// parseReasons validates a feedback's reasons.
func parseReasons(o object) ([]Reason, error) {
	a, err := o.array("reasons")
	if err != nil || !a.Set || a.Null {
		return nil, err
	}
	out := make([]Reason, 0, len(a.V))
	for i, v := range a.V {
		ro, err := o.item("reasons", i, v)
		if err != nil {
			return nil, err
		}
		var rs Reason
		if rs.Label, err = ro.requiredStr("label", maxMetaLen); err != nil {
			return nil, err
		}
		if rs.Details, err = ro.requiredStr("details", maxDetails); err != nil {
			return nil, err
		}
		out = append(out, rs)
	}
	return out, nil
}

// parseSources validates a feedback's sources.
func parseSources(o object) ([]Source, error) {
	a, err := o.array("sources")
	if err != nil || !a.Set || a.Null {
		return nil, err
	}
	out := make([]Source, 0, len(a.V))
	for i, v := range a.V {
		so, err := o.item("sources", i, v)
		if err != nil {
			return nil, err
		}
		var s Source
		typ, err := so.enum("type", sourceTypes...)
		if err != nil {
			return nil, err
		}
		if typ.Set && !typ.Null {
			s.Type = &typ.V
		}
		for _, f := range []struct {
			member string
			dst    **string
		}{{"title", &s.Title}, {"url", &s.URL}} {
			v, err := so.str(f.member, 0)
			if err != nil {
				return nil, err
			}
			if v.Set && !v.Null {
				val := v.V
				*f.dst = &val
			}
		}
		out = append(out, s)
	}
	return out, nil
}
