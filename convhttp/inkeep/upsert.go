package inkeep

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strings"

	"github.com/convstore/convstore"
)

// raceError says a conversation with the client's id was created between
// our lookup and our create; the caller upserts into it instead.
type raceError struct{ conv *convstore.Conversation }

func (e *raceError) Error() string { return "inkeep: conversation logged concurrently" }

// placeholderID has the length of a rendered message id, to size the field
// artifact before the messages (and so their ids) exist.
var placeholderID = convstore.PrefixMessage + "_" + strings.Repeat("0", 26)

// applyMeta returns m with the body's small strings applied: an absent
// member keeps the stored value, null clears it, a value replaces it.
func applyMeta(m convstore.Metadata, in *logInput) convstore.Metadata {
	out := convstore.Metadata{}
	maps.Copy(out, m)
	for k, v := range in.Meta {
		switch {
		case !v.Set:
		case v.Null:
			delete(out, k)
		default:
			out[k] = v.V
		}
	}
	return out
}

// applyFields returns the structured fields with the body's applied, by the
// same rules as applyMeta; message extras are copied.
func applyFields(old *stored, in *logInput) *stored {
	s := &stored{Messages: map[string]*messageExtra{}}
	if old != nil {
		s.Properties, s.UserProperties, s.Tags = old.Properties, old.UserProperties, old.Tags
		maps.Copy(s.Messages, old.Messages)
	}
	if in.Props.Set {
		s.Properties = in.Props.V // nil when null
	}
	if in.UserProp.Set {
		s.UserProperties = in.UserProp.V
	}
	if in.Tags.Set {
		s.Tags = nil
		if !in.Tags.Null {
			tags := in.Tags.V
			s.Tags = &tags
		}
	}
	return s
}

// empty reports whether s holds nothing worth an artifact.
func (s *stored) empty() bool {
	return s.Properties == nil && s.UserProperties == nil && s.Tags == nil && len(s.Messages) == 0
}

// artifactData returns the field artifact's Data for s.
func artifactData(s *stored) json.RawMessage {
	b, _ := json.Marshal(map[string]*stored{"inkeep": s}) // plain data always marshals
	return b
}

// checkFields validates everything that will be written, with placeholder
// ids for the messages that do not exist yet, so that no write starts for a
// request that cannot be stored whole.
func checkFields(meta convstore.Metadata, s *stored, news []*msgInput) error {
	if err := meta.Validate("metadata"); err != nil {
		return invalid("metadata", "The conversation's Inkeep fields and existing metadata exceed %d pairs.", convstore.MaxMetadataPairs)
	}
	if len(news) > convstore.MaxMessageBatch {
		return invalid("messages", "At most %d new messages can be logged in one request.", convstore.MaxMessageBatch)
	}
	batch := make([]*convstore.MessageCreate, len(news))
	for i, m := range news {
		batch[i] = m.Create
	}
	if err := convstore.ValidateMessageBatch("messages", batch, false); err != nil {
		return err
	}
	size := len(artifactData(s))
	for _, m := range news {
		if !m.Extra.empty() {
			b, _ := json.Marshal(map[string]*messageExtra{placeholderID: m.Extra})
			size += len(b)
		}
	}
	if size > convstore.MaxArtifactDataLen {
		return invalid("messages", "The conversation's properties, links and tool calls exceed %d bytes of JSON.", convstore.MaxArtifactDataLen)
	}
	return nil
}

// create creates a new conversation holding every message of the body.
func (d *Door) create(ctx context.Context, t convstore.ID, in *logInput) (*convstore.Conversation, error) {
	meta := applyMeta(nil, in)
	fields := applyFields(nil, in)
	if err := checkFields(meta, fields, in.Messages); err != nil {
		return nil, err
	}
	cc := &convstore.ConversationCreate{Metadata: meta, UserID: userIDOf(in.UserProp.V), Door: DoorName}
	if in.ID != "" {
		cc.ExternalID = externalPrefix + in.ID
	}
	for _, m := range in.Messages {
		cc.Messages = append(cc.Messages, m.Create)
	}
	c, msgs, err := d.store.CreateConversation(ctx, t, cc)
	if convstore.IsTombstone(err) {
		// A deleted conversation had this id: a late log must not bring
		// it back.
		return nil, errConversationNotFound()
	}
	if convstore.ErrorCode(err) == convstore.ECONFLICT && cc.ExternalID != "" {
		if c, err := d.store.FindConversationByExternalID(ctx, t, cc.ExternalID); err == nil {
			return nil, &raceError{conv: c}
		}
	}
	if err != nil {
		return nil, err
	}
	addExtras(fields, in.Messages, msgs)
	if fields.empty() {
		return c, nil
	}
	_, err = d.store.CreateArtifact(ctx, t, c.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactOther, Data: artifactData(fields)})
	return c, notFoundIfGone(err)
}

// addExtras records the structured members of newly created messages.
func addExtras(s *stored, in []*msgInput, created []*convstore.Message) {
	for i, m := range created {
		if i < len(in) && !in[i].Extra.empty() {
			s.Messages[m.ID.Format(convstore.PrefixMessage)] = in[i].Extra
		}
	}
}

// upsert applies a body to an existing conversation. Messages already
// stored are kept as they are; the body's other messages are appended in
// its order (see doc.go for how they are matched).
func (d *Door) upsert(ctx context.Context, t convstore.ID, c *convstore.Conversation, in *logInput, p convstore.DeleteParams) error {
	v, err := d.load(ctx, t, c)
	if err != nil {
		return err
	}
	news, err := newMessages(ctx, v.messages, in.Messages)
	if err != nil {
		return notFoundIfGone(err)
	}
	meta := applyMeta(c.Metadata, in)
	fields := applyFields(v.extra, in)
	if err := checkFields(meta, fields, news); err != nil {
		return err
	}
	if len(news) > 0 {
		batch := make([]*convstore.MessageCreate, len(news))
		for i, m := range news {
			batch[i] = m.Create
		}
		msgs, err := d.store.CreateMessages(ctx, t, c.ID, batch)
		if err != nil {
			return notFoundIfGone(err)
		}
		addExtras(fields, news, msgs)
	}
	u := &convstore.ConversationUpdate{}
	changed := !maps.Equal(meta, c.Metadata)
	if changed {
		u.Metadata = &meta
	}
	if in.UserProp.Set {
		if uid := userIDOf(in.UserProp.V); uid != c.UserID {
			u.UserID, changed = &uid, true
		}
	}
	if changed {
		if _, err := d.store.UpdateConversation(ctx, t, c.ID, u); err != nil {
			return notFoundIfGone(err)
		}
	}
	return d.replaceFields(ctx, t, v, fields, p)
}

// newMessages returns the body's messages that are not stored yet. A
// message with an id is stored when a stored message has that native id or
// was logged with that client id; one without an id is stored when its
// position is within the stored messages. The stored messages are read a
// page at a time, keeping only the body's ids that they match, so that
// matching holds the body and a page, not the whole conversation.
func newMessages(ctx context.Context, have messageSource, body []*msgInput) ([]*msgInput, error) {
	known := map[string]bool{} // the body's ids: whether a stored message has it
	for _, m := range body {
		if m.ClientID != "" {
			known[m.ClientID] = false
		}
	}
	stored := 0
	err := have.Each(ctx, func(m *convstore.Message) error {
		stored++
		for _, id := range []string{m.ID.Format(convstore.PrefixMessage), m.Metadata[metaMessageID], m.Metadata[metaMessageIDOld]} {
			if _, ok := known[id]; ok && id != "" {
				known[id] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var news []*msgInput
	for i, m := range body {
		if m.ClientID != "" && known[m.ClientID] || m.ClientID == "" && i < stored {
			continue
		}
		news = append(news, m)
	}
	return news, nil
}

// replaceFields replaces the field artifact when its content changed:
// artifacts cannot be updated, so the old one is deleted and a new one
// created.
func (d *Door) replaceFields(ctx context.Context, t convstore.ID, v *view, s *stored, p convstore.DeleteParams) error {
	data := artifactData(s)
	if len(v.artifacts) == 1 && bytes.Equal(v.artifacts[0].Data, data) || len(v.artifacts) == 0 && s.empty() {
		return nil
	}
	if !s.empty() {
		if _, err := d.store.CreateArtifact(ctx, t, v.conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactOther, Data: data}); err != nil {
			return notFoundIfGone(err)
		}
	}
	for _, a := range v.artifacts {
		err := d.store.DeleteArtifact(ctx, t, v.conv.ID, a.ID, p)
		if err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND {
			return err
		}
	}
	return nil
}
