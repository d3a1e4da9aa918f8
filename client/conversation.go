package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// CreateConversation creates a conversation with its optional initial
// messages. EINVALID for bad input.
func (c *Client) CreateConversation(ctx context.Context, in *convstore.ConversationCreate) (*convstore.Conversation, error) {
	body := api.ConversationCreate{
		AgentID: in.AgentID, UserID: in.UserID, ExternalID: in.ExternalID, Title: in.Title, Metadata: in.Metadata,
	}
	for _, m := range in.Messages {
		body.Messages = append(body.Messages, api.FromMessageCreate(m))
	}
	var out api.Conversation
	if err := c.doJSON(ctx, http.MethodPost, "/v1/conversations", nil, body, &out); err != nil {
		return nil, err
	}
	return api.ToConversation(&out), nil
}

// GetConversation returns a conversation. ENOTFOUND if missing.
func (c *Client) GetConversation(ctx context.Context, id convstore.ID) (*convstore.Conversation, error) {
	var out api.Conversation
	if err := c.doJSON(ctx, http.MethodGet, conversationPath(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return api.ToConversation(&out), nil
}

// ListConversations returns a page of conversations (newest first unless
// f.Order says otherwise) and whether more follow.
func (c *Client) ListConversations(ctx context.Context, f convstore.ConversationFilter) ([]*convstore.Conversation, bool, error) {
	q := url.Values{}
	if f.AgentID != "" {
		q.Set("agent_id", f.AgentID)
	}
	if f.UserID != "" {
		q.Set("user_id", f.UserID)
	}
	if f.CreatedAfter != nil {
		q.Set("created_after", strconv.FormatInt(f.CreatedAfter.Unix(), 10))
	}
	if f.CreatedBefore != nil {
		q.Set("created_before", strconv.FormatInt(f.CreatedBefore.Unix(), 10))
	}
	q = pageQuery(q, f.PageFilter, convstore.PrefixConversation)
	var out api.List[api.Conversation]
	if err := c.doJSON(ctx, http.MethodGet, "/v1/conversations", q, nil, &out); err != nil {
		return nil, false, err
	}
	convs := make([]*convstore.Conversation, len(out.Data))
	for i := range out.Data {
		convs[i] = api.ToConversation(&out.Data[i])
	}
	return convs, out.HasMore, nil
}

// UpdateConversation changes the set fields of a conversation; Metadata
// replaces the whole map. EINVALID for bad input, ENOTFOUND if missing.
func (c *Client) UpdateConversation(ctx context.Context, id convstore.ID, u *convstore.ConversationUpdate) (*convstore.Conversation, error) {
	body := api.ConversationUpdate{AgentID: u.AgentID, UserID: u.UserID, Title: u.Title}
	if u.Metadata != nil {
		m := map[string]string(*u.Metadata)
		if m == nil {
			m = map[string]string{} // an explicit empty map clears the metadata
		}
		body.Metadata = &m
	}
	var out api.Conversation
	if err := c.doJSON(ctx, http.MethodPatch, conversationPath(id), nil, body, &out); err != nil {
		return nil, err
	}
	return api.ToConversation(&out), nil
}

// DeleteConversation permanently deletes a conversation with everything it
// holds and returns the deletion receipt. ENOTFOUND if missing or already
// deleted.
func (c *Client) DeleteConversation(ctx context.Context, id convstore.ID) (*convstore.Deletion, error) {
	var out api.ConversationDeleted
	if err := c.doJSON(ctx, http.MethodDelete, conversationPath(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return api.ToDeletion(&out.Receipt), nil
}

// conversationPath is the path of one conversation.
func conversationPath(id convstore.ID) string {
	return pathf("/v1/conversations/%s", id.Format(convstore.PrefixConversation))
}
