package convstore

import (
	"context"
	"encoding/json"
	"math"
	"time"
)

// Field bounds of artifacts.
const (
	MaxArtifactTextLen = 64 << 10
	MaxArtifactDataLen = 256 << 10
	MaxArtifactRefs    = 1000
)

// ArtifactType is the kind of derived data an artifact holds.
type ArtifactType string

// Artifact types. They back the vendors' insights, topics and analysis.
const (
	ArtifactSummary    ArtifactType = "summary"
	ArtifactTopic      ArtifactType = "topic"
	ArtifactInsight    ArtifactType = "insight"
	ArtifactActionItem ArtifactType = "action_item"
	ArtifactQuestion   ArtifactType = "question"
	ArtifactFollowUp   ArtifactType = "follow_up"
	ArtifactAnalysis   ArtifactType = "analysis"
	ArtifactEntity     ArtifactType = "entity"
	ArtifactOther      ArtifactType = "other"
)

// ArtifactTypes lists every artifact type.
var ArtifactTypes = []ArtifactType{
	ArtifactSummary, ArtifactTopic, ArtifactInsight, ArtifactActionItem, ArtifactQuestion,
	ArtifactFollowUp, ArtifactAnalysis, ArtifactEntity, ArtifactOther,
}

// Valid reports whether t is a known artifact type.
func (t ArtifactType) Valid() bool {
	for _, v := range ArtifactTypes {
		if t == v {
			return true
		}
	}
	return false
}

// Artifact is data derived from a conversation: a summary, topic, insight,
// action item and so on. It is deleted with its conversation.
type Artifact struct {
	ID             ID
	ConversationID ID
	Type           ArtifactType
	Text           string
	Data           json.RawMessage // optional JSON value
	MessageIDs     []ID            // messages it refers to (need not exist any more)
	Score          *float64
	CreatedAt      time.Time
}

// ArtifactCreate is the input of ArtifactService.CreateArtifact.
type ArtifactCreate struct {
	Type       ArtifactType
	Text       string
	Data       json.RawMessage
	MessageIDs []ID // messages of the conversation; any other id is EINVALID
	Score      *float64
}

// Validate checks the artifact.
func (c *ArtifactCreate) Validate() error {
	if !c.Type.Valid() {
		return Invalidf("type", "type must be one of summary, topic, insight, action_item, question, follow_up, analysis, entity, other")
	}
	if err := validMultiline("text", c.Text, MaxArtifactTextLen); err != nil {
		return err
	}
	if err := validJSON("data", c.Data, MaxArtifactDataLen); err != nil {
		return err
	}
	if c.Text == "" && len(c.Data) == 0 {
		return Invalidf("text", "an artifact needs text or data")
	}
	if c.Score != nil && (math.IsNaN(*c.Score) || math.IsInf(*c.Score, 0)) {
		return Invalidf("score", "score must be a finite number")
	}
	if len(c.MessageIDs) > MaxArtifactRefs {
		return Invalidf("message_ids", "message_ids must have at most %d ids", MaxArtifactRefs)
	}
	return nil
}

// ArtifactFilter selects a conversation's artifacts. Default order: asc.
type ArtifactFilter struct {
	Type ArtifactType // "" for all
	PageFilter
}

// ArtifactService manages artifacts, scoped like MessageService.
type ArtifactService interface {
	// FindArtifactByID returns one artifact. ENOTFOUND if missing. A zero
	// conversationID finds the artifact in any conversation of the tenant.
	FindArtifactByID(ctx context.Context, tenantID, conversationID, id ID) (*Artifact, error)

	// FindArtifacts returns a page of artifacts ordered by ID and whether
	// more follow. ENOTFOUND if the conversation is missing. A zero
	// conversationID lists the artifacts of every live conversation of the
	// tenant.
	FindArtifacts(ctx context.Context, tenantID, conversationID ID, f ArtifactFilter) ([]*Artifact, bool, error)

	// CreateArtifact adds an artifact. ENOTFOUND if the conversation is
	// missing or deleted concurrently; EINVALID for bad input.
	CreateArtifact(ctx context.Context, tenantID, conversationID ID, c *ArtifactCreate) (*Artifact, error)

	// DeleteArtifact permanently deletes one artifact and writes an AuditEntry.
	DeleteArtifact(ctx context.Context, tenantID, conversationID, id ID, p DeleteParams) error
}
