package api

import (
	"time"

	"github.com/convstore/convstore"
)

// ObjectErasure is the object of an erasure job.
const ObjectErasure = "erasure"

// ErasureSelector is what an erasure job deletes: the conversations
// matching every criterion given (at least one). CreatedBefore is Unix
// seconds, exclusive.
type ErasureSelector struct {
	UserID        string            `json:"user_id,omitempty"`
	AgentID       string            `json:"agent_id,omitempty"`
	ExternalIDs   []string          `json:"external_ids,omitempty"`
	CreatedBefore *int64            `json:"created_before,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
}

// ErasureCreate is the body of POST /v1/erasures.
type ErasureCreate struct {
	Selector   ErasureSelector `json:"selector"`
	DryRun     bool            `json:"dry_run,omitempty"`
	IncludeNew bool            `json:"include_new,omitempty"`
}

// ErasureSummary is what a job shows of its selector: never the user id,
// external ids or metadata it erases, only whether and how many were
// given.
type ErasureSummary struct {
	AgentID           *string `json:"agent_id"`
	CreatedBefore     *int64  `json:"created_before"`
	HasUserID         bool    `json:"has_user_id"`
	ExternalIDCount   int     `json:"external_id_count"`
	MetadataPairCount int     `json:"metadata_pair_count"`
}

// ErasureCounts counts conversations and what they held.
type ErasureCounts struct {
	Conversations int   `json:"conversations"`
	Messages      int   `json:"messages"`
	Artifacts     int   `json:"artifacts"`
	Attachments   int   `json:"attachments"`
	Bytes         int64 `json:"bytes"`
}

// ErasureProgress is a job's progress: done of total (counted at the
// snapshot), and the conversations a rule kept (held).
type ErasureProgress struct {
	Done  ErasureCounts `json:"done"`
	Total ErasureCounts `json:"total"`
	Held  int           `json:"held"`
}

// Erasure is the wire form of an erasure job.
type Erasure struct {
	ID              string          `json:"id"`
	Object          string          `json:"object"`
	State           string          `json:"state"`
	DryRun          bool            `json:"dry_run"`
	IncludeNew      bool            `json:"include_new"`
	Selector        ErasureSummary  `json:"selector"`
	Progress        ErasureProgress `json:"progress"`
	CancelRequested bool            `json:"cancel_requested"`
	Error           *string         `json:"error"`
	CreatedBy       *string         `json:"created_by"`
	Door            string          `json:"door"`
	RequestID       string          `json:"request_id"`
	ClientRequestID *string         `json:"client_request_id"`
	SnapshotAt      int64           `json:"snapshot_at"`
	CreatedAt       int64           `json:"created_at"`
	UpdatedAt       int64           `json:"updated_at"`
	FinishedAt      *int64          `json:"finished_at"`
	// Confirmations aggregates the downstream confirmations of the job's
	// receipts; on GET /v1/erasures/{id} only, null in lists.
	Confirmations *ConfirmationCounts `json:"confirmations"`
}

func countsOut(c convstore.ErasureCounts) ErasureCounts {
	return ErasureCounts{Conversations: c.Conversations, Messages: c.Messages, Artifacts: c.Artifacts,
		Attachments: c.Attachments, Bytes: c.Bytes}
}

func countsIn(c ErasureCounts) convstore.ErasureCounts {
	return convstore.ErasureCounts{Conversations: c.Conversations, Messages: c.Messages, Artifacts: c.Artifacts,
		Attachments: c.Attachments, Bytes: c.Bytes}
}

func optUnix(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	s := t.Unix()
	return &s
}

func fromUnix(s *int64) *time.Time {
	if s == nil {
		return nil
	}
	t := time.Unix(*s, 0).UTC()
	return &t
}

// FromErasure converts a job to its wire form.
func FromErasure(e *convstore.Erasure) Erasure {
	return Erasure{
		ID: e.ID.Format(convstore.PrefixErasure), Object: ObjectErasure, State: string(e.State), DryRun: e.DryRun,
		IncludeNew: e.IncludeNew,
		Selector: ErasureSummary{AgentID: optString(e.Selector.AgentID), CreatedBefore: optUnix(e.Selector.CreatedBefore),
			HasUserID: e.Selector.UserID, ExternalIDCount: e.Selector.ExternalIDs, MetadataPairCount: e.Selector.MetadataPairs},
		Progress:        ErasureProgress{Done: countsOut(e.Done), Total: countsOut(e.Total), Held: e.Held},
		CancelRequested: e.CancelRequested, Error: optString(e.Error), CreatedBy: optID(e.ActorKeyID, convstore.PrefixKey),
		Door: e.Door, RequestID: e.RequestID, ClientRequestID: optString(e.ClientRequestID),
		SnapshotAt: Unix(e.SnapshotAt), CreatedAt: Unix(e.CreatedAt), UpdatedAt: Unix(e.UpdatedAt),
		FinishedAt: optUnix(e.FinishedAt), Confirmations: fromCounts(e.Confirmations),
	}
}

// ToErasure converts a wire job to the domain type (without its tenant).
func ToErasure(w *Erasure) *convstore.Erasure {
	id, _ := convstore.ParseID(convstore.PrefixErasure, "id", w.ID)
	e := &convstore.Erasure{
		ID: id, State: convstore.ErasureState(w.State), DryRun: w.DryRun, IncludeNew: w.IncludeNew,
		Selector: convstore.ErasureSummary{CreatedBefore: fromUnix(w.Selector.CreatedBefore), UserID: w.Selector.HasUserID,
			ExternalIDs: w.Selector.ExternalIDCount, MetadataPairs: w.Selector.MetadataPairCount},
		Total: countsIn(w.Progress.Total), Done: countsIn(w.Progress.Done), Held: w.Progress.Held,
		CancelRequested: w.CancelRequested, Door: w.Door, RequestID: w.RequestID,
		SnapshotAt: time.Unix(w.SnapshotAt, 0).UTC(), CreatedAt: time.Unix(w.CreatedAt, 0).UTC(),
		UpdatedAt: time.Unix(w.UpdatedAt, 0).UTC(), FinishedAt: fromUnix(w.FinishedAt),
		Confirmations: toCounts(w.Confirmations),
	}
	if w.Selector.AgentID != nil {
		e.Selector.AgentID = *w.Selector.AgentID
	}
	if w.Error != nil {
		e.Error = *w.Error
	}
	if w.CreatedBy != nil {
		e.ActorKeyID, _ = convstore.ParseID(convstore.PrefixKey, "created_by", *w.CreatedBy)
	}
	if w.ClientRequestID != nil {
		e.ClientRequestID = *w.ClientRequestID
	}
	return e
}
