package inkeep

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// view is a conversation with everything its Inkeep rendering needs: its
// messages are read page by page as they are written.
type view struct {
	conv      *convstore.Conversation
	messages  messageSource
	extra     *stored               // nil when no Inkeep artifact exists
	artifacts []*convstore.Artifact // the Inkeep field artifacts (normally one)
}

// messageSource reads a conversation's messages, oldest first, as often as
// asked: a convhttp.MessagePages, or its place in a list's ListMessages.
type messageSource interface {
	Each(ctx context.Context, fn func(*convstore.Message) error) error
	Rewind()
}

// listed is the i-th conversation of a list's messages.
type listed struct {
	msgs *convhttp.ListMessages
	i    int
}

func (l listed) Each(ctx context.Context, fn func(*convstore.Message) error) error {
	return l.msgs.Each(ctx, l.i, fn)
}

// Rewind does nothing: each Each reads the conversation from its start.
func (l listed) Rewind() {}

// conversationID renders a conversation's Inkeep id: the client's id when
// it was logged with one, else the native conv_ id.
func conversationID(c *convstore.Conversation) string {
	if id, ok := strings.CutPrefix(c.ExternalID, externalPrefix); ok && id != "" {
		return id
	}
	return c.ID.Format(convstore.PrefixConversation)
}

// resolve finds the conversation an Inkeep id names: the ExternalID
// "inkeep:"+id first, then a native conv_ id. Anything else, including
// another tenant's conversation, is the one not-found error.
func (d *Door) resolve(ctx context.Context, tenantID convstore.ID, id string) (*convstore.Conversation, error) {
	if id != "" && len(id) <= maxClientIDLen && checkText("id", id, 0) == nil {
		c, err := d.store.FindConversationByExternalID(ctx, tenantID, externalPrefix+id)
		if err == nil {
			return c, nil
		}
		if !lookupMiss(err) {
			return nil, err
		}
	}
	native, err := convstore.ParseID(convstore.PrefixConversation, "id", id)
	if err != nil {
		return nil, errConversationNotFound()
	}
	c, err := d.store.FindConversationByID(ctx, tenantID, native)
	if lookupMiss(err) {
		return nil, errConversationNotFound()
	}
	return c, err
}

// lookupMiss reports whether a lookup error means "no such record".
func lookupMiss(err error) bool {
	code := convstore.ErrorCode(err)
	return code == convstore.ENOTFOUND || code == convstore.EINVALID
}

// load opens the conversation's messages (a snapshot read page by page,
// oldest first) and reads its Inkeep field artifact.
func (d *Door) load(ctx context.Context, tenantID convstore.ID, c *convstore.Conversation) (*view, error) {
	pages, err := convhttp.OpenMessagePages(ctx, d.store, tenantID, c.ID)
	if err != nil {
		return nil, notFoundIfGone(err)
	}
	v := &view{conv: c, messages: pages}
	af := convstore.ArtifactFilter{Type: convstore.ArtifactOther, PageFilter: convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderAsc}}
	for {
		page, more, err := d.store.FindArtifacts(ctx, tenantID, c.ID, af)
		if err != nil {
			return nil, notFoundIfGone(err)
		}
		v.addArtifacts(page)
		if !more || len(page) == 0 {
			break
		}
		af.After = page[len(page)-1].ID
	}
	return v, nil
}

// addArtifacts keeps those of the conversation's "other" artifacts that
// hold Inkeep fields, given oldest first.
func (v *view) addArtifacts(page []*convstore.Artifact) {
	for _, a := range page {
		if s, ok := inkeepData(a.Data); ok {
			v.artifacts = append(v.artifacts, a)
			v.extra = s // the newest wins if a race left two
		}
	}
}

// loadList returns the views of a list's conversations (read as digests
// with their newest message): their Inkeep field artifacts read in
// batches across conversations, their messages read by one ListMessages,
// so that the list costs a number of reads that does not grow with its
// conversations.
func (d *Door) loadList(ctx context.Context, tenantID convstore.ID, digests []*convstore.ConversationDigest) ([]*view, error) {
	msgs := convhttp.NewListMessages(d.store, tenantID, digests, 0)
	views := make([]*view, len(digests))
	pending := make([]int, len(digests))
	for i, dg := range digests {
		views[i], pending[i] = &view{conv: dg.Conversation, messages: listed{msgs, i}}, i
	}
	after := make([]convstore.ID, len(digests))
	for len(pending) > 0 {
		// Normally one artifact each: a batch of every conversation; a
		// conversation with more is read further in the next batch.
		limit := max(1, convstore.MaxBatchRows/len(pending))
		ranges := make([]convstore.ArtifactRange, len(pending))
		for j, i := range pending {
			ranges[j] = convstore.ArtifactRange{ConversationID: views[i].conv.ID, Type: convstore.ArtifactOther,
				PageFilter: convstore.PageFilter{After: after[i], Limit: limit, Order: convstore.OrderAsc}}
		}
		pages, err := d.store.FindArtifactPages(ctx, tenantID, ranges)
		if err != nil {
			return nil, err
		}
		var next []int
		for j, i := range pending {
			p := pages[j]
			views[i].addArtifacts(p.Artifacts)
			if p.More && len(p.Artifacts) > 0 {
				after[i] = p.Artifacts[len(p.Artifacts)-1].ID
				next = append(next, i)
			}
		}
		pending = next
	}
	return views, nil
}

// notFoundIfGone turns a conversation deleted meanwhile into the door's
// not-found error.
func notFoundIfGone(err error) error {
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return errConversationNotFound()
	}
	return err
}

// inkeepData decodes the Data of an artifact holding Inkeep fields.
func inkeepData(data json.RawMessage) (*stored, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return nil, false
	}
	raw, ok := top["inkeep"]
	if !ok {
		return nil, false
	}
	s := &stored{}
	if json.Unmarshal(raw, s) != nil {
		return nil, false
	}
	return s, true
}

// metaPtr returns a metadata value, or nil when unset.
func metaPtr(m convstore.Metadata, k string) *string {
	if v, ok := m[k]; ok {
		return &v
	}
	return nil
}

// head renders the members of the conversation before its messages.
// Conversations of other doors render as "openai" conversations too.
func (v *view) head() conversationHead {
	c := v.conv
	out := conversationHead{
		ID:                          conversationID(c),
		Type:                        typeOpenAI,
		ExternalID:                  metaPtr(c.Metadata, metaExternalID),
		ExternalURL:                 metaPtr(c.Metadata, metaExternalURL),
		SupportTicketConversationID: metaPtr(c.Metadata, metaSupportTicket),
		CreatedAt:                   isoTime(c.CreatedAt),
		UpdatedAt:                   isoTime(c.UpdatedAt),
		ProjectID:                   metaPtr(c.Metadata, metaProjectID),
		IntegrationID:               metaPtr(c.Metadata, metaIntegrationID),
		Visibility:                  metaPtr(c.Metadata, metaVisibility),
	}
	if s := metaPtr(c.Metadata, metaCreatedAt); s != nil {
		out.CreatedAt = *s
	}
	if s := metaPtr(c.Metadata, metaUpdatedAt); s != nil {
		out.UpdatedAt = *s
	}
	if v.extra != nil {
		out.Properties, out.UserProperties = v.extra.Properties, v.extra.UserProperties
		if v.extra.Tags != nil {
			out.Tags = *v.extra.Tags
		}
	}
	return out
}

// message renders one message of the conversation with its stored fields.
func (v *view) message(m *convstore.Message) Message {
	var extra *messageExtra
	if v.extra != nil {
		extra = v.extra.Messages[m.ID.Format(convstore.PrefixMessage)]
	}
	return renderMessage(conversationID(v.conv), m, extra)
}

// write streams the conversation as one Conversation object: its head,
// then its messages in Inkeep's format and again in OpenAI's, each pass
// reading the store a page at a time, so that only a page is held however
// long the conversation. Both passes show the same snapshot (see
// convhttp.MessagePages).
func (v *view) write(ctx context.Context, st *convhttp.JSONStream) error {
	st.OpenObject()
	st.Members(v.head())
	st.Key("messages")
	st.OpenArray()
	err := v.messages.Each(ctx, func(m *convstore.Message) error {
		st.Value(v.message(m))
		return st.Err()
	})
	if err != nil {
		return notFoundIfGone(err)
	}
	st.Close()
	st.Key("messagesOpenAIFormat")
	st.OpenArray()
	v.messages.Rewind()
	err = v.messages.Each(ctx, func(m *convstore.Message) error {
		msg := v.message(m)
		st.Value(OpenAIMessage{Role: msg.Role, Name: msg.Name, Content: msg.Content, ToolCalls: msg.ToolCalls})
		return st.Err()
	})
	if err != nil {
		return notFoundIfGone(err)
	}
	st.Close()
	st.Close()
	return st.Err()
}

// renderMessage converts a message; convID is its conversation's Inkeep id.
func renderMessage(convID string, m *convstore.Message, extra *messageExtra) Message {
	out := Message{
		ID:             m.ID.Format(convstore.PrefixMessage),
		Type:           typeOpenAI,
		ExternalID:     metaPtr(m.Metadata, metaExternalID),
		ExternalURL:    metaPtr(m.Metadata, metaExternalURL),
		ConversationID: convID,
		CreatedAt:      isoTime(m.CreatedAt),
		Role:           inkeepRole(m.Role),
		Content:        renderContent(m),
	}
	if s := metaPtr(m.Metadata, metaCreatedAt); s != nil {
		out.CreatedAt = *s
	}
	out.UpdatedAt = out.CreatedAt
	if s := metaPtr(m.Metadata, metaUpdatedAt); s != nil {
		out.UpdatedAt = *s
	}
	if m.AuthorName != "" {
		name := m.AuthorName
		out.Name = &name
	}
	if extra != nil {
		out.Links, out.Properties, out.UserProperties, out.ToolCalls = extra.Links, extra.Properties, extra.UserProperties, extra.ToolCalls
	}
	return out
}

// inkeepRole maps a role onto Inkeep's closed set: a tool result is part of
// the assistant's turn, so it renders as "assistant".
func inkeepRole(r convstore.Role) string {
	switch r {
	case convstore.RoleUser, convstore.RoleSystem, convstore.RoleAssistant:
		return string(r)
	}
	return string(convstore.RoleAssistant)
}

// renderContent returns the message's content as Inkeep has it: the content
// item array this door stored in Parts, else the text. Parts of other doors
// that are not OpenAI content items render as the text content.
func renderContent(m *convstore.Message) json.RawMessage {
	if len(m.Parts) > 0 {
		var s string
		if json.Unmarshal(m.Parts, &s) == nil && m.Content == "" {
			return m.Parts
		}
		var items []ContentItem
		if json.Unmarshal(m.Parts, &items) == nil && items != nil && validItems(items) {
			b, _ := json.Marshal(items) // re-marshal: only the members Inkeep knows
			return b
		}
	}
	b, _ := json.Marshal(m.Content)
	return b
}

// validItems reports whether items parse as the SDK's OpenAIContentItem.
func validItems(items []ContentItem) bool {
	for _, it := range items {
		if it.Type != "text" && it.Type != "image_url" {
			return false
		}
		if it.ImageURL != nil {
			switch it.ImageURL.Detail {
			case "", "auto", "low", "high":
			default:
				return false
			}
		}
	}
	return true
}
