package convhttp

import (
	"context"

	"github.com/convstore/convstore"
)

// MessagePages reads a conversation's messages oldest first, one store page
// (convstore.MaxPageLimit messages) at a time, for answers that stream them
// all. It stops at the newest message that existed when it was opened, so
// a response shows the conversation as it was when the response started:
// messages appended while it is written are left out. (IDs grow in commit
// order within a conversation: engines draw them while holding the
// conversation's write lock, from a clock that only moves forward within a
// process. PostgreSQL nodes whose clocks disagree could commit a smaller id
// later, which an answer shows if it has not read that page yet.) A message
// deleted meanwhile is left out if its page had not been read yet; a
// conversation deleted meanwhile ends the reading with ENOTFOUND.
//
// Reading in pages rather than in one read transaction keeps no
// transaction open while a slow client reads: on SQLite a long reader
// holds back WAL checkpoints, on PostgreSQL vacuum.
type MessagePages struct {
	store        convstore.MessageService
	tenant, conv convstore.ID
	last         *convstore.Message // nil: no messages
	after        convstore.ID
	done         bool
}

// OpenMessagePages reads the conversation's newest message, the end of the
// snapshot. ENOTFOUND if the conversation is missing.
func OpenMessagePages(ctx context.Context, store convstore.MessageService, tenantID, conversationID convstore.ID) (*MessagePages, error) {
	newest, _, err := store.FindMessages(ctx, tenantID, conversationID, convstore.MessageFilter{
		PageFilter: convstore.PageFilter{Limit: 1, Order: convstore.OrderDesc},
	})
	if err != nil {
		return nil, err
	}
	p := &MessagePages{store: store, tenant: tenantID, conv: conversationID}
	if len(newest) > 0 {
		p.last = newest[0]
	}
	p.Rewind()
	return p, nil
}

// Last returns the newest message of the snapshot, nil if it had none.
func (p *MessagePages) Last() *convstore.Message { return p.last }

// Rewind starts the reading over, with the same snapshot, for answers that
// list the messages twice.
func (p *MessagePages) Rewind() {
	p.after, p.done = convstore.ID{}, p.last == nil
}

// Next returns the next page, oldest first; an empty page when every
// message of the snapshot has been read.
func (p *MessagePages) Next(ctx context.Context) ([]*convstore.Message, error) {
	if p.done {
		return nil, nil
	}
	page, more, err := p.store.FindMessages(ctx, p.tenant, p.conv, convstore.MessageFilter{
		PageFilter: convstore.PageFilter{After: p.after, Limit: convstore.MaxPageLimit, Order: convstore.OrderAsc},
	})
	if err != nil {
		return nil, err
	}
	for i, m := range page {
		if p.last.ID.Less(m.ID) { // appended after the snapshot
			page, more = page[:i], false
			break
		}
	}
	if len(page) == 0 || !more || page[len(page)-1].ID == p.last.ID {
		p.done = true
	} else {
		p.after = page[len(page)-1].ID
	}
	return page, nil
}

// Each calls fn with every message of the snapshot, oldest first, reading
// one page at a time. It stops at the first error, fn's included.
func (p *MessagePages) Each(ctx context.Context, fn func(*convstore.Message) error) error {
	for {
		page, err := p.Next(ctx)
		if err != nil || len(page) == 0 {
			return err
		}
		for _, m := range page {
			if err := fn(m); err != nil {
				return err
			}
		}
	}
}
