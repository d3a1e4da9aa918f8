package client

import (
	"context"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// AddMessages appends a batch of messages to a conversation atomically and
// returns them as stored. ENOTFOUND if the conversation is missing,
// EINVALID for bad input.
func (c *Client) AddMessages(ctx context.Context, convID convstore.ID, batch []*convstore.MessageCreate) ([]*convstore.Message, error) {
	body := api.MessagesCreate{Messages: make([]api.MessageCreate, len(batch))}
	for i, m := range batch {
		body.Messages[i] = api.FromMessageCreate(m)
	}
	var out api.List[api.Message]
	if err := c.doJSON(ctx, http.MethodPost, messagesPath(convID), nil, body, &out); err != nil {
		return nil, err
	}
	return toMessages(out.Data), nil
}

// ListMessages returns a page of a conversation's messages (oldest first
// unless f.Order says otherwise) and whether more follow.
func (c *Client) ListMessages(ctx context.Context, convID convstore.ID, f convstore.MessageFilter) ([]*convstore.Message, bool, error) {
	var out api.List[api.Message]
	q := pageQuery(nil, f.PageFilter, convstore.PrefixMessage)
	if err := c.doJSON(ctx, http.MethodGet, messagesPath(convID), q, nil, &out); err != nil {
		return nil, false, err
	}
	return toMessages(out.Data), out.HasMore, nil
}

// GetMessage returns one message. ENOTFOUND if it or the conversation is
// missing.
func (c *Client) GetMessage(ctx context.Context, convID, id convstore.ID) (*convstore.Message, error) {
	var out api.Message
	if err := c.doJSON(ctx, http.MethodGet, messagePath(convID, id), nil, nil, &out); err != nil {
		return nil, err
	}
	return api.ToMessage(&out), nil
}

// DeleteMessage permanently deletes one message. ENOTFOUND if missing.
func (c *Client) DeleteMessage(ctx context.Context, convID, id convstore.ID) error {
	return c.doJSON(ctx, http.MethodDelete, messagePath(convID, id), nil, nil, nil)
}

func toMessages(ws []api.Message) []*convstore.Message {
	ms := make([]*convstore.Message, len(ws))
	for i := range ws {
		ms[i] = api.ToMessage(&ws[i])
	}
	return ms
}

func messagesPath(convID convstore.ID) string {
	return conversationPath(convID) + "/messages"
}

func messagePath(convID, id convstore.ID) string {
	return messagesPath(convID) + pathf("/%s", id.Format(convstore.PrefixMessage))
}
