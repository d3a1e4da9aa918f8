package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// FindConversationByID returns a conversation (GET
// /v1/conversations/{id}). ENOTFOUND if missing.
func (c *Client) FindConversationByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Conversation, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("conversation")
	}
	return c.getConversation(ctx, conversationPath(id), nil)
}

// FindConversationBySeq returns a conversation by sequence number (GET
// /v1/conversations/lookup?seq=). ENOTFOUND if missing.
func (c *Client) FindConversationBySeq(ctx context.Context, tenantID convstore.ID, seq int64) (*convstore.Conversation, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || seq <= 0 {
		return nil, convstore.NotFound("conversation") // sequence numbers are positive
	}
	return c.getConversation(ctx, "/v1/conversations/lookup", url.Values{"seq": {strconv.FormatInt(seq, 10)}})
}

// FindConversationByExternalID returns the conversation created with that
// external id (GET /v1/conversations/lookup?external_id=). ENOTFOUND if
// missing.
func (c *Client) FindConversationByExternalID(ctx context.Context, tenantID convstore.ID, externalID string) (*convstore.Conversation, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || !utf8.ValidString(externalID) {
		return nil, convstore.NotFound("conversation") // no conversation has such a key
	}
	return c.getConversation(ctx, "/v1/conversations/lookup", url.Values{"external_id": {externalID}})
}

// getConversation reads one conversation.
func (c *Client) getConversation(ctx context.Context, path string, q url.Values) (*convstore.Conversation, error) {
	var out api.Conversation
	if err := c.do(ctx, request{method: http.MethodGet, path: path, query: q, out: &out}); err != nil {
		return nil, err
	}
	return c.toConversation(ctx, &out)
}

// CountConversations counts the conversations the filter selects (GET
// /v1/conversations/count), ignoring its page fields and offset.
func (c *Client) CountConversations(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter) (int, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil || !ok {
		return 0, err
	}
	q, err := filterQuery(f)
	if err != nil {
		return 0, err
	}
	var out api.ConversationCount
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/conversations/count", query: q, out: &out}); err != nil {
		return 0, err
	}
	return out.Count, nil
}

// FindConversations returns a page of conversations (GET
// /v1/conversations), newest first unless f.Order says otherwise, and
// whether more follow. The wire's times are whole seconds: a bound with a
// fraction of a second is taken as its second (CreatedAfter keeps the
// conversations of later seconds, CreatedBefore those of earlier ones).
func (c *Client) FindConversations(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter) ([]*convstore.Conversation, bool, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil || !ok {
		return nil, false, err
	}
	q, err := filterQuery(f)
	if err != nil {
		return nil, false, err
	}
	if f.Offset != 0 {
		q.Set("offset", strconv.Itoa(f.Offset))
	}
	if f.Deleted {
		q.Set("deleted", "true")
	}
	var out api.List[api.Conversation]
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/conversations", query: pageQuery(q, f.PageFilter, convstore.PrefixConversation), out: &out}); err != nil {
		return nil, false, err
	}
	own, err := c.TenantID(ctx)
	if err != nil {
		return nil, false, err
	}
	convs := make([]*convstore.Conversation, len(out.Data))
	for i := range out.Data {
		convs[i] = api.ToConversation(&out.Data[i])
		convs[i].TenantID = own
	}
	return convs, out.HasMore, nil
}

// filterQuery renders the fields of f that select conversations. The
// selections the native API does not take (the doors' number ranges,
// message counts and update order, read in process) are refused rather
// than dropped: a dropped filter would answer for other conversations.
func filterQuery(f convstore.ConversationFilter) (url.Values, error) {
	switch {
	case f.SeqMax != 0:
		return nil, convstore.Invalidf("seq_max", "the native API filters by one sequence number, not a range")
	case f.MinMessages != nil || f.MaxMessages != nil:
		return nil, convstore.Invalidf("min_messages", "the native API does not filter by message count")
	case f.ByUpdated:
		return nil, convstore.Invalidf("order", "the native API orders conversations by id, not by update time")
	}
	q := url.Values{}
	if f.AgentID != "" {
		q.Set("agent_id", f.AgentID)
	}
	if f.UserID != "" {
		q.Set("user_id", f.UserID)
	}
	if f.CreatedAfter != nil {
		q.Set("created_after", unixSeconds(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		q.Set("created_before", unixSeconds(*f.CreatedBefore))
	}
	for k, v := range f.Metadata {
		q.Set("metadata["+k+"]", v)
	}
	if f.Seq != 0 {
		q.Set("seq", strconv.FormatInt(f.Seq, 10)) // a negative one gets the server's EINVALID
	}
	return q, nil
}

// unixSeconds renders t as the Unix second it falls in.
func unixSeconds(t time.Time) string {
	return strconv.FormatInt(t.Truncate(time.Second).Unix(), 10)
}

// CreateConversation creates a conversation with its initial messages in
// one transaction (POST /v1/conversations?include=messages) and returns
// both as stored. EINVALID for bad input, a MessageCapError (ECONFLICT)
// past the server's cap, ENOTFOUND ("tenant not found") for another
// tenant's id.
func (c *Client) CreateConversation(ctx context.Context, tenantID convstore.ID, in *convstore.ConversationCreate) (*convstore.Conversation, []*convstore.Message, error) {
	if in == nil {
		return nil, nil, convstore.Invalidf("body", "conversation is missing")
	}
	if err := checkCarried(in, in.Validate); err != nil {
		return nil, nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, convstore.NotFound("tenant")
	}
	body := api.ConversationCreate{
		AgentID: in.AgentID, UserID: in.UserID, ExternalID: in.ExternalID, Title: in.Title, Metadata: in.Metadata,
	}
	for _, m := range in.Messages {
		body.Messages = append(body.Messages, api.FromMessageCreate(m))
	}
	var out api.ConversationWithMessages
	q := url.Values{"include": {"messages"}}
	if err := c.do(ctx, request{method: http.MethodPost, path: "/v1/conversations", query: q, in: body, out: &out}); err != nil {
		return nil, nil, err
	}
	conv, err := c.toConversation(ctx, &out.Conversation)
	if err != nil {
		return nil, nil, err
	}
	return conv, toMessages(out.Messages), nil
}

// UpdateConversation changes the set fields of a conversation (PATCH
// /v1/conversations/{id}); Metadata replaces the whole map, and an empty
// update changes only UpdatedAt. EINVALID for bad input (a nil update
// too), ENOTFOUND if missing.
func (c *Client) UpdateConversation(ctx context.Context, tenantID, id convstore.ID, u *convstore.ConversationUpdate) (*convstore.Conversation, error) {
	if u == nil {
		return nil, convstore.Invalidf("body", "update is missing")
	}
	if err := checkCarried(u, u.Validate); err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("conversation")
	}
	body := api.ConversationUpdate{AgentID: u.AgentID, UserID: u.UserID, Title: u.Title}
	if u.Metadata != nil {
		m := map[string]string(*u.Metadata)
		if m == nil {
			m = map[string]string{} // an explicit empty map clears the metadata
		}
		body.Metadata = &m
	}
	var out api.Conversation
	if err := c.do(ctx, request{method: http.MethodPatch, path: conversationPath(id), in: body, out: &out}); err != nil {
		return nil, err
	}
	return c.toConversation(ctx, &out)
}

// DeleteConversation permanently deletes a conversation with everything it
// holds (DELETE /v1/conversations/{id}) and returns the deletion receipt.
// ENOTFOUND if missing or already deleted. Only p.ClientRequestID is sent
// (see the package documentation).
func (c *Client) DeleteConversation(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Deletion, error) {
	rid, err := requestID(p)
	if err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("conversation")
	}
	var out api.ConversationDeleted
	if err := c.do(ctx, request{method: http.MethodDelete, path: conversationPath(id), out: &out, requestID: rid}); err != nil {
		return nil, err
	}
	return c.toDeletion(ctx, &out.Receipt)
}

// RestoreConversation brings back a conversation deleted within its
// restore window (POST /v1/conversations/{id}/restore, delete scope).
// ENOTFOUND past the window or if missing.
func (c *Client) RestoreConversation(ctx context.Context, tenantID, id convstore.ID, p convstore.DeleteParams) (*convstore.Conversation, error) {
	rid, err := requestID(p)
	if err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || id.IsZero() {
		return nil, convstore.NotFound("conversation")
	}
	var out api.Conversation
	if err := c.do(ctx, request{method: http.MethodPost, path: conversationPath(id) + "/restore", out: &out, requestID: rid}); err != nil {
		return nil, err
	}
	return c.toConversation(ctx, &out)
}

// toConversation converts a wire conversation of the key's tenant.
func (c *Client) toConversation(ctx context.Context, w *api.Conversation) (*convstore.Conversation, error) {
	own, err := c.TenantID(ctx)
	if err != nil {
		return nil, err
	}
	conv := api.ToConversation(w)
	conv.TenantID = own
	return conv, nil
}

// conversationPath is the path of one conversation.
func conversationPath(id convstore.ID) string {
	return pathf("/v1/conversations/%s", id.Format(convstore.PrefixConversation))
}
