package convhttp

import (
	"context"

	"github.com/convstore/convstore"
)

// ListStore is what ListMessages reads: batches of messages, and a
// conversation by id to tell a deleted one.
type ListStore interface {
	convstore.DigestService
	FindConversationByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Conversation, error)
}

// listBatchBytes is about how many bytes of messages a ListMessages batch
// and the conversation it holds for a second pass each come to: batches
// are sized from the size of the messages seen (between
// convstore.MaxPageLimit and convstore.MaxBatchRows messages), so that a
// list of large messages holds no more than a page of them, as
// MessagePages does.
const listBatchBytes = 4 << 20

// ListMessages reads the messages of a page of conversations for list
// answers, conversation after conversation, oldest first, in batches that
// span conversations (up to convstore.MaxBatchRows messages): a page of
// small conversations costs a read per thousand messages, not a read per
// conversation. It holds a batch ahead, and the conversation being read
// while it is small enough (listBatchBytes) to be shown twice without
// reading it again.
//
// Like MessagePages it shows each conversation as its digest saw it: up to
// the newest message of the digest's snapshot (FindConversationDigests
// with Last ≥ 1), leaving out messages appended since; a message deleted
// meanwhile is left out if it had not been read yet. A conversation
// deleted meanwhile ends its reading with ENOTFOUND (found when its
// reading ends short of its newest message, the one case where it looks
// the conversation up).
type ListMessages struct {
	store  ListStore
	tenant convstore.ID
	first  int // at most this many messages of each conversation; 0: all
	convs  []listConv
	cur    int     // the conversation Each was last called for
	size   float64 // mean size of the messages seen, in bytes
}

// listConv is the reading state of one listed conversation.
type listConv struct {
	id       convstore.ID
	end      convstore.ID // its newest message in the snapshot; zero: none
	count    int          // its messages to read, from the snapshot's count, for planning batches
	read     int          // messages read so far (held or not)
	msgs     []*convstore.Message
	bytes    int          // msgs' size
	partial  bool         // msgs lacks earlier messages (let go past listBatchBytes)
	after    convstore.ID // the last message read
	complete bool         // read up to end (or first)
	more     bool         // first was reached with more messages left
}

// NewListMessages reads the messages of the digests' conversations (read
// with Last ≥ 1, so that each has its newest message): every message, or
// the first ones of each when first > 0.
func NewListMessages(store ListStore, tenantID convstore.ID, digests []*convstore.ConversationDigest, first int) *ListMessages {
	l := &ListMessages{store: store, tenant: tenantID, first: first, convs: make([]listConv, len(digests))}
	seen, bytes := 0, 0
	for i, d := range digests {
		c := &l.convs[i]
		c.id, c.count = d.Conversation.ID, d.Conversation.MessageCount
		if first > 0 {
			c.count = min(c.count, first)
		}
		if n := len(d.Last); n > 0 {
			c.end = d.Last[n-1].ID
		}
		for _, m := range d.Last { // a sample of the messages' size
			seen, bytes = seen+1, bytes+messageSize(m)
		}
		c.complete = c.end.IsZero()
	}
	if seen > 0 {
		l.size = float64(bytes) / float64(seen)
	}
	return l
}

// messageSize estimates the memory a message holds, in bytes.
func messageSize(m *convstore.Message) int {
	n := 200 + len(m.Content) + len(m.Parts) + len(m.AuthorName)
	for k, v := range m.Metadata {
		n += len(k) + len(v)
	}
	return n
}

// Each calls fn with every message of the i-th conversation, oldest first
// (its first ones only if NewListMessages was given first > 0).
// Conversations are read in order: i may repeat the last one (a second
// pass over it) or move forward, never back. It stops at the first error,
// fn's included.
func (l *ListMessages) Each(ctx context.Context, i int, fn func(*convstore.Message) error) error {
	if i < l.cur {
		return convstore.Errorf(convstore.EINTERNAL, "convhttp: ListMessages read backwards")
	}
	for ; l.cur < i; l.cur++ {
		l.convs[l.cur] = listConv{complete: true} // let it go
	}
	c := &l.convs[i]
	if c.partial { // a second pass over a long conversation: read it again
		*c = listConv{id: c.id, end: c.end, count: c.count}
	}
	for next := 0; ; {
		for ; next < len(c.msgs); next++ {
			if err := fn(c.msgs[next]); err != nil {
				return err
			}
		}
		if c.complete {
			if c.after != c.end && !c.more && (l.first == 0 || c.read < l.first) {
				return l.gone(ctx, c) // ended short of its newest message
			}
			return nil
		}
		if c.bytes >= listBatchBytes || len(c.msgs) >= convstore.MaxBatchRows { // too long to hold: read again for a second pass
			c.msgs, c.bytes, c.partial, next = nil, 0, true, 0
		}
		if err := l.fetch(ctx, i); err != nil {
			return err
		}
	}
}

// More reports whether the i-th conversation has messages past the first
// ones Each gave (when NewListMessages was given first > 0), once Each has
// read it.
func (l *ListMessages) More(i int) bool { return l.convs[i].more }

// gone returns ENOTFOUND if the conversation, whose reading ended short of
// its newest message, was deleted (else its newest message was).
func (l *ListMessages) gone(ctx context.Context, c *listConv) error {
	_, err := l.store.FindConversationByID(ctx, l.tenant, c.id)
	return err
}

// budget is the size of the next batch, in messages: listBatchBytes of
// messages of the mean size seen.
func (l *ListMessages) budget() int {
	if l.size <= 0 {
		return convstore.MaxBatchRows
	}
	return int(min(max(listBatchBytes/l.size, convstore.MaxPageLimit), convstore.MaxBatchRows))
}

// fetch reads one batch: the rest of conversation from, then the
// following conversations not yet complete, each asked for the messages
// its count says it has left (the one being read for at least a page,
// should its count be short), until the batch is full.
func (l *ListMessages) fetch(ctx context.Context, from int) error {
	var ranges []convstore.MessageRange
	var which []int
	budget := l.budget()
	for k := from; k < len(l.convs) && budget > 0 && len(ranges) < convstore.MaxBatchRanges; k++ {
		c := &l.convs[k]
		if c.complete {
			continue
		}
		least := 1
		if k == from {
			least = convstore.MaxPageLimit
		}
		n := min(budget, max(c.count-c.read, least))
		if l.first > 0 {
			n = min(n, l.first-c.read)
		}
		ranges = append(ranges, convstore.MessageRange{ConversationID: c.id,
			PageFilter: convstore.PageFilter{After: c.after, Limit: n, Order: convstore.OrderAsc}})
		which = append(which, k)
		budget -= n
	}
	pages, err := l.store.FindMessagePages(ctx, l.tenant, ranges)
	if err != nil {
		return err
	}
	seen, bytes := 0, 0
	for j, p := range pages {
		c := &l.convs[which[j]]
		more := p.More
		for _, m := range p.Messages {
			if c.end.Less(m.ID) { // appended after the snapshot
				more = false
				break
			}
			size := messageSize(m)
			c.msgs, c.bytes = append(c.msgs, m), c.bytes+size
			c.read, c.after = c.read+1, m.ID
			seen, bytes = seen+1, bytes+size
		}
		switch {
		case l.first > 0 && c.read >= l.first:
			c.complete, c.more = true, more && c.after != c.end
		case !more || c.after == c.end:
			c.complete = true
		}
	}
	if seen > 0 {
		l.size = float64(bytes) / float64(seen)
	}
	return nil
}
