package convstore

import (
	"context"
	"fmt"
	"time"
)

// Retention limits.
const (
	MaxRetentionDays     = 36500 // a hundred years: longer is "keep"
	MaxRetentionPolicies = 1000  // per tenant: its default and agent overrides
)

// RetentionSince is what a conversation's age is counted from.
type RetentionSince string

// The clocks of a conversation rule.
const (
	SinceCreated      RetentionSince = "created"       // its creation
	SinceLastActivity RetentionSince = "last_activity" // its last change (an append, an update)
)

// RetentionPolicy says how long a tenant keeps each kind of data: for all
// its conversations (AgentID "", the tenant's default) or for one agent's,
// whose rules override the default kind by kind. A nil rule keeps that
// kind forever in the default, and inherits the default's rule in an
// agent's policy.
type RetentionPolicy struct {
	AgentID string
	// Conversations erases whole conversations (with everything in them)
	// Days after their creation or last activity.
	Conversations *RetentionRule
	// Attachments erases attachments (their records and bytes) Days after
	// their upload; the conversation and its transcript stay.
	Attachments *RetentionRule
	// Artifacts erases artifacts (insights, topics, summaries) Days after
	// their creation.
	Artifacts *RetentionRule
	UpdatedAt time.Time
}

// RetentionRule is how long one kind of data is kept.
type RetentionRule struct {
	Days int
	// Since is the clock of a conversation rule ("" means SinceCreated);
	// attachments and artifacts always count from their own creation.
	Since RetentionSince
}

// Name names the policy in receipts and audit entries: "default" or
// "agent:" and the agent id.
func (p *RetentionPolicy) Name() string {
	if p.AgentID == "" {
		return "default"
	}
	return "agent:" + p.AgentID
}

// ValidateRetention checks a tenant's whole set of policies and applies
// defaults: at most one default and one policy per agent, every rule
// between 1 and MaxRetentionDays days.
func ValidateRetention(policies []*RetentionPolicy) error {
	if len(policies) > MaxRetentionPolicies {
		return Invalidf("policies", "at most %d policies", MaxRetentionPolicies)
	}
	seen := make(map[string]bool, len(policies))
	for i, p := range policies {
		field := fmt.Sprintf("policies[%d]", i)
		if p == nil {
			return Invalidf(field, "%s must be an object", field)
		}
		if err := validText(field+".agent_id", p.AgentID, MaxExternalLen); err != nil {
			return err
		}
		if seen[p.AgentID] {
			if p.AgentID == "" {
				return Invalidf(field+".agent_id", "only one default policy (agent_id null) is allowed")
			}
			return Invalidf(field+".agent_id", "agent %q has more than one policy", p.AgentID)
		}
		seen[p.AgentID] = true
		if p.Conversations == nil && p.Attachments == nil && p.Artifacts == nil {
			return Invalidf(field, "%s sets no rule: give conversations, attachments or artifacts", field)
		}
		rules := []struct {
			name string
			r    *RetentionRule
		}{{"conversations", p.Conversations}, {"attachments", p.Attachments}, {"artifacts", p.Artifacts}}
		for _, r := range rules {
			if r.r == nil {
				continue
			}
			f := field + "." + r.name
			if r.r.Days < 1 || r.r.Days > MaxRetentionDays {
				return Invalidf(f+".after_days", "after_days must be between 1 and %d", MaxRetentionDays)
			}
			switch {
			case r.name != "conversations" && r.r.Since != "":
				return Invalidf(f+".since", "since applies to conversations only: %s count from their own creation", r.name)
			case r.r.Since == "" && r.name == "conversations":
				r.r.Since = SinceCreated
			case r.r.Since == "", r.r.Since == SinceCreated, r.r.Since == SinceLastActivity:
			default:
				return Invalidf(f+".since", "since must be %q or %q", SinceCreated, SinceLastActivity)
			}
		}
	}
	return nil
}

// RetentionCounts is what a retention run erased, or a preview would.
type RetentionCounts struct {
	Conversations   int
	Messages        int // in the erased conversations
	Attachments     int // erased by an attachment rule, in conversations that stay
	AttachmentBytes int64
	Artifacts       int // erased by an artifact rule, in conversations that stay
	Held            int // expired but under a legal hold: kept
}

// RetentionPreview is what the next retention run would erase, as of At.
type RetentionPreview struct {
	At time.Time
	RetentionCounts
}

// RetentionService manages a tenant's retention policies. A background
// runner (on every node, taking turns per tenant) erases what they
// expire, in bounded batches, writing a receipt per conversation and an
// audit entry per item, each naming the policy.
type RetentionService interface {
	// FindRetention returns the tenant's policies, the default first,
	// then by agent id.
	FindRetention(ctx context.Context, tenantID ID) ([]*RetentionPolicy, error)

	// ReplaceRetention replaces the tenant's policies with these (none:
	// keep everything) and writes an audit entry.
	ReplaceRetention(ctx context.Context, tenantID ID, policies []*RetentionPolicy, p DeleteParams) ([]*RetentionPolicy, error)

	// PreviewRetention counts what a retention run would erase now.
	PreviewRetention(ctx context.Context, tenantID ID) (*RetentionPreview, error)

	// PreviewRetentionDraft counts what a retention run would erase now
	// if policies replaced the tenant's, without saving them (a draft
	// being edited). EINVALID for policies ReplaceRetention would refuse.
	PreviewRetentionDraft(ctx context.Context, tenantID ID, policies []*RetentionPolicy) (*RetentionPreview, error)
}
