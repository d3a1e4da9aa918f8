package symbl

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Symbl insight types, which are also artifact type names.
const (
	typeTopic      = "topic"
	typeQuestion   = "question"
	typeActionItem = "action_item"
	typeFollowUp   = "follow_up"
)

// Defaults of the vendor fields an artifact's data does not give.
var (
	emptyArray  = json.RawMessage(`[]`)
	emptyObject = json.RawMessage(`{}`)
	falseValue  = json.RawMessage(`false`)
)

// streamArtifacts answers with {key: [...]}: the conversation's artifacts
// of type t ("" for all), oldest first, each rendered by render (false:
// left out), streamed a store page at a time, since a conversation's
// artifacts are not bounded in number.
func (d *Door) streamArtifacts(w http.ResponseWriter, r *http.Request, key string, t convstore.ArtifactType, render func(*convstore.Artifact) (any, bool)) error {
	conv, err := d.findConversation(r)
	if err != nil {
		return err
	}
	ctx, ten := r.Context(), convhttp.Tenant(r)
	f := convstore.ArtifactFilter{Type: t, PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderAsc}}
	// The first page is read before anything is written, so that a
	// conversation deleted meanwhile is still a clean 404.
	page, more, err := d.store.FindArtifacts(ctx, ten, conv.ID, f)
	if err != nil {
		return notFoundAs(err)
	}
	st := convhttp.NewJSONStream(w, r, http.StatusOK)
	if st.Head() {
		return st.Finish()
	}
	st.OpenObject()
	st.Key(key)
	st.OpenArray()
	for {
		for _, a := range page {
			if v, ok := render(a); ok {
				st.Value(v)
			}
		}
		if err := st.Err(); err != nil {
			return err
		}
		if !more || len(page) == 0 {
			break
		}
		f.After = page[len(page)-1].ID
		if page, more, err = d.store.FindArtifacts(ctx, ten, conv.ID, f); err != nil {
			return notFoundAs(err)
		}
	}
	st.Close()
	st.Close()
	return st.Finish()
}

// vendorFields returns the JSON object of an artifact's data: the object
// under "symbl" when there is one (the cross-door convention), else the
// data itself; nil when the data is not an object.
func vendorFields(a *convstore.Artifact) map[string]json.RawMessage {
	var top map[string]json.RawMessage
	if json.Unmarshal(a.Data, &top) != nil {
		return nil
	}
	var inner map[string]json.RawMessage
	if raw, ok := top["symbl"]; ok && json.Unmarshal(raw, &inner) == nil && inner != nil {
		return inner
	}
	return top
}

// field returns data[name] when it is a JSON value of def's kind (object,
// array or boolean), else def. A nil def marks an optional field (dueBy,
// sentiment): a string or object is kept, anything else omitted.
func field(data map[string]json.RawMessage, name string, def json.RawMessage) json.RawMessage {
	v := bytes.TrimSpace(data[name])
	switch {
	case len(v) == 0:
		return def
	case def == nil:
		if v[0] == '"' || v[0] == '{' {
			return v
		}
		return nil
	case def[0] == 'f':
		if string(v) == "true" || string(v) == "false" {
			return v
		}
	case v[0] == def[0]:
		return v
	}
	return def
}

// toInsight renders an artifact as a Symbl insight of type t. An artifact
// without a score reports 1: Symbl never returns an unscored insight, and
// one stored without a score was not filtered by confidence.
func toInsight(a *convstore.Artifact, t string) insight {
	data := vendorFields(a)
	in := insight{ID: decimalID(a.ID), Text: a.Text, Type: t, Score: 1, MessageIDs: messageIDs(a)}
	if a.Score != nil {
		in.Score = *a.Score
	}
	switch t {
	case typeTopic:
		in.ParentRefs = field(data, "parentRefs", emptyArray)
		in.Sentiment = field(data, "sentiment", nil)
	case typeQuestion:
		in.From = field(data, "from", emptyObject)
	default: // action items, follow-ups and legacy insights
		in.Entities = field(data, "entities", emptyArray)
		in.Phrases = field(data, "phrases", emptyArray)
		in.From = field(data, "from", emptyObject)
		in.Definitive = field(data, "definitive", falseValue)
		in.Assignee = field(data, "assignee", emptyObject)
		in.DueBy = field(data, "dueBy", nil)
	}
	return in
}

// messageIDs renders an artifact's message references in decimal.
func messageIDs(a *convstore.Artifact) []string {
	out := make([]string, 0, len(a.MessageIDs))
	for _, id := range a.MessageIDs {
		out = append(out, decimalID(id))
	}
	return out
}

// listInsightsOf serves one insight list: the artifacts of type t under key.
func (d *Door) listInsightsOf(w http.ResponseWriter, r *http.Request, key, t string) error {
	return d.streamArtifacts(w, r, key, convstore.ArtifactType(t), func(a *convstore.Artifact) (any, bool) {
		return toInsight(a, t), true
	})
}

// listTopics serves GET …/topics from the topic artifacts.
func (d *Door) listTopics(w http.ResponseWriter, r *http.Request) error {
	return d.listInsightsOf(w, r, "topics", typeTopic)
}

// listQuestions serves GET …/questions from the question artifacts.
func (d *Door) listQuestions(w http.ResponseWriter, r *http.Request) error {
	return d.listInsightsOf(w, r, "questions", typeQuestion)
}

// listActionItems serves GET …/action-items from the action_item artifacts.
func (d *Door) listActionItems(w http.ResponseWriter, r *http.Request) error {
	return d.listInsightsOf(w, r, "actionItems", typeActionItem)
}

// listFollowUps serves GET …/follow-ups from the follow_up artifacts.
func (d *Door) listFollowUps(w http.ResponseWriter, r *http.Request) error {
	return d.listInsightsOf(w, r, "followUps", typeFollowUp)
}

// listInsights serves the legacy GET …/insights: action items, questions
// and follow-ups together, oldest first, each with its type.
func (d *Door) listInsights(w http.ResponseWriter, r *http.Request) error {
	return d.streamArtifacts(w, r, "insights", "", func(a *convstore.Artifact) (any, bool) {
		switch t := string(a.Type); t {
		case typeActionItem, typeQuestion, typeFollowUp:
			in := toInsight(a, typeActionItem)
			in.Type = t
			return in, true
		}
		return nil, false
	})
}

// listSummary serves GET …/summary from the summary artifacts.
func (d *Door) listSummary(w http.ResponseWriter, r *http.Request) error {
	return d.streamArtifacts(w, r, "summary", convstore.ArtifactSummary, func(a *convstore.Artifact) (any, bool) {
		refs := make([]messageRef, 0, len(a.MessageIDs))
		for _, id := range messageIDs(a) {
			refs = append(refs, messageRef{ID: id})
		}
		return summary{ID: decimalID(a.ID), Text: a.Text, MessageRefs: refs}, true
	})
}
