package convstore

import (
	"context"
	"time"
)

// AuditEndUserDelete is the audit action of an end-user record's delete.
const AuditEndUserDelete = "end_user.delete"

// PrefixEndUser is the prefix of an end-user record's id, for cursors.
const PrefixEndUser = "eu"

// HeldEndUser returns the EHELD error of an end-user record's delete
// refused because hold holdID is on its user id.
func HeldEndUser(holdID ID) *Error {
	return &Error{Code: EHELD, Message: "the end user is under legal hold " + holdID.Format(PrefixHold) +
		"; their record cannot be deleted until the hold is released"}
}

// EndUser is an end-user record: a user as a door's vendor knows it
// (Botpress's users), kept apart from conversations. Name and Metadata
// are content, sealed under the record's own data key, which its delete
// destroys; UserID and Metadata pairs are found by blind index. UserID is
// the end-user id that an erasure (selector user_id) and a legal hold on
// a user name: erasing that user deletes this record with the user's
// conversations, and a hold on it keeps the record.
type EndUser struct {
	ID         ID
	TenantID   ID
	UserID     string // the caller's id of the user, unique per tenant
	ExternalID string // optional get-or-create key, unique per tenant
	Name       string
	Metadata   Metadata // door-defined pairs (the bot, tags, picture URL, …)
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// EndUserCreate is the input of EndUserService.CreateEndUser.
type EndUserCreate struct {
	UserID     string // required
	ExternalID string // optional: FindOrCreateEndUser's key
	Name       string
	Metadata   Metadata
}

// Validate checks every field.
func (c *EndUserCreate) Validate() error {
	if c.UserID == "" {
		return Invalidf("user_id", "user_id is required")
	}
	if err := validText("user_id", c.UserID, MaxExternalLen); err != nil {
		return err
	}
	if err := validText("external_id", c.ExternalID, MaxExternalLen); err != nil {
		return err
	}
	if err := validText("name", c.Name, MaxTitleLen); err != nil {
		return err
	}
	return c.Metadata.Validate("metadata")
}

// EndUserUpdate is the input of EndUserService.UpdateEndUser. Nil fields
// are left unchanged; Metadata replaces the whole map.
type EndUserUpdate struct {
	Name     *string
	Metadata *Metadata
}

// Validate checks every set field.
func (u *EndUserUpdate) Validate() error {
	if u.Name != nil {
		if err := validText("name", *u.Name, MaxTitleLen); err != nil {
			return err
		}
	}
	if u.Metadata != nil {
		return u.Metadata.Validate("metadata")
	}
	return nil
}

// EndUserFilter selects end-user records. Empty fields do not filter.
type EndUserFilter struct {
	UserID        string
	Metadata      Metadata   // records whose metadata has every pair given
	CreatedAfter  *time.Time // exclusive
	CreatedBefore *time.Time // exclusive
	PageFilter               // default order: desc (newest first)
}

// Validate checks the filter and normalizes its page fields.
func (f *EndUserFilter) Validate() error {
	if err := f.PageFilter.Normalize(OrderDesc); err != nil {
		return err
	}
	if err := validText("user_id", f.UserID, MaxExternalLen); err != nil {
		return err
	}
	return f.Metadata.Validate("metadata")
}

// EndUserService manages end-user records. Every method is scoped to the
// tenant; another tenant's record is ENOTFOUND.
type EndUserService interface {
	// FindEndUserByUserID returns the record of that user id. ENOTFOUND
	// if missing (and for "").
	FindEndUserByUserID(ctx context.Context, tenantID ID, userID string) (*EndUser, error)

	// FindEndUsers returns a page of records ordered by ID and whether
	// more follow. EINVALID for a bad filter.
	FindEndUsers(ctx context.Context, tenantID ID, f EndUserFilter) ([]*EndUser, bool, error)

	// CreateEndUser creates a record. EINVALID for bad input; ECONFLICT
	// if its UserID or ExternalID is taken.
	CreateEndUser(ctx context.Context, tenantID ID, c *EndUserCreate) (*EndUser, error)

	// FindOrCreateEndUser returns the record created with c.ExternalID
	// (required) and false, or creates it from c and returns true. A
	// deleted record's key names a new one.
	FindOrCreateEndUser(ctx context.Context, tenantID ID, c *EndUserCreate) (*EndUser, bool, error)

	// UpdateEndUser changes the set fields and UpdatedAt. ENOTFOUND if
	// missing.
	UpdateEndUser(ctx context.Context, tenantID, id ID, u *EndUserUpdate) (*EndUser, error)

	// DeleteEndUser deletes the record for good in one transaction: its
	// row and data key go, a Deletion receipt (Kind DeletionEndUser,
	// ConversationID the record's id) and an AuditEntry are written.
	// EHELD if a legal hold on its user id covers it; ENOTFOUND if
	// missing.
	DeleteEndUser(ctx context.Context, tenantID, id ID, p DeleteParams) (*Deletion, error)
}
