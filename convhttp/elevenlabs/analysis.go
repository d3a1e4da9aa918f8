package elevenlabs

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/convstore/convstore"
)

// Conversation metadata keys this door reads (written by the native API or
// another door): small ElevenLabs strings with no domain field.
const (
	metaAgentName         = "elevenlabs.agent_name"
	metaDirection         = "elevenlabs.direction" // "inbound" or "outbound"
	metaMainLanguage      = "elevenlabs.main_language"
	metaTerminationReason = "elevenlabs.termination_reason"
)

// metaString returns a metadata value as an optional wire string.
func metaString(m convstore.Metadata, key string) *string {
	if v, ok := m[key]; ok && v != "" {
		return &v
	}
	return nil
}

// latestArtifact returns the newest artifact of a type, or nil.
func (d *Door) latestArtifact(ctx context.Context, tid, cid convstore.ID, t convstore.ArtifactType) (*convstore.Artifact, error) {
	arts, _, err := d.store.FindArtifacts(ctx, tid, cid, convstore.ArtifactFilter{
		Type: t, PageFilter: convstore.PageFilter{Limit: 1, Order: convstore.OrderDesc},
	})
	if err != nil || len(arts) == 0 {
		return nil, err
	}
	return arts[0], nil
}

// loadAnalysis derives the analysis object from the newest "summary" and
// "analysis" artifacts; nil when the conversation has neither.
//
// transcript_summary: the summary artifact's text, else the analysis
// data's "transcript_summary" string, else the analysis artifact's text,
// else "". call_successful: the analysis data's value when it is success,
// failure or unknown, else "unknown". call_summary_title: the analysis
// data's string, else the conversation title. The two result maps come
// from the analysis data, each entry completed with the keys the SDKs
// require.
func (d *Door) loadAnalysis(ctx context.Context, tid convstore.ID, conv *convstore.Conversation) (*callAnalysis, error) {
	sum, err := d.latestArtifact(ctx, tid, conv.ID, convstore.ArtifactSummary)
	if err != nil {
		return nil, err
	}
	an, err := d.latestArtifact(ctx, tid, conv.ID, convstore.ArtifactAnalysis)
	if err != nil {
		return nil, err
	}
	return analysisOf(conv, sum, an), nil
}

// analysisArtifacts are the artifact types the analysis derives from, in
// the order of analysisOf's arguments.
var analysisArtifacts = []convstore.ArtifactType{convstore.ArtifactSummary, convstore.ArtifactAnalysis}

// analysisOf derives the analysis object (see loadAnalysis) from the
// newest summary and analysis artifacts, either nil.
func analysisOf(conv *convstore.Conversation, sum, an *convstore.Artifact) *callAnalysis {
	out, data := analysisHead(conv, sum, an)
	if out != nil {
		out.EvaluationCriteriaResults = map[string]json.RawMessage{}
		out.DataCollectionResults = map[string]json.RawMessage{}
		fillResults(out.EvaluationCriteriaResults, data["evaluation_criteria_results"], "criteria_id", true)
		fillResults(out.DataCollectionResults, data["data_collection_results"], "data_collection_id", false)
	}
	return out
}

// analysisHead is analysisOf without the two result maps (nil), which a
// list's summaries do not show, and the analysis data they come from.
func analysisHead(conv *convstore.Conversation, sum, an *convstore.Artifact) (*callAnalysis, map[string]json.RawMessage) {
	if sum == nil && an == nil {
		return nil, nil
	}
	out := &callAnalysis{CallSuccessful: successUnknown}
	var data map[string]json.RawMessage
	if an != nil && len(an.Data) > 0 {
		_ = json.Unmarshal(an.Data, &data) // not an object: no fields
	}
	if s, ok := jsonString(data["call_successful"]); ok && slices.Contains(successResults, s) {
		out.CallSuccessful = s
	}
	if s, ok := jsonString(data["call_summary_title"]); ok {
		out.CallSummaryTitle = &s
	} else if conv.Title != "" {
		t := conv.Title
		out.CallSummaryTitle = &t
	}
	switch s, ok := jsonString(data["transcript_summary"]); {
	case sum != nil:
		out.TranscriptSummary = sum.Text
	case ok:
		out.TranscriptSummary = s
	case an != nil:
		out.TranscriptSummary = an.Text
	}
	return out, data
}

// jsonString decodes a JSON string.
func jsonString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// fillResults copies the object entries of raw (a JSON object of objects)
// into dst, adding what the SDKs require: idKey (the entry's key), a
// string rationale and, for evaluation criteria, a valid result.
// Entries that are not objects are dropped.
func fillResults(dst map[string]json.RawMessage, raw json.RawMessage, idKey string, withResult bool) {
	var in map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &in) != nil {
		return
	}
	for k, v := range in {
		var e map[string]json.RawMessage
		if json.Unmarshal(v, &e) != nil || e == nil {
			continue
		}
		if _, ok := jsonString(e[idKey]); !ok {
			e[idKey], _ = json.Marshal(k)
		}
		if _, ok := jsonString(e["rationale"]); !ok {
			e["rationale"] = json.RawMessage(`""`)
		}
		if withResult {
			if s, ok := jsonString(e["result"]); !ok || !slices.Contains(successResults, s) {
				e["result"] = json.RawMessage(`"unknown"`)
			}
		}
		b, err := json.Marshal(e)
		if err == nil {
			dst[k] = b
		}
	}
}

// callDuration is the call's length in whole seconds (truncated): the
// last message's end offset, else its start offset, else the time from
// the conversation's creation to its last update.
func callDuration(conv *convstore.Conversation, last *convstore.Message) int64 {
	if last == nil {
		return callDurationOf(conv, nil, nil)
	}
	return callDurationOf(conv, last.StartOffset, last.EndOffset)
}

// callDurationOf is callDuration from the newest message's offsets (nil
// without a message), as a digest carries them.
func callDurationOf(conv *convstore.Conversation, start, end *time.Duration) int64 {
	if end != nil {
		return seconds(*end)
	}
	if start != nil {
		return seconds(*start)
	}
	return max(0, seconds(conv.UpdatedAt.Sub(conv.CreatedAt)))
}

// seconds truncates a duration to whole seconds.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }
