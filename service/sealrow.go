package service

import (
	"context"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/driver"
)

// The stored forms of the domain's rows: content sealed (see box), the
// looked-up fields' blind indexes beside it; and back.

// conversationRow returns c as stored, sealed in b, with its indexes.
func (z *sealer) conversationRow(b box, c *convstore.Conversation) (*driver.ConversationRow, error) {
	r := &driver.ConversationRow{Conversation: *c}
	r.Title = b.str(tConversations, "title", c.ID, c.Title)
	r.UserID = b.str(tConversations, "user_id", c.ID, c.UserID)
	r.ExternalID = b.str(tConversations, "external_id", c.ID, c.ExternalID)
	r.Metadata = nil
	r.Meta = b.meta(tConversations, c.ID, c.Metadata)
	var err error
	if r.UserIndex, err = z.index(c.TenantID, "user_id", c.UserID); err != nil {
		return nil, err
	}
	if r.ExternalIndex, err = z.index(c.TenantID, "external_id", c.ExternalID); err != nil {
		return nil, err
	}
	if r.MetaIndex, err = z.metaIndex(c.TenantID, c.Metadata); err != nil {
		return nil, err
	}
	return r, nil
}

// openConversation opens a stored conversation read through r.
func (z *sealer) openConversation(ctx context.Context, r driver.Reader, row *driver.ConversationRow) (*convstore.Conversation, error) {
	return openConversationWith(z.opener(ctx, r, row.TenantID, row.ID), row)
}

// openConversationWith opens a stored conversation with o, its opener.
func openConversationWith(o *opener, row *driver.ConversationRow) (*convstore.Conversation, error) {
	c := row.Conversation
	var err error
	if c.Title, err = o.str(tConversations, "title", c.ID, row.Title); err != nil {
		return nil, err
	}
	if c.UserID, err = o.str(tConversations, "user_id", c.ID, row.UserID); err != nil {
		return nil, err
	}
	if c.ExternalID, err = o.str(tConversations, "external_id", c.ID, row.ExternalID); err != nil {
		return nil, err
	}
	if c.Metadata, err = o.meta(tConversations, c.ID, row.Meta); err != nil {
		return nil, err
	}
	return &c, nil
}

// openConversations opens a list of stored conversations (of one
// tenant, as every list is), their keys read together.
func (z *sealer) openConversations(ctx context.Context, r driver.Reader, rows []*driver.ConversationRow) ([]*convstore.Conversation, error) {
	out := make([]*convstore.Conversation, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	tenantID := rows[0].TenantID
	openers, err := z.openersOf(ctx, r, tenantID, len(rows), func(i int) convstore.ID { return rows[i].ID })
	if err != nil {
		return nil, err
	}
	for i, row := range rows {
		o := openers[row.ID]
		if row.TenantID != tenantID { // not a list of one tenant: no shared reads
			o = z.opener(ctx, r, row.TenantID, row.ID)
		}
		c, err := openConversationWith(o, row)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// messageRow returns m as stored, sealed in b.
func messageRow(b box, m *convstore.Message) *driver.MessageRow {
	r := &driver.MessageRow{Message: *m}
	r.Content = b.str(tMessages, "content", m.ID, m.Content)
	r.AuthorName = b.str(tMessages, "author_name", m.ID, m.AuthorName)
	r.Parts = b.bytes(tMessages, "parts", m.ID, m.Parts)
	r.Metadata = nil
	r.Meta = b.meta(tMessages, m.ID, m.Metadata)
	return r
}

// openMessage opens a stored message with o, the opener of its
// conversation.
func openMessage(o *opener, row *driver.MessageRow) (*convstore.Message, error) {
	m := row.Message
	var err error
	if m.Content, err = o.str(tMessages, "content", m.ID, row.Content); err != nil {
		return nil, err
	}
	if m.AuthorName, err = o.str(tMessages, "author_name", m.ID, row.AuthorName); err != nil {
		return nil, err
	}
	if m.Parts, err = o.json(tMessages, "parts", m.ID, row.Parts); err != nil {
		return nil, err
	}
	if m.Metadata, err = o.meta(tMessages, m.ID, row.Meta); err != nil {
		return nil, err
	}
	return &m, nil
}

// openersOf returns an opener for each of the n conversations conv(i)
// (repeats allowed), their keys read together (see prefetch).
func (z *sealer) openersOf(ctx context.Context, r driver.Reader, tenantID convstore.ID, n int, conv func(int) convstore.ID) (map[convstore.ID]*opener, error) {
	openers := map[convstore.ID]*opener{}
	for i := range n {
		if id := conv(i); openers[id] == nil {
			openers[id] = z.opener(ctx, r, tenantID, id)
		}
	}
	return openers, z.prefetch(ctx, r, tenantID, openers)
}

// openMessages opens stored messages, each with its conversation's
// opener.
func (z *sealer) openMessages(ctx context.Context, r driver.Reader, tenantID convstore.ID, rows []*driver.MessageRow) ([]*convstore.Message, error) {
	openers, err := z.openersOf(ctx, r, tenantID, len(rows), func(i int) convstore.ID { return rows[i].ConversationID })
	if err != nil {
		return nil, err
	}
	out := make([]*convstore.Message, len(rows))
	for i, row := range rows {
		m, err := openMessage(openers[row.ConversationID], row)
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// artifactRow returns a as stored, sealed in b.
func artifactRow(b box, a *convstore.Artifact) *convstore.Artifact {
	r := *a
	r.Text = b.str(tArtifacts, "text", a.ID, a.Text)
	r.Data = b.bytes(tArtifacts, "data", a.ID, a.Data)
	return &r
}

// openArtifacts opens stored artifacts, each with its conversation's
// opener.
func (z *sealer) openArtifacts(ctx context.Context, r driver.Reader, tenantID convstore.ID, rows []*convstore.Artifact) ([]*convstore.Artifact, error) {
	openers, err := z.openersOf(ctx, r, tenantID, len(rows), func(i int) convstore.ID { return rows[i].ConversationID })
	if err != nil {
		return nil, err
	}
	out := make([]*convstore.Artifact, len(rows))
	for i, row := range rows {
		o := openers[row.ConversationID]
		a := *row
		var err error
		if a.Text, err = o.str(tArtifacts, "text", a.ID, row.Text); err != nil {
			return nil, err
		}
		if a.Data, err = o.json(tArtifacts, "data", a.ID, row.Data); err != nil {
			return nil, err
		}
		out[i] = &a
	}
	return out, nil
}

// openAttachments opens stored attachment records' names.
func (z *sealer) openAttachments(ctx context.Context, r driver.Reader, tenantID convstore.ID, rows []*convstore.Attachment) ([]*convstore.Attachment, error) {
	openers := map[convstore.ID]*opener{}
	out := make([]*convstore.Attachment, len(rows))
	for i, row := range rows {
		o := openers[row.ConversationID]
		if o == nil {
			o = z.opener(ctx, r, tenantID, row.ConversationID)
			openers[row.ConversationID] = o
		}
		a := *row
		var err error
		if a.Name, err = o.str(tAttachments, "name", a.ID, row.Name); err != nil {
			return nil, err
		}
		out[i] = &a
	}
	return out, nil
}

// messageRows returns msgs as stored, sealed in b.
func messageRows(b box, msgs []*convstore.Message) []*driver.MessageRow {
	out := make([]*driver.MessageRow, len(msgs))
	for i, m := range msgs {
		out[i] = messageRow(b, m)
	}
	return out
}
