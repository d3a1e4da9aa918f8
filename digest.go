package convstore

import (
	"context"
	"time"
)

// ConversationDigest is a conversation with the ends of its message list:
// what a door's list view shows of each conversation (Conversation has
// the message count).
type ConversationDigest struct {
	Conversation *Conversation
	First        []*Message  // its first messages, oldest first
	Last         []*Message  // its last messages, oldest first; a short conversation's may repeat First's
	Newest       []*Artifact // its newest artifact of each of DigestOptions.Newest's types (the i-th of the i-th), nil for none
	Authors      []*Author   // with DigestOptions.Authors, its authors as FindAuthors returns them; nil without
	// With DigestOptions.Offsets, the StartOffset and EndOffset of its
	// newest message, nil without messages (or without the offset), and
	// in a list of deleted conversations, which shows none of their
	// children.
	LastStartOffset, LastEndOffset *time.Duration
}

// DigestOptions say how many messages from each end of a conversation a
// digest carries, each 0 to MaxPageLimit.
type DigestOptions struct {
	First, Last int
	// Newest lists artifact types (at most maxDigestTypes, distinct)
	// whose newest artifact of each conversation the digest carries, read
	// in the same snapshot.
	Newest []ArtifactType
	// Authors has the digest carry each conversation's authors, read in
	// the same snapshot (a list of members costs no second read).
	Authors bool
	// Offsets has the digest carry the offsets of each conversation's
	// newest message (LastStartOffset, LastEndOffset), which the store
	// keeps on the conversation: with Last 0 no message is read. Newest
	// summaries and analyses are kept likewise: a digest of Offsets and
	// those types is one read of the page.
	Offsets bool
}

// maxDigestTypes bounds DigestOptions.Newest: each type is a range per
// conversation of one batch read of MaxBatchRanges ranges.
const maxDigestTypes = MaxBatchRanges / MaxPageLimit

// Validate checks the options.
func (o DigestOptions) Validate() error {
	if len(o.Newest) > maxDigestTypes {
		return Invalidf("newest", "at most %d artifact types can be read per digest", maxDigestTypes)
	}
	for i, t := range o.Newest {
		if !t.Valid() {
			return Invalidf("newest", "newest must hold artifact types: summary, topic, insight, action_item, question, follow_up, analysis, entity, other")
		}
		for _, u := range o.Newest[:i] {
			if u == t {
				return Invalidf("newest", "newest must not repeat a type")
			}
		}
	}
	if o.First < 0 || o.First > MaxPageLimit {
		return Invalidf("first", "first must be between 0 and %d", MaxPageLimit)
	}
	if o.Last < 0 || o.Last > MaxPageLimit {
		return Invalidf("last", "last must be between 0 and %d", MaxPageLimit)
	}
	return nil
}

// DigestService reads pages of conversations for list views, and the
// children of many conversations at once: what a door's list needs of
// each listed conversation, in a number of queries that does not grow
// with the conversations listed.
type DigestService interface {
	// FindConversationDigests returns the page of conversations that
	// FindConversations would, each with the ends of its message list,
	// in a number of queries that does not grow with the page (one
	// snapshot). EINVALID for a bad filter or options.
	FindConversationDigests(ctx context.Context, tenantID ID, f ConversationFilter, o DigestOptions) ([]*ConversationDigest, bool, error)

	// FindMessagePages returns a page of messages for each range (the
	// i-th page for the i-th range), as FindMessages would for each, in
	// one query. A missing conversation, or another tenant's, has an
	// empty page: unlike FindMessages it is not ENOTFOUND. EINVALID for a
	// bad range, more than MaxBatchRanges ranges, or limits summing past
	// MaxBatchRows.
	FindMessagePages(ctx context.Context, tenantID ID, ranges []MessageRange) ([]MessagePage, error)

	// FindArtifactPages is FindMessagePages for artifacts.
	FindArtifactPages(ctx context.Context, tenantID ID, ranges []ArtifactRange) ([]ArtifactPage, error)

	// FindAuthors returns the distinct authors of each conversation's
	// messages (the i-th list for the i-th id), in order of first
	// message, as AuthorsOf would find them in its messages, from a record
	// kept as messages are added and deleted, without reading the
	// messages, in one snapshot. A missing conversation, or another
	// tenant's, has none. EINVALID for more than MaxBatchRanges ids.
	FindAuthors(ctx context.Context, tenantID ID, conversationIDs []ID) ([][]*Author, error)
}

// Batch read caps: how many ranges one FindMessagePages or
// FindArtifactPages call takes, and the sum of their limits, which bounds
// the rows one call holds.
const (
	MaxBatchRanges = 2 * MaxPageLimit
	MaxBatchRows   = 10 * MaxPageLimit
)

// MessageRange selects a page of one conversation's messages, as
// FindMessages with a MessageFilter of this PageFilter would (oldest first
// by default), except that its limit may reach MaxBatchRows.
type MessageRange struct {
	ConversationID ID
	PageFilter
}

// MessagePage is the page of one MessageRange.
type MessagePage struct {
	Messages []*Message
	More     bool // more messages follow in the range's order
}

// ArtifactRange selects a page of one conversation's artifacts, as
// FindArtifacts with an ArtifactFilter of this Type and PageFilter would.
type ArtifactRange struct {
	ConversationID ID
	Type           ArtifactType // "" for every type
	PageFilter
}

// ArtifactPage is the page of one ArtifactRange.
type ArtifactPage struct {
	Artifacts []*Artifact
	More      bool
}

// validBatch checks what every batch read shares: at most MaxBatchRanges
// ranges, each of a conversation, with a limit of 1 to MaxBatchRows (0:
// DefaultPageLimit), the limits summing to at most MaxBatchRows.
func validBatch(n int, at func(i int) (ID, *PageFilter)) error {
	if n > MaxBatchRanges {
		return Invalidf("ranges", "at most %d ranges can be read at once", MaxBatchRanges)
	}
	rows := 0
	for i := range n {
		id, p := at(i)
		if id.IsZero() {
			return Invalidf("conversation_id", "every range needs a conversation")
		}
		limit := p.Limit
		if limit < 0 || limit > MaxBatchRows {
			return Invalidf("limit", "limit must be between 1 and %d", MaxBatchRows)
		}
		p.Limit = min(limit, MaxPageLimit) // Normalize checks the rest
		if err := p.Normalize(OrderAsc); err != nil {
			return err
		}
		if limit > 0 {
			p.Limit = limit
		}
		rows += p.Limit
	}
	if rows > MaxBatchRows {
		return Invalidf("limit", "the ranges' limits must sum to at most %d", MaxBatchRows)
	}
	return nil
}

// NormalizeMessageRanges validates ranges and applies the page defaults
// in place.
func NormalizeMessageRanges(ranges []MessageRange) error {
	return validBatch(len(ranges), func(i int) (ID, *PageFilter) { return ranges[i].ConversationID, &ranges[i].PageFilter })
}

// NormalizeArtifactRanges validates ranges (types included) and applies
// the page defaults in place.
func NormalizeArtifactRanges(ranges []ArtifactRange) error {
	for _, r := range ranges {
		if r.Type != "" && !r.Type.Valid() {
			return Invalidf("type", "type must be one of summary, topic, insight, action_item, question, follow_up, analysis, entity, other")
		}
	}
	return validBatch(len(ranges), func(i int) (ID, *PageFilter) { return ranges[i].ConversationID, &ranges[i].PageFilter })
}
