package convstore

import (
	"context"
	"strconv"
	"time"
)

// PrefixErasure is the native prefix of erasure job ids.
const PrefixErasure = "erasure"

// Audit actions of erasure jobs: the entry's TargetID is the job.
const (
	AuditErasureCreate = "erasure.create"
	AuditErasureCancel = "erasure.cancel"
	AuditErasureFinish = "erasure.finish"
)

// MaxErasureExternalIDs bounds ErasureSelector.ExternalIDs.
const MaxErasureExternalIDs = 1000

// ErasureSelector selects the conversations an erasure job deletes: those
// matching every criterion given. At least one is required: an empty
// selector is refused, never read as "everything".
type ErasureSelector struct {
	UserID        string
	AgentID       string
	ExternalIDs   []string
	CreatedBefore *time.Time // exclusive
	Metadata      Metadata   // every pair given, matched through the blind index
}

// Empty reports whether the selector has no criterion.
func (s *ErasureSelector) Empty() bool {
	return s.UserID == "" && s.AgentID == "" && len(s.ExternalIDs) == 0 && s.CreatedBefore == nil &&
		len(s.Metadata) == 0
}

// Validate checks every criterion and that there is at least one.
func (s *ErasureSelector) Validate() error {
	if s.Empty() {
		return Invalidf("selector", "selector must have at least one of user_id, agent_id, external_ids, created_before, metadata")
	}
	if err := validText("selector.user_id", s.UserID, MaxExternalLen); err != nil {
		return err
	}
	if err := validText("selector.agent_id", s.AgentID, MaxExternalLen); err != nil {
		return err
	}
	if len(s.ExternalIDs) > MaxErasureExternalIDs {
		return Invalidf("selector.external_ids", "selector.external_ids must have at most %d ids", MaxErasureExternalIDs)
	}
	for i, id := range s.ExternalIDs {
		field := "selector.external_ids[" + strconv.Itoa(i) + "]"
		if id == "" {
			return Invalidf(field, "%s must not be empty", field)
		}
		if err := validText(field, id, MaxExternalLen); err != nil {
			return err
		}
	}
	return s.Metadata.Validate("selector.metadata")
}

// Filter returns the conversation filter of the selector's criteria other
// than ExternalIDs.
func (s *ErasureSelector) Filter() ConversationFilter {
	return ConversationFilter{UserID: s.UserID, AgentID: s.AgentID, CreatedBefore: s.CreatedBefore, Metadata: s.Metadata}
}

// ErasureCreate is the input of ErasureService.CreateErasure.
type ErasureCreate struct {
	Selector ErasureSelector
	// DryRun only counts what the selector matches: the job is stored,
	// already succeeded, with its totals, and deletes nothing.
	DryRun bool
	// IncludeNew also erases conversations created after the job's
	// snapshot while it runs; by default a job never erases a
	// conversation created after it was.
	IncludeNew bool
}

// Validate checks the selector.
func (c *ErasureCreate) Validate() error { return c.Selector.Validate() }

// ErasureState is where an erasure job is in its life.
type ErasureState string

// Erasure job states. Succeeded, canceled and failed are final.
const (
	ErasureQueued    ErasureState = "queued"
	ErasureRunning   ErasureState = "running"
	ErasureSucceeded ErasureState = "succeeded"
	ErasureCanceled  ErasureState = "canceled"
	ErasureFailed    ErasureState = "failed"
)

// Final reports whether the state is final.
func (s ErasureState) Final() bool {
	return s == ErasureSucceeded || s == ErasureCanceled || s == ErasureFailed
}

// ErasureCounts counts what a job erases (its total) or has erased.
type ErasureCounts struct {
	Conversations int
	Messages      int
	Artifacts     int
	Attachments   int
	Bytes         int64 // attachment bytes
}

// Add adds o to c.
func (c *ErasureCounts) Add(o ErasureCounts) {
	c.Conversations += o.Conversations
	c.Messages += o.Messages
	c.Artifacts += o.Artifacts
	c.Attachments += o.Attachments
	c.Bytes += o.Bytes
}

// ErasureSummary is what a job shows of its selector: the criteria that
// are not content (agent id, creation bound) and only the presence or
// number of the others. A job never shows, and does not keep beyond its
// run, the user id, external ids or metadata it erases: the record of an
// erasure must not itself keep the identity erased.
type ErasureSummary struct {
	AgentID       string
	CreatedBefore *time.Time
	UserID        bool // a user id was given
	ExternalIDs   int  // how many external ids were given
	MetadataPairs int  // how many metadata pairs were given
}

// SummaryOf returns the summary of s.
func SummaryOf(s *ErasureSelector) ErasureSummary {
	return ErasureSummary{AgentID: s.AgentID, CreatedBefore: s.CreatedBefore, UserID: s.UserID != "",
		ExternalIDs: len(s.ExternalIDs), MetadataPairs: len(s.Metadata)}
}

// Erasure is an erasure job: it deletes, one conversation at a time
// through DeleteConversation (one receipt each, naming the job), every
// conversation its selector matched that was created before its snapshot.
type Erasure struct {
	ID         ID
	TenantID   ID
	State      ErasureState
	DryRun     bool
	IncludeNew bool
	Selector   ErasureSummary
	// SnapshotAt is when the job was created: without IncludeNew it
	// erases no conversation created after it.
	SnapshotAt time.Time
	// Total is what the selector matched at the snapshot; Done what the
	// job has erased (from its receipts). Held counts conversations a
	// rule (a legal hold) kept from being deleted: skipped, not failed.
	Total, Done ErasureCounts
	Held        int
	// CancelRequested is set by CancelErasure; the job stops before its
	// next conversation.
	CancelRequested bool
	// Error is the safe reason of a failed job.
	Error           string
	ActorKeyID      ID // who created it; zero for operators
	Door            string
	RequestID       string
	ClientRequestID string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	FinishedAt      *time.Time
	// Confirmations aggregates the downstream confirmations of the job's
	// receipts (see Processor): how many are complete, pending and
	// overdue. Set by FindErasureByID only; nil in lists.
	Confirmations *ConfirmationCounts
}

// ErasureFilter selects erasure jobs. Default order: desc (newest first).
type ErasureFilter struct {
	PageFilter
}

// ErasureService creates and follows erasure jobs. Every method is scoped
// to the tenant; another tenant's job is ENOTFOUND.
type ErasureService interface {
	// CreateErasure counts what c's selector matches, records the job
	// (and an AuditErasureCreate entry naming p's actor) and returns it:
	// queued, or succeeded for a dry run. A background runner erases it.
	// EINVALID for a bad or empty selector.
	CreateErasure(ctx context.Context, tenantID ID, c *ErasureCreate, p DeleteParams) (*Erasure, error)

	// FindErasureByID returns a job. ENOTFOUND if missing.
	FindErasureByID(ctx context.Context, tenantID, id ID) (*Erasure, error)

	// FindErasures returns a page of jobs and whether more follow.
	FindErasures(ctx context.Context, tenantID ID, f ErasureFilter) ([]*Erasure, bool, error)

	// CancelErasure asks a job to stop before its next conversation (a
	// queued job is canceled at once) and writes an AuditErasureCancel
	// entry. A final job is returned unchanged. ENOTFOUND if missing.
	CancelErasure(ctx context.Context, tenantID, id ID, p DeleteParams) (*Erasure, error)
}
