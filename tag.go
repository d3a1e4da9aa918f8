package convstore

import (
	"context"
	"time"
)

// PrefixTag is the prefix of a tag's id.
const PrefixTag = "tag"

// AuditTagDelete is the audit action of a tag definition's delete.
const AuditTagDelete = "tag.delete"

// Bounds of tags.
const (
	MaxTagTitleLen       = 1024  // bytes
	MaxTagDescriptionLen = 16384 // bytes
	// MaxConversationTags is how many tags one conversation may carry.
	MaxConversationTags = 100
	// MaxTagsPerCall is how many tag ids one AddConversationTags takes.
	MaxTagsPerCall = 100
)

// Tag is a tenant-wide tag definition (ElevenLabs' conversation tags),
// attached to conversations by id. Title and Description are vendor
// content, sealed under the tag's own data key, which its delete
// destroys.
type Tag struct {
	ID          ID
	TenantID    ID
	Title       string
	Description string
	CreatedBy   ID // the API key that created it (zero for operators)
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// TagCreate is the input of TagService.CreateTag.
type TagCreate struct {
	Title       string // required
	Description string
}

// Validate checks every field.
func (c *TagCreate) Validate() error {
	if c.Title == "" {
		return Invalidf("title", "title is required")
	}
	if err := validText("title", c.Title, MaxTagTitleLen); err != nil {
		return err
	}
	return validMultiline("description", c.Description, MaxTagDescriptionLen)
}

// TagUpdate is the input of TagService.UpdateTag. Nil fields are left
// unchanged.
type TagUpdate struct {
	Title       *string
	Description *string
}

// Validate checks every set field.
func (u *TagUpdate) Validate() error {
	if u.Title != nil {
		if *u.Title == "" {
			return Invalidf("title", "title must not be empty")
		}
		if err := validText("title", *u.Title, MaxTagTitleLen); err != nil {
			return err
		}
	}
	if u.Description != nil {
		return validMultiline("description", *u.Description, MaxTagDescriptionLen)
	}
	return nil
}

// TagFilter pages a tenant's tags; the default order is desc (newest
// first).
type TagFilter struct {
	PageFilter
}

// TagService manages tag definitions and which conversations carry them.
// Every method is scoped to the tenant; another tenant's tag or
// conversation is ENOTFOUND, exactly as a missing one.
type TagService interface {
	// FindTagByID returns a tag. ENOTFOUND "tag" if missing.
	FindTagByID(ctx context.Context, tenantID, id ID) (*Tag, error)

	// FindTags returns a page of tags ordered by ID and whether more
	// follow. EINVALID for a bad filter.
	FindTags(ctx context.Context, tenantID ID, f TagFilter) ([]*Tag, bool, error)

	// CreateTag creates a tag; createdBy is the API key asking (zero for
	// operators). Titles need not be unique. EINVALID for bad input.
	CreateTag(ctx context.Context, tenantID ID, c *TagCreate, createdBy ID) (*Tag, error)

	// UpdateTag changes the set fields and UpdatedAt. ENOTFOUND if
	// missing.
	UpdateTag(ctx context.Context, tenantID, id ID, u *TagUpdate) (*Tag, error)

	// DeleteTag deletes the tag for good with its data key, detaches it
	// from every conversation and writes an AuditEntry (TargetID the
	// tag). ENOTFOUND if missing.
	DeleteTag(ctx context.Context, tenantID, id ID, p DeleteParams) error

	// AddConversationTags attaches tags to a live conversation, all or
	// none; tags it carries already are left as they are. ENOTFOUND
	// "conversation" (checked first) or "tag" if any is missing; EINVALID
	// for no ids, more than MaxTagsPerCall, or more than
	// MaxConversationTags on the conversation after.
	AddConversationTags(ctx context.Context, tenantID, conversationID ID, tagIDs []ID) error

	// RemoveConversationTag detaches a tag from a live conversation; a
	// tag it does not carry is no error. ENOTFOUND "conversation"
	// (checked first) or "tag" if missing.
	RemoveConversationTag(ctx context.Context, tenantID, conversationID, tagID ID) error

	// ConversationTagIDs returns the tag ids each of the given live
	// conversations carries, oldest attachment first; conversations
	// without tags (and missing ones) have no entry.
	ConversationTagIDs(ctx context.Context, tenantID ID, conversationIDs []ID) (map[ID][]ID, error)
}
