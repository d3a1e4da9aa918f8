package client

import (
	"context"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// FindMessageByID returns one message (GET
// /v1/conversations/{id}/messages/{message_id}); a zero conversationID
// finds it in any conversation of the tenant (GET /v1/messages/{id}).
// ENOTFOUND if it or the conversation is missing.
func (c *Client) FindMessageByID(ctx context.Context, tenantID, conversationID, id convstore.ID) (*convstore.Message, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("message")
	}
	path := pathf("/v1/messages/%s", id.Format(convstore.PrefixMessage))
	if !conversationID.IsZero() {
		path = messagePath(conversationID, id)
	}
	var out api.Message
	if err := c.do(ctx, request{method: http.MethodGet, path: path, out: &out}); err != nil {
		return nil, err
	}
	return api.ToMessage(&out), nil
}

// FindMessages returns a page of a conversation's messages (GET
// /v1/conversations/{id}/messages), oldest first unless f.Order says
// otherwise, and whether more follow. ENOTFOUND if the conversation is
// missing.
func (c *Client) FindMessages(ctx context.Context, tenantID, conversationID convstore.ID, f convstore.MessageFilter) ([]*convstore.Message, bool, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, false, err
	}
	if !ok || conversationID.IsZero() {
		return nil, false, convstore.NotFound("conversation")
	}
	var out api.List[api.Message]
	q := pageQuery(nil, f.PageFilter, convstore.PrefixMessage)
	if err := c.do(ctx, request{method: http.MethodGet, path: messagesPath(conversationID), query: q, out: &out}); err != nil {
		return nil, false, err
	}
	return toMessages(out.Data), out.HasMore, nil
}

// CreateMessages appends a batch of messages atomically (POST
// /v1/conversations/{id}/messages) and returns them as stored. ENOTFOUND
// if the conversation is missing, EINVALID for bad input, a
// MessageCapError (ECONFLICT) past the server's cap.
func (c *Client) CreateMessages(ctx context.Context, tenantID, conversationID convstore.ID, batch []*convstore.MessageCreate) ([]*convstore.Message, error) {
	if err := checkCarried(batch, func() error { return convstore.ValidateMessageBatch("messages", batch, true) }); err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || conversationID.IsZero() {
		return nil, convstore.NotFound("conversation")
	}
	body := api.MessagesCreate{Messages: make([]api.MessageCreate, len(batch))}
	for i, m := range batch {
		body.Messages[i] = api.FromMessageCreate(m)
	}
	var out api.List[api.Message]
	if err := c.do(ctx, request{method: http.MethodPost, path: messagesPath(conversationID), in: body, out: &out}); err != nil {
		return nil, err
	}
	return toMessages(out.Data), nil
}

// DeleteMessage permanently deletes one message (DELETE
// /v1/conversations/{id}/messages/{message_id}). ENOTFOUND if missing.
// Only p.ClientRequestID is sent (see the package documentation).
func (c *Client) DeleteMessage(ctx context.Context, tenantID, conversationID, id convstore.ID, p convstore.DeleteParams) error {
	rid, err := requestID(p)
	if err != nil {
		return err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return err
	}
	if !ok || conversationID.IsZero() || id.IsZero() {
		return convstore.NotFound("message")
	}
	return c.do(ctx, request{method: http.MethodDelete, path: messagePath(conversationID, id), requestID: rid})
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
