package convstore

import "context"

// ConversationDigest is a conversation with the ends of its message list:
// what a door's list view shows of each conversation (Conversation has
// the message count).
type ConversationDigest struct {
	Conversation *Conversation
	First        []*Message // its first messages, oldest first
	Last         []*Message // its last messages, oldest first; a short conversation's may repeat First's
}

// DigestOptions say how many messages from each end of a conversation a
// digest carries, each 0 to MaxPageLimit.
type DigestOptions struct {
	First, Last int
}

// Validate checks the options.
func (o DigestOptions) Validate() error {
	if o.First < 0 || o.First > MaxPageLimit {
		return Invalidf("first", "first must be between 0 and %d", MaxPageLimit)
	}
	if o.Last < 0 || o.Last > MaxPageLimit {
		return Invalidf("last", "last must be between 0 and %d", MaxPageLimit)
	}
	return nil
}

// DigestService reads pages of conversations for list views.
type DigestService interface {
	// FindConversationDigests returns the page of conversations that
	// FindConversations would, each with the ends of its message list,
	// in a number of queries that does not grow with the page (one
	// snapshot). EINVALID for a bad filter or options.
	FindConversationDigests(ctx context.Context, tenantID ID, f ConversationFilter, o DigestOptions) ([]*ConversationDigest, bool, error)
}
