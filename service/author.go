package service

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// tAuthors is the table of the author rows' sealed values.
const tAuthors = "conversation_authors"

// authorRow returns a as stored, sealed in b.
func authorRow(b box, a *convstore.Author) *driver.AuthorRow {
	return &driver.AuthorRow{MessageID: a.MessageID,
		Name: b.str(tAuthors, "name", a.MessageID, a.Name), UserID: b.str(tAuthors, "user_id", a.MessageID, a.UserID)}
}

// openAuthor opens a stored author row with its conversation's opener.
func openAuthor(o *opener, row *driver.AuthorRow) (*convstore.Author, error) {
	a := &convstore.Author{MessageID: row.MessageID}
	var err error
	if a.Name, err = o.str(tAuthors, "name", row.MessageID, row.Name); err != nil {
		return nil, err
	}
	if a.UserID, err = o.str(tAuthors, "user_id", row.MessageID, row.UserID); err != nil {
		return nil, err
	}
	return a, nil
}

// addAuthors records the authors that msgs, just appended (oldest first),
// bring to the conversation: those whose key none of its stored authors
// has. A new conversation (fresh) has none stored. The stored ones are
// read and opened here, as their keys are sealed: a conversation's
// authors are few next to its messages.
func (s *Service) addAuthors(ctx context.Context, tx driver.Tx, b box, tenantID, convID convstore.ID, msgs []*convstore.Message, fresh bool) error {
	added := convstore.AuthorsOf(msgs)
	if len(added) == 0 {
		return nil
	}
	seen := map[string]bool{}
	if !fresh {
		stored, err := tx.AuthorList(ctx, tenantID, []convstore.ID{convID})
		if err != nil {
			return err
		}
		o := s.z.opener(ctx, tx, tenantID, convID)
		for _, row := range stored[convID] {
			a, err := openAuthor(o, row)
			if err != nil {
				return err
			}
			seen[a.Key()] = true
		}
	}
	rows := make([]*driver.AuthorRow, 0, len(added))
	for _, a := range added {
		if !seen[a.Key()] {
			rows = append(rows, authorRow(b, a))
		}
	}
	return tx.AuthorInsert(ctx, tenantID, convID, rows)
}

// messageDeleted keeps the conversation's authors right once message id
// is deleted: if it was an author's first message, the author's next
// message (if any) becomes its first. The conversation's messages are then
// read again, every one (deleting a first message is rare next to
// listing), and every author's first row inserted; those still stored
// are kept as they are.
func (s *Service) messageDeleted(ctx context.Context, tx driver.Tx, tenantID, convID, id convstore.ID) error {
	gone, err := tx.AuthorDelete(ctx, tenantID, convID, id)
	if err != nil || !gone {
		return err
	}
	rows, err := s.authorRowsFromMessages(ctx, tx, tenantID, convID)
	if err != nil {
		return err
	}
	return tx.AuthorInsert(ctx, tenantID, convID, rows)
}

// authorRowsFromMessages derives a conversation's authors from every one
// of its messages, sealed as stored rows.
func (s *Service) authorRowsFromMessages(ctx context.Context, tx driver.Tx, tenantID, convID convstore.ID) ([]*driver.AuthorRow, error) {
	msgs, err := s.allMessages(ctx, tx, tenantID, convID)
	if err != nil {
		return nil, err
	}
	dek, err := s.z.keyFor(ctx, tx, tenantID, convID, s.now())
	if err != nil {
		return nil, err
	}
	b := s.z.box(dek, tenantID, convID)
	authors := convstore.AuthorsOf(msgs)
	rows := make([]*driver.AuthorRow, len(authors))
	for i, a := range authors {
		rows[i] = authorRow(b, a)
	}
	return rows, nil
}

// allMessages reads every message of a conversation, oldest first, a page
// at a time.
func (s *Service) allMessages(ctx context.Context, r driver.Reader, tenantID, convID convstore.ID) ([]*convstore.Message, error) {
	var out []*convstore.Message
	page := driver.Page{Limit: convstore.MaxPageLimit}
	for {
		rows, err := r.MessageList(ctx, &driver.MessageListParams{TenantID: tenantID, ConversationID: convID, Page: page})
		if err != nil {
			return nil, err
		}
		msgs, err := s.z.openMessages(ctx, r, tenantID, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, msgs...)
		if len(rows) < page.Limit {
			return out, nil
		}
		page.After = rows[len(rows)-1].ID
	}
}

// FindAuthors reads the author rows of every conversation in one
// statement; those of conversations stored before the rows were kept
// (pending) come from their messages instead.
func (s *Service) FindAuthors(ctx context.Context, tenantID convstore.ID, conversationIDs []convstore.ID) ([][]*convstore.Author, error) {
	if len(conversationIDs) > convstore.MaxBatchRanges {
		return nil, convstore.Invalidf("conversation_ids", "at most %d conversations can be read at once", convstore.MaxBatchRanges)
	}
	out := make([][]*convstore.Author, len(conversationIDs))
	err := s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		stored, err := r.AuthorList(ctx, tenantID, conversationIDs)
		if err != nil {
			return err
		}
		pending, err := r.AuthorPendingIn(ctx, tenantID, conversationIDs)
		if err != nil {
			return err
		}
		opened, err := s.openAuthors(ctx, r, tenantID, stored)
		if err != nil {
			return err
		}
		if err := s.authorsFromMessages(ctx, r, tenantID, pending, opened); err != nil {
			return err
		}
		for i, id := range conversationIDs {
			if out[i] = opened[id]; out[i] == nil {
				out[i] = []*convstore.Author{}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// openAuthors opens stored author rows, by conversation; the keys read
// are only those of conversations with rows.
func (s *Service) openAuthors(ctx context.Context, r driver.Reader, tenantID convstore.ID, stored map[convstore.ID][]*driver.AuthorRow) (map[convstore.ID][]*convstore.Author, error) {
	var withRows []convstore.ID
	for id := range stored {
		withRows = append(withRows, id)
	}
	openers, err := s.z.openersOf(ctx, r, tenantID, len(withRows), func(i int) convstore.ID { return withRows[i] })
	if err != nil {
		return nil, err
	}
	out := make(map[convstore.ID][]*convstore.Author, len(stored))
	for id, rows := range stored {
		as := make([]*convstore.Author, 0, len(rows))
		for _, row := range rows {
			a, err := openAuthor(openers[id], row)
			if err != nil {
				return nil, err
			}
			as = append(as, a)
		}
		out[id] = as
	}
	return out, nil
}

// authorsFromMessages sets into out the authors of the pending
// conversations (stored before author rows were kept) from their
// messages, in place of any rows.
func (s *Service) authorsFromMessages(ctx context.Context, r driver.Reader, tenantID convstore.ID, pending []convstore.ID, out map[convstore.ID][]*convstore.Author) error {
	for _, id := range pending {
		msgs, err := s.allMessages(ctx, r, tenantID, id)
		if err != nil {
			return err
		}
		out[id] = convstore.AuthorsOf(msgs)
	}
	return nil
}

// pendingAuthors is authorsFromMessages in a read of its own.
func (s *Service) pendingAuthors(ctx context.Context, tenantID convstore.ID, pending []convstore.ID, out map[convstore.ID][]*convstore.Author) error {
	return s.drv.Read(ctx, func(ctx context.Context, r driver.Reader) error {
		return s.authorsFromMessages(ctx, r, tenantID, pending, out)
	})
}
