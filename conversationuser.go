package convstore

import (
	"context"
	"time"
)

// ConversationUser is one end user of a tenant's conversations: the
// distinct UserID of the conversations a ConversationUserFilter selects,
// with what they share.
type ConversationUser struct {
	UserID        string
	Conversations int       // how many of the selected conversations carry it
	FirstAt       time.Time // the CreatedAt of the oldest of them
	LastAt        time.Time // the CreatedAt of the newest of them
	// Latest is the newest of them by ID (the one the user id was read
	// from), which also ties users of equal LastAt or Conversations.
	Latest *Conversation
}

// ConversationUserFilter selects the conversations whose users
// FindConversationUsers lists, and the page of users. Empty fields do not
// filter; conversations without a user id are never counted.
type ConversationUserFilter struct {
	AgentID       string
	UserID        string     // exact: lists that user alone, if any selected conversation carries it
	CreatedAfter  *time.Time // exclusive
	CreatedBefore *time.Time // exclusive
	// ByCount orders users by Conversations instead of LastAt, each tie
	// by Latest's ID, in the page's order (default: desc).
	ByCount bool
	// After is the previous page's last user's Latest ID (zero for the
	// first page), with its LastAt (AfterLast) or, with ByCount, its
	// Conversations (AfterCount): the cursor is the sort key, compared,
	// never looked up.
	AfterLast  time.Time
	AfterCount int
	PageFilter
}

// Validate checks the filter and normalizes its page fields (desc by
// default).
func (f *ConversationUserFilter) Validate() error {
	if err := f.PageFilter.Normalize(OrderDesc); err != nil {
		return err
	}
	if f.AfterCount < 0 {
		return Invalidf("after", "a cursor's conversation count must not be negative")
	}
	if err := validText("agent_id", f.AgentID, MaxExternalLen); err != nil {
		return err
	}
	return validText("user_id", f.UserID, MaxExternalLen)
}

// ConversationUserService lists the end users of a tenant's
// conversations.
type ConversationUserService interface {
	// FindConversationUsers returns a page of the distinct user ids of
	// the conversations f selects, with their counts and times, and
	// whether more follow. Users are grouped by the blind index of their
	// id, so a page opens one conversation per user listed, whatever the
	// number of conversations. EINVALID for a bad filter.
	FindConversationUsers(ctx context.Context, tenantID ID, f ConversationUserFilter) ([]*ConversationUser, bool, error)
}
