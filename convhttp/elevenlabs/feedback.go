package elevenlabs

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// feedbackKey is the only member of an ElevenLabs feedback artifact's
// Data: {"elevenlabs_feedback":{"score":"like"|"dislike"|null}}. Like the
// Inkeep door's feedback, it is an artifact of type "other": derived data
// of the conversation, deleted with it and sealed with it.
const feedbackKey = "elevenlabs_feedback"

// UserFeedbackScore values.
const (
	scoreLike    = "like"
	scoreDislike = "dislike"
)

// storedFeedback is the value under feedbackKey; Score nil is feedback
// taken back.
type storedFeedback struct {
	Score *string `json:"score"`
}

// parseFeedbackBody reads ConversationFeedbackRequestModel, {"feedback":
// "like"|"dislike"|null}, as FastAPI validates it: the body must be a JSON
// object; feedback absent or null takes the feedback back.
func parseFeedbackBody(body []byte) (*string, error) {
	ve := &validationError{}
	var obj map[string]json.RawMessage
	if !json.Valid(body) {
		ve.add(validationItem{Type: "json_invalid", Loc: []any{"body"}, Msg: "JSON decode error"})
		return nil, ve.orNil()
	}
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		ve.add(validationItem{Type: "model_attributes_type", Loc: []any{"body"},
			Msg: "Input should be a valid dictionary or object to extract fields from"})
		return nil, ve.orNil()
	}
	raw, ok := obj["feedback"]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	s, isString := jsonString(raw)
	if !isString || (s != scoreLike && s != scoreDislike) {
		it := enumItem([]any{"body", "feedback"}, s, []string{scoreLike, scoreDislike})
		if !isString {
			it.Input = json.RawMessage(raw)
		}
		ve.add(it)
		return nil, ve.orNil()
	}
	return &s, nil
}

// postFeedback serves POST /v1/convai/conversations/{conversation_id}/feedback:
// the conversation's overall like or dislike, replacing any earlier one
// (null or no feedback takes it back). It answers 200 with the JSON body
// null, as the delete does.
//
// The feedback is a new artifact; older ElevenLabs feedback artifacts of
// the conversation are then deleted (each with an audit entry), except
// under a legal hold, which keeps them. Reads take the newest, so
// concurrent posts settle on the one stored last.
func (d *Door) postFeedback(w http.ResponseWriter, r *http.Request) error {
	id, err := conversationID(r)
	if err != nil {
		return err
	}
	// The body first, as FastAPI validates it before the handler runs:
	// a bad body is 422 whatever the id.
	body, err := d.srv.ReadBody(w, r)
	if err != nil {
		return err
	}
	score, err := parseFeedbackBody(body)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	data, _ := json.Marshal(map[string]storedFeedback{feedbackKey: {Score: score}}) // plain data always marshals
	create := &convstore.ArtifactCreate{Type: convstore.ArtifactOther, Data: data}
	if score != nil {
		v := 1.0
		if *score == scoreDislike {
			v = -1
		}
		create.Text, create.Score = *score, &v
	}
	a, err := d.store.CreateArtifact(ctx, tid, id, create)
	if err != nil {
		return notFound(err)
	}
	var older []convstore.ID
	err = d.eachFeedback(ctx, tid, id, func(o *convstore.Artifact, _ storedFeedback) bool {
		if o.ID != a.ID {
			older = append(older, o.ID)
		}
		return true
	})
	if err != nil {
		return notFound(err)
	}
	for _, o := range older {
		err := d.store.DeleteArtifact(ctx, tid, id, o, convhttp.DeleteParams(r, DoorName))
		switch convstore.ErrorCode(err) {
		case "", convstore.ENOTFOUND, convstore.EHELD: // gone already, or kept by a hold
		default:
			return err
		}
	}
	return convhttp.WriteJSON(w, http.StatusOK, nil)
}

// eachFeedback calls fn with the conversation's ElevenLabs feedback
// artifacts, newest first, until fn returns false.
func (d *Door) eachFeedback(ctx context.Context, tid, cid convstore.ID, fn func(*convstore.Artifact, storedFeedback) bool) error {
	f := convstore.ArtifactFilter{Type: convstore.ArtifactOther,
		PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderDesc}}
	for {
		arts, more, err := d.store.FindArtifacts(ctx, tid, cid, f)
		if err != nil {
			return err
		}
		for _, a := range arts {
			if fb, ok := feedbackOf(a); ok && !fn(a, fb) {
				return nil
			}
		}
		if !more || len(arts) == 0 {
			return nil
		}
		f.After = arts[len(arts)-1].ID
	}
}

// feedbackOf decodes an ElevenLabs feedback artifact; false for any other.
func feedbackOf(a *convstore.Artifact) (storedFeedback, bool) {
	var top map[string]json.RawMessage
	if a.Type != convstore.ArtifactOther || json.Unmarshal(a.Data, &top) != nil || top[feedbackKey] == nil {
		return storedFeedback{}, false
	}
	var fb storedFeedback
	if json.Unmarshal(top[feedbackKey], &fb) != nil ||
		(fb.Score != nil && *fb.Score != scoreLike && *fb.Score != scoreDislike) {
		return storedFeedback{}, false
	}
	return fb, true
}

// loadFeedback returns the conversation's feedback object: the newest
// ElevenLabs feedback's score (null without one or after it was taken
// back), type "thumbs" when there is a score (null otherwise), and likes
// and dislikes 0 (ElevenLabs counts there the per-message thumbs given
// during a call, which convstore does not receive).
func (d *Door) loadFeedback(ctx context.Context, tid, cid convstore.ID) (*callFeedback, error) {
	out := &callFeedback{}
	err := d.eachFeedback(ctx, tid, cid, func(_ *convstore.Artifact, fb storedFeedback) bool {
		if fb.Score != nil {
			t := feedbackThumbs
			out.Type, out.OverallScore = &t, fb.Score
		}
		return false
	})
	return out, err
}
