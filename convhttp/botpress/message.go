package botpress

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// defaultMessageType is the type of messages stored without one (created
// outside this door).
const defaultMessageType = "text"

// toMessage renders a message of conv. A message created outside this door
// shows type "text", payload {"text": content}, its direction from its role
// and userId from AuthorName, else the conversation's AgentID (outgoing) or
// UserID (incoming).
func toMessage(m *convstore.Message, conv *convstore.Conversation) message {
	out := message{
		ID:             m.ID.Format(convstore.PrefixMessage),
		CreatedAt:      formatTime(m.CreatedAt),
		UpdatedAt:      formatTime(m.CreatedAt),
		Type:           m.Metadata[keyType],
		Direction:      directionOutgoing,
		UserID:         m.AuthorName,
		ConversationID: conv.ID.Format(convstore.PrefixConversation),
		Tags:           pairs(m.Metadata, tagPrefix),
		Origin:         m.Metadata[keyOrigin],
	}
	if c := m.Metadata[keyCreatedAt]; c != "" {
		out.CreatedAt, out.UpdatedAt = c, c
	}
	if u := m.Metadata[keyUpdatedAt]; u != "" {
		out.UpdatedAt = u
	}
	if m.Role == convstore.RoleUser {
		out.Direction = directionIncoming
	}
	if out.UserID == "" {
		out.UserID = conv.AgentID
		if m.Role == convstore.RoleUser {
			out.UserID = conv.UserID
		}
	}
	if out.Type != "" && bytes.HasPrefix(bytes.TrimSpace(m.Parts), []byte("{")) {
		out.Payload = m.Parts
	} else {
		out.Payload, _ = json.Marshal(map[string]string{"text": m.Content}) // a string map always marshals
	}
	if out.Type == "" {
		out.Type = defaultMessageType
	}
	return out
}

// findMessage returns the bot's message with the wire id s and its
// conversation. Malformed, missing, another tenant's and another bot's
// messages are the same not-found.
func (d *Door) findMessage(ctx context.Context, tid convstore.ID, bot, s string) (*convstore.Message, *convstore.Conversation, error) {
	id, err := convstore.ParseID(convstore.PrefixMessage, "id", s)
	if err != nil {
		return nil, nil, messageNotFound()
	}
	m, err := d.store.FindMessageByID(ctx, tid, convstore.ID{}, id)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return nil, nil, messageNotFound()
	} else if err != nil {
		return nil, nil, err
	}
	conv, err := d.store.FindConversationByID(ctx, tid, m.ConversationID)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND || err == nil && conv.AgentID != bot {
		return nil, nil, messageNotFound()
	}
	return m, conv, err
}

// newMessage validates a create body into the store's input. A message whose
// userId is the bot itself is outgoing (assistant); any other is incoming
// (user), as Botpress bots reply with their own id as userId.
func newMessage(bot string, in *messageIn) (*convstore.MessageCreate, error) {
	if len(in.Payload) > convstore.MaxMessagePartsLen {
		return nil, payloadTooLarge()
	}
	payload, text, err := normalizePayload(in.Payload)
	if err != nil {
		return nil, err
	}
	userID, err := requireString("userId", in.UserID, convstore.MaxAuthorNameLen)
	if err != nil {
		return nil, err
	}
	if in.ConversationID == nil || *in.ConversationID == "" {
		// Only presence is checked here: a malformed id is a not-found.
		return nil, invalid("conversationId", "conversationId is required.")
	}
	typ, err := requireString("type", in.Type, convstore.MaxMetadataValueLen)
	if err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, invalid("tags", "tags is required: an object of strings, {} for none.")
	}
	meta := convstore.Metadata{keyType: typ}
	if in.Origin != nil {
		if *in.Origin != originSynthetic {
			return nil, invalid("origin", "origin must be %q.", originSynthetic)
		}
		meta[keyOrigin] = originSynthetic
	}
	if err := applyPairs(meta, tagPrefix, "tags", in.Tags); err != nil {
		return nil, err
	}
	if err := checkCount(meta); err != nil {
		return nil, err
	}
	m := &convstore.MessageCreate{Role: convstore.RoleUser, Content: text, Parts: payload, AuthorName: userID, Metadata: meta}
	if userID == bot {
		m.Role = convstore.RoleAssistant
	}
	if err := m.Validate("message"); err != nil {
		return nil, err
	}
	return m, nil
}

// normalizePayload checks that the payload is a JSON object and re-encodes
// it (numbers kept exactly, invalid UTF-8 replaced) so every engine stores
// it; text is its "text" member when that is a string.
func normalizePayload(raw json.RawMessage) (json.RawMessage, string, error) {
	if !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		return nil, "", invalid("payload", "payload is required: a JSON object such as {\"text\": \"hello\"}.")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, "", invalid("payload", "payload must be a JSON object.")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "<" as is, so the payload does not grow
	if err := enc.Encode(obj); err != nil {
		return nil, "", invalid("payload", "payload must be a JSON object.")
	}
	if buf.Len() > convstore.MaxMessagePartsLen {
		return nil, "", payloadTooLarge()
	}
	text, _ := obj["text"].(string)
	return bytes.TrimSpace(buf.Bytes()), text, nil
}

// createMessage serves POST /v1/chat/messages.
func (d *Door) createMessage(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in messageIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	m, err := newMessage(bot, &in)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, bot, *in.ConversationID)
	if err != nil {
		return err
	}
	msgs, err := d.store.CreateMessages(ctx, tid, conv.ID, []*convstore.MessageCreate{m})
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return conversationNotFound() // deleted concurrently
	} else if err != nil {
		return err
	}
	return ok(w, messageResponse{toMessage(msgs[0], conv)})
}

// listMessages serves GET /v1/chat/messages?conversationId=…: the
// conversation's messages, newest first. Filters (tags.<k>=v, afterDate,
// beforeDate on createdAt, exclusive) are applied to the opened messages,
// as their tags are sealed: a filtered list reads the conversation
// maxScanPages store pages at most per request, and a page it could not
// fill in that many ends early with a nextToken to go on from.
func (d *Door) listMessages(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	q, err := queryRules.Parse(r)
	if err != nil {
		return err
	}
	convID, ok2, err := q.String("conversationId")
	if err != nil {
		return err
	} else if !ok2 || convID == "" {
		return invalidQuery("conversationId", "conversationId is required: this server lists the messages of one conversation.")
	}
	pf, err := page(q, convstore.PrefixMessage)
	if err != nil {
		return err
	}
	pf.Order = convstore.OrderDesc
	var f messageMatch
	f.tags = convstore.Metadata{}
	if err := dateRange(q, &f.after, &f.before); err != nil {
		return err
	}
	if err := tagFilters(q, f.tags); err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, bot, convID)
	if err != nil {
		return err
	}
	var out messageList
	if f.none() {
		out, err = d.messagePage(ctx, tid, conv, pf)
	} else {
		out, err = d.filteredMessages(ctx, tid, conv, pf, &f)
	}
	if err != nil {
		return err
	}
	return ok(w, out)
}

// maxScanPages bounds the store pages (of convstore.MaxPageLimit
// messages) one filtered message list reads.
const maxScanPages = 10

// messageMatch is a message list's filters.
type messageMatch struct {
	tags          convstore.Metadata
	after, before *time.Time
}

func (f *messageMatch) none() bool { return len(f.tags) == 0 && f.after == nil && f.before == nil }

func (f *messageMatch) match(m *convstore.Message) bool {
	for k, v := range f.tags {
		if m.Metadata[k] != v {
			return false
		}
	}
	at := createdAt(m)
	return (f.after == nil || at.After(*f.after)) && (f.before == nil || at.Before(*f.before))
}

// createdAt returns the creation time a message shows: an imported one's
// given createdAt, else when it was stored.
func createdAt(m *convstore.Message) time.Time {
	if c := m.Metadata[keyCreatedAt]; c != "" {
		if t, err := time.Parse(timeLayout, c); err == nil {
			return t
		}
	}
	return m.CreatedAt
}

// messagePage returns one store page of the conversation's messages.
func (d *Door) messagePage(ctx context.Context, tid convstore.ID, conv *convstore.Conversation, pf convstore.PageFilter) (messageList, error) {
	out := messageList{Messages: []message{}}
	msgs, more, err := d.store.FindMessages(ctx, tid, conv.ID, convstore.MessageFilter{PageFilter: pf})
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return out, conversationNotFound()
	} else if err != nil {
		return out, err
	}
	for _, m := range msgs {
		out.Messages = append(out.Messages, toMessage(m, conv))
	}
	if more && len(msgs) > 0 {
		out.Meta.NextToken = msgs[len(msgs)-1].ID.Format(convstore.PrefixMessage)
	}
	return out, nil
}

// filteredMessages returns up to pf.Limit messages that match f, reading
// at most maxScanPages store pages from pf's cursor on.
func (d *Door) filteredMessages(ctx context.Context, tid convstore.ID, conv *convstore.Conversation, pf convstore.PageFilter, f *messageMatch) (messageList, error) {
	out := messageList{Messages: []message{}}
	limit := pf.Limit
	pf.Limit = convstore.MaxPageLimit
	for range maxScanPages {
		msgs, more, err := d.store.FindMessages(ctx, tid, conv.ID, convstore.MessageFilter{PageFilter: pf})
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return out, conversationNotFound()
		} else if err != nil {
			return out, err
		}
		for i, m := range msgs {
			pf.After = m.ID
			if !f.match(m) {
				continue
			}
			out.Messages = append(out.Messages, toMessage(m, conv))
			if len(out.Messages) == limit {
				if more || i < len(msgs)-1 {
					out.Meta.NextToken = m.ID.Format(convstore.PrefixMessage)
				}
				return out, nil
			}
		}
		if !more {
			return out, nil
		}
	}
	out.Meta.NextToken = pf.After.Format(convstore.PrefixMessage)
	return out, nil
}

// getMessage serves GET /v1/chat/messages/{id}.
func (d *Door) getMessage(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	m, conv, err := d.findMessage(r.Context(), convhttp.Tenant(r), bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	return ok(w, messageResponse{toMessage(m, conv)})
}

// deleteMessage serves DELETE /v1/chat/messages/{id}: answered {}.
func (d *Door) deleteMessage(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	m, conv, err := d.findMessage(ctx, tid, bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := d.store.DeleteMessage(ctx, tid, conv.ID, m.ID, convhttp.DeleteParams(r, DoorName)); err != nil {
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return messageNotFound()
		}
		return err
	}
	return ok(w, empty{})
}

// payloadTooLarge is the 413 of a payload over the store's parts limit.
func payloadTooLarge() error {
	return &convstore.Error{Code: convstore.ETOOLARGE, Field: "payload",
		Message: "payload must be at most " + strconv.Itoa(convstore.MaxMessagePartsLen) + " bytes of JSON."}
}
