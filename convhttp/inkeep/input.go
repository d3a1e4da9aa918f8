package inkeep

import (
	"encoding/json"
	"strings"

	"github.com/convstore/convstore"
)

// Bounds of this door's inputs. Small strings live in metadata, whose values
// hold at most 512 bytes; the conversation id becomes the ExternalID
// "inkeep:<id>", which holds at most 256.
const (
	externalPrefix = "inkeep:"
	maxClientIDLen = convstore.MaxExternalLen - len(externalPrefix)
	maxMetaLen     = convstore.MaxMetadataValueLen
	maxTags        = 100
)

// Conversation types of Inkeep. Only "openai" is accepted (see doc.go).
const typeOpenAI = "openai"

// logInput is a validated POST /conversations body.
type logInput struct {
	ID       string                 // client id, "" when absent
	Meta     map[string]opt[string] // metadata key → new value (absent keeps)
	Props    opt[json.RawMessage]
	UserProp opt[json.RawMessage]
	Tags     opt[[]string]
	Messages []*msgInput
}

// msgInput is one validated message of a POST /conversations body.
type msgInput struct {
	ClientID string
	Create   *convstore.MessageCreate
	Extra    *messageExtra
}

// Conversation metadata keys of the small Inkeep strings.
const (
	metaType          = "inkeep.type"
	metaExternalID    = "inkeep.externalId"
	metaExternalURL   = "inkeep.externalUrl"
	metaSupportTicket = "inkeep.supportTicketConversationId"
	metaProjectID     = "inkeep.projectId"
	metaIntegrationID = "inkeep.integrationId"
	metaVisibility    = "inkeep.visibility"
	metaCreatedAt     = "inkeep.createdAt"
	metaUpdatedAt     = "inkeep.updatedAt"
	// On messages: the client's message id, which the store indexes
	// (FindMessageByExternalID). Messages logged before it was indexed
	// keep it under metaMessageIDOld, which the store indexes too
	// (convstore.MessageExternalID; migration 0025 backfills them).
	metaMessageID    = convstore.MessageExternalIDKey
	metaMessageIDOld = convstore.LegacyMessageExternalIDKey
)

// conversationStrings maps the body's small string members to their
// metadata keys.
var conversationStrings = []struct{ member, key string }{
	{"externalId", metaExternalID},
	{"externalUrl", metaExternalURL},
	{"supportTicketConversationId", metaSupportTicket},
	{"projectId", metaProjectID},
	{"integrationId", metaIntegrationID},
}

// parseLog validates a whole POST /conversations body before anything is
// written.
func parseLog(body []byte) (*logInput, error) {
	o, err := parseBody(body)
	if err != nil {
		return nil, err
	}
	in := &logInput{Meta: map[string]opt[string]{}}
	typ, err := o.enum("type", typeOpenAI, "support_ticket", "support_copilot")
	if err != nil {
		return nil, err
	}
	if !typ.Set || typ.Null {
		return nil, invalid("type", "type is required.")
	}
	if typ.V != typeOpenAI {
		return nil, invalid("type", "Only conversations of type \"openai\" can be logged on this server.")
	}
	in.Meta[metaType] = opt[string]{Set: true, V: typeOpenAI}
	id, err := o.str("id", maxClientIDLen)
	if err != nil {
		return nil, err
	}
	if id.Set && !id.Null {
		if id.V == "" {
			return nil, invalid("id", "id must not be empty.")
		}
		in.ID = id.V
	}
	for _, s := range conversationStrings {
		v, err := o.str(s.member, maxMetaLen)
		if err != nil {
			return nil, err
		}
		in.Meta[s.key] = v
	}
	if in.Meta[metaVisibility], err = o.enum("visibility", "private", "public"); err != nil {
		return nil, err
	}
	if in.Meta[metaCreatedAt], err = o.timestamp("createdAt"); err != nil {
		return nil, err
	}
	if in.Meta[metaUpdatedAt], err = o.timestamp("updatedAt"); err != nil {
		return nil, err
	}
	if in.Props, err = o.properties("properties"); err != nil {
		return nil, err
	}
	if in.UserProp, err = o.userProperties("userProperties"); err != nil {
		return nil, err
	}
	if in.Tags, err = o.strings("tags", maxMetaLen); err != nil {
		return nil, err
	}
	if len(in.Tags.V) > maxTags {
		return nil, invalid("tags", "tags must have at most %d entries.", maxTags)
	}
	msgs, err := o.array("messages")
	if err != nil {
		return nil, err
	}
	if len(msgs.V) == 0 {
		return nil, invalid("messages", "messages must contain at least one message.")
	}
	seen := map[string]bool{}
	for i, raw := range msgs.V {
		mo, err := o.item("messages", i, raw)
		if err != nil {
			return nil, err
		}
		m, err := parseMessage(mo)
		if err != nil {
			return nil, err
		}
		if m.ClientID != "" {
			if seen[m.ClientID] {
				return nil, invalid(mo.name("id"), "%s repeats the id of an earlier message.", mo.name("id"))
			}
			seen[m.ClientID] = true
		}
		in.Messages = append(in.Messages, m)
	}
	return in, nil
}

// Inkeep roles of messages, as the SDK's closed enum has them.
var inkeepRoles = []string{"system", "user", "assistant"}

// parseMessage validates one message.
func parseMessage(o object) (*msgInput, error) {
	m := &msgInput{Create: &convstore.MessageCreate{Metadata: convstore.Metadata{}}, Extra: &messageExtra{}}
	id, err := o.str("id", maxMetaLen)
	if err != nil {
		return nil, err
	}
	if id.Set && !id.Null && id.V != "" {
		m.ClientID = id.V
		m.Create.Metadata[metaMessageID] = id.V
	}
	role, err := o.enum("role", inkeepRoles...)
	if err != nil {
		return nil, err
	}
	if !role.Set || role.Null {
		return nil, invalid(o.name("role"), "%s is required.", o.name("role"))
	}
	m.Create.Role = convstore.Role(role.V)
	if err := parseContent(o, m.Create); err != nil {
		return nil, err
	}
	for _, f := range [][2]string{{"externalId", metaExternalID}, {"externalUrl", metaExternalURL}} {
		member, key := f[0], f[1]
		v, err := o.str(member, maxMetaLen)
		if err != nil {
			return nil, err
		}
		if v.Set && !v.Null {
			m.Create.Metadata[key] = v.V
		}
	}
	for _, f := range [][2]string{{"createdAt", metaCreatedAt}, {"updatedAt", metaUpdatedAt}} {
		member, key := f[0], f[1]
		v, err := o.timestamp(member)
		if err != nil {
			return nil, err
		}
		if v.Set && !v.Null {
			m.Create.Metadata[key] = v.V
		}
	}
	name, err := o.str("name", convstore.MaxAuthorNameLen)
	if err != nil {
		return nil, err
	}
	m.Create.AuthorName = name.V
	if m.Extra.Links, err = parseLinks(o); err != nil {
		return nil, err
	}
	if m.Extra.ToolCalls, err = parseToolCalls(o); err != nil {
		return nil, err
	}
	p, err := o.properties("properties")
	if err != nil {
		return nil, err
	}
	m.Extra.Properties = p.V
	u, err := o.userProperties("userProperties")
	if err != nil {
		return nil, err
	}
	m.Extra.UserProperties = u.V
	return m, nil
}

// parseContent reads content: a string into Content, an array of OpenAI
// content items into Parts (with their text joined into Content, for the
// other doors and search).
func parseContent(o object, c *convstore.MessageCreate) error {
	field := o.name("content")
	raw := o.raw("content")
	if raw == nil {
		return invalid(field, "%s is required.", field)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if err := checkText(field, s, convstore.MaxMessageContentLen); err != nil {
			return err
		}
		c.Content = s
		if s == "" {
			c.Parts = json.RawMessage(`""`) // the store needs content or parts
		}
		return nil
	}
	items, err := o.array("content")
	if err != nil {
		return invalid(field, "%s must be a string or an array of content items.", field)
	}
	parts := make([]ContentItem, 0, len(items.V))
	var texts []string
	for i, v := range items.V {
		io, err := o.item("content", i, v)
		if err != nil {
			return err
		}
		it, err := parseContentItem(io)
		if err != nil {
			return err
		}
		if it.Text != nil && *it.Text != "" {
			texts = append(texts, *it.Text)
		}
		parts = append(parts, it)
	}
	c.Parts, _ = json.Marshal(parts) // plain structs always marshal
	c.Content = strings.Join(texts, "\n")
	return checkText(field, c.Content, convstore.MaxMessageContentLen)
}

// parseContentItem validates one OpenAI content item.
func parseContentItem(o object) (ContentItem, error) {
	var it ContentItem
	typ, err := o.enum("type", "text", "image_url")
	if err != nil {
		return it, err
	}
	if !typ.Set || typ.Null {
		return it, invalid(o.name("type"), "%s is required.", o.name("type"))
	}
	it.Type = typ.V
	text, err := o.str("text", 0)
	if err != nil {
		return it, err
	}
	if text.Set && !text.Null {
		it.Text = &text.V
	}
	img, err := o.sub("image_url")
	if err != nil || !img.Set || img.Null {
		return it, err
	}
	url, err := img.V.requiredStr("url", 0)
	if err != nil {
		return it, err
	}
	detail, err := img.V.enum("detail", "auto", "low", "high")
	if err != nil {
		return it, err
	}
	it.ImageURL = &ImageURL{URL: url, Detail: detail.V}
	return it, nil
}

// parseLinks validates a message's links.
func parseLinks(o object) ([]Link, error) {
	a, err := o.array("links")
	if err != nil || !a.Set || a.Null {
		return nil, err
	}
	links := make([]Link, 0, len(a.V))
	for i, v := range a.V {
		lo, err := o.item("links", i, v)
		if err != nil {
			return nil, err
		}
		var l Link
		if l.URL, err = lo.requiredStr("url", 0); err != nil {
			return nil, err
		}
		for _, f := range []struct {
			member string
			dst    **string
		}{{"label", &l.Label}, {"title", &l.Title}, {"description", &l.Description}, {"type", &l.Type}} {
			member, dst := f.member, f.dst
			s, err := lo.str(member, 0)
			if err != nil {
				return nil, err
			}
			if s.Set && !s.Null {
				v := s.V
				*dst = &v
			}
		}
		b, err := lo.strings("breadcrumbs", 0)
		if err != nil {
			return nil, err
		}
		l.Breadcrumbs = b.V
		links = append(links, l)
	}
	return links, nil
}

// parseToolCalls validates a message's OpenAI tool calls.
func parseToolCalls(o object) ([]ToolCall, error) {
	a, err := o.array("tool_calls")
	if err != nil || !a.Set || a.Null {
		return nil, err
	}
	calls := make([]ToolCall, 0, len(a.V))
	for i, v := range a.V {
		co, err := o.item("tool_calls", i, v)
		if err != nil {
			return nil, err
		}
		var c ToolCall
		if c.ID, err = co.requiredStr("id", 0); err != nil {
			return nil, err
		}
		typ, err := co.enum("type", "function")
		if err != nil {
			return nil, err
		}
		if !typ.Set || typ.Null {
			return nil, invalid(co.name("type"), "%s is required.", co.name("type"))
		}
		c.Type = typ.V
		fn, err := co.sub("function")
		if err != nil {
			return nil, err
		}
		if !fn.Set || fn.Null {
			return nil, invalid(co.name("function"), "%s is required.", co.name("function"))
		}
		if c.Function.Name, err = fn.V.requiredStr("name", 0); err != nil {
			return nil, err
		}
		if c.Function.Arguments, err = fn.V.requiredStr("arguments", 0); err != nil {
			return nil, err
		}
		calls = append(calls, c)
	}
	return calls, nil
}

// userIDOf returns the end-user id that userProperties carries (userId,
// else id), for Conversation.UserID and so erasure by user; "" if none fits.
func userIDOf(props json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(props, &m) != nil {
		return ""
	}
	for _, k := range []string{"userId", "id"} {
		if v, ok := m[k]; ok && !isNull(v) {
			if s, ok := stringOrNumber(v); ok && s != "" && len(s) <= convstore.MaxExternalLen && checkText(k, s, 0) == nil {
				return s
			}
		}
	}
	return ""
}
