package botpress

import (
	"context"
	"errors"
	"maps"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// toConversation renders a conversation. One created outside this door has
// no botpress.* metadata and shows channel "" and integration "".
func toConversation(c *convstore.Conversation) conversation {
	out := conversation{
		ID:           c.ID.Format(convstore.PrefixConversation),
		CreatedAt:    formatTime(c.CreatedAt),
		UpdatedAt:    formatTime(c.UpdatedAt),
		Channel:      c.Metadata[keyChannel],
		Integration:  c.Metadata[keyIntegration],
		Tags:         pairs(c.Metadata, tagPrefix),
		MessageCount: c.MessageCount,
	}
	if p := pairs(c.Metadata, propPrefix); len(p) > 0 {
		out.Properties = p
	}
	return out
}

// findConversation returns the bot's conversation with the wire id s. A
// malformed id, a missing one, another tenant's and another bot's are the
// same not-found.
func (d *Door) findConversation(ctx context.Context, tenantID convstore.ID, bot, s string) (*convstore.Conversation, error) {
	id, err := convstore.ParseID(convstore.PrefixConversation, "id", s)
	if err != nil {
		return nil, conversationNotFound()
	}
	c, err := d.store.FindConversationByID(ctx, tenantID, id)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND || err == nil && c.AgentID != bot {
		return nil, conversationNotFound()
	}
	return c, err
}

// newConversation validates a create body into the store's input: the
// bot as AgentID, channel and integration in metadata next to the tags and
// properties.
func newConversation(r *http.Request, bot string, in *conversationIn) (*convstore.ConversationCreate, error) {
	channel, err := requireString("channel", in.Channel, maxNameLen)
	if err != nil {
		return nil, err
	}
	if in.Tags == nil {
		return nil, invalid("tags", "tags is required: an object of strings, {} for none.")
	}
	integration, err := integrationName(r, in.IntegrationName)
	if err != nil {
		return nil, err
	}
	meta := convstore.Metadata{keyChannel: channel}
	if integration != "" {
		meta[keyIntegration] = integration
	}
	if err := applyPairs(meta, tagPrefix, "tags", in.Tags); err != nil {
		return nil, err
	}
	if err := applyPairs(meta, propPrefix, "properties", in.Properties); err != nil {
		return nil, err
	}
	if err := checkCount(meta); err != nil {
		return nil, err
	}
	c := &convstore.ConversationCreate{AgentID: bot, Metadata: meta, Door: DoorName}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// createConversation serves POST /v1/chat/conversations.
func (d *Door) createConversation(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in conversationIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	c, err := newConversation(r, bot, &in)
	if err != nil {
		return err
	}
	conv, _, err := d.store.CreateConversation(r.Context(), convhttp.Tenant(r), c)
	if err != nil {
		return err
	}
	return ok(w, conversationResponse{toConversation(conv)})
}

// getOrCreateConversation serves POST /v1/chat/conversations/get-or-create.
// The conversation is keyed by ExternalID, a hash of bot, channel,
// integration and discriminating tags, so concurrent calls agree: a create
// that loses the race (ECONFLICT) finds the winner. An existing
// conversation gets the request's tags and properties merged in.
func (d *Door) getOrCreateConversation(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in conversationIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	conv, created, err := d.findOrCreateConversation(r, bot, &in)
	if err != nil {
		return err
	}
	return ok(w, getOrCreateResponse{Conversation: toConversation(conv), Meta: getOrCreateMeta{Created: created}})
}

// findOrCreateConversation is the get-or-create of a conversation body.
func (d *Door) findOrCreateConversation(r *http.Request, bot string, in *conversationIn) (*convstore.Conversation, bool, error) {
	c, err := newConversation(r, bot, in)
	if err != nil {
		return nil, false, err
	}
	disc, err := discriminators(in.Tags, in.DiscriminateByTags)
	if err != nil {
		return nil, false, err
	}
	c.ExternalID = externalID(bot, c.Metadata[keyChannel], c.Metadata[keyIntegration], disc)
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.store.FindConversationByExternalID(ctx, tid, c.ExternalID)
	created := false
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		conv, _, err = d.store.CreateConversation(ctx, tid, c)
		created = err == nil
		if convstore.ErrorCode(err) == convstore.ECONFLICT {
			conv, err = d.store.FindConversationByExternalID(ctx, tid, c.ExternalID)
		}
	}
	if err != nil {
		return nil, false, err
	}
	if conv.AgentID != bot {
		// Only a caller outside this door could have taken the key.
		return nil, false, convstore.Errorf(convstore.ECONFLICT, "Another conversation already uses this get-or-create key.")
	}
	if !created {
		if conv, err = d.mergeIfChanged(ctx, tid, conv, in.Tags, in.Properties); err != nil {
			return nil, false, err
		}
	}
	return conv, created, nil
}

// mergeIfChanged applies tags and properties to conv, writing only when
// something changes.
func (d *Door) mergeIfChanged(ctx context.Context, tid convstore.ID, conv *convstore.Conversation, tags, props tagsIn) (*convstore.Conversation, error) {
	meta, err := merged(conv.Metadata, tags, props)
	if err != nil || maps.Equal(meta, conv.Metadata) {
		return conv, err
	}
	return d.store.UpdateConversation(ctx, tid, conv.ID, &convstore.ConversationUpdate{Metadata: &meta})
}

// merged returns a copy of meta with tags and properties applied.
func merged(meta convstore.Metadata, tags, props tagsIn) (convstore.Metadata, error) {
	out := maps.Clone(meta)
	if out == nil {
		out = convstore.Metadata{}
	}
	if err := applyPairs(out, tagPrefix, "tags", tags); err != nil {
		return nil, err
	}
	if err := applyPairs(out, propPrefix, "properties", props); err != nil {
		return nil, err
	}
	return out, checkCount(out)
}

// getConversation serves GET /v1/chat/conversations/{id}.
func (d *Door) getConversation(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	conv, err := d.findConversation(r.Context(), convhttp.Tenant(r), bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	return ok(w, conversationResponse{toConversation(conv)})
}

// updateConversation serves PUT /v1/chat/conversations/{id}: given tags and
// properties are merged in, null or "" removing one; absent ones stay.
func (d *Door) updateConversation(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in conversationUpdateIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	meta, err := merged(conv.Metadata, in.Tags, in.Properties)
	if err != nil {
		return err
	}
	conv, err = d.store.UpdateConversation(ctx, tid, conv.ID, &convstore.ConversationUpdate{Metadata: &meta})
	if err != nil {
		return err
	}
	return ok(w, conversationResponse{toConversation(conv)})
}

// deleteConversation serves DELETE /v1/chat/conversations/{id}: a
// permanent delete of the conversation with its messages, answered {}. The
// SDK's `{}` request body is ignored, as is any other.
func (d *Door) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, err := d.store.DeleteConversation(ctx, tid, conv.ID, convhttp.DeleteParams(r, DoorName)); err != nil {
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return conversationNotFound() // deleted concurrently
		}
		return err
	}
	return ok(w, empty{})
}

// listConversations serves GET /v1/chat/conversations: the bot's
// conversations by creation time, newest first unless sortDirection=asc.
func (d *Door) listConversations(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	q, err := queryRules.Parse(r)
	if err != nil {
		return err
	}
	f, err := conversationFilter(q, bot)
	if err != nil {
		return err
	}
	convs, more, err := d.store.FindConversations(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	out := conversationList{Conversations: make([]conversation, 0, len(convs))}
	for _, c := range convs {
		out.Conversations = append(out.Conversations, toConversation(c))
	}
	if more && len(convs) > 0 {
		last := convs[len(convs)-1]
		out.Meta.NextToken = last.ID.Format(convstore.PrefixConversation)
		if f.ByUpdated {
			out.Meta.NextToken += "." + strconv.FormatInt(last.UpdatedAt.UnixMicro(), 10)
		}
	}
	return ok(w, out)
}

// conversationFilter turns the list query into a store filter.
func conversationFilter(q *convhttp.Query, bot string) (convstore.ConversationFilter, error) {
	f := convstore.ConversationFilter{AgentID: bot, Metadata: convstore.Metadata{}}
	sortField, _, err := q.String("sortField")
	if err != nil {
		return f, err
	}
	switch sortField {
	case "", "createdAt":
		if f.PageFilter, err = page(q, convstore.PrefixConversation); err != nil {
			return f, err
		}
	case "updatedAt":
		// The cursor is "<id>.<updatedAt in Unix microseconds>".
		f.ByUpdated = true
		token, _, err := q.String("nextToken")
		if err != nil {
			return f, err
		}
		if f.PageFilter, err = pageSize(q); err != nil {
			return f, err
		}
		if token != "" {
			id, micros, ok := strings.Cut(token, ".")
			n, nerr := strconv.ParseInt(micros, 10, 64)
			after, perr := convstore.ParseID(convstore.PrefixConversation, "nextToken", id)
			if !ok || nerr != nil || perr != nil {
				return f, invalidQuery("nextToken", "nextToken is not a token this endpoint returned.")
			}
			f.After, f.AfterUpdated = after, time.UnixMicro(n).UTC()
		}
	default:
		return f, invalidQuery("sortField", "sortField must be createdAt or updatedAt.")
	}
	f.Order = convstore.OrderDesc
	// participantIds (repeated, as the SDK's qs sends arrays; also
	// participantIds[]): conversations that have every one of them.
	for _, name := range []string{"participantIds", "participantIds[]"} {
		for _, id := range q.All(name) {
			if id == "" || len(participantPrefix+id) > convstore.MaxMetadataKeyLen || !utf8.ValidString(id) {
				return f, invalidQuery("participantIds", "participantIds must be user ids.")
			}
			f.Metadata[participantPrefix+id] = "1"
		}
	}
	for name, dst := range map[string]**int{"minMessageCount": &f.MinMessages, "maxMessageCount": &f.MaxMessages} {
		if n, ok, err := q.Int(name, 0, math.MaxInt32); err != nil {
			return f, err
		} else if ok {
			v := int(n)
			*dst = &v
		}
	}
	if s, _, err := q.String("sortDirection"); err != nil {
		return f, err
	} else if s != "" {
		if s != "asc" && s != "desc" {
			return f, invalidQuery("sortDirection", "sortDirection must be asc or desc.")
		}
		f.Order = convstore.Order(s)
	}
	for param, key := range map[string]string{"channel": keyChannel, "integrationName": keyIntegration} {
		s, err := q.Text(param, maxNameLen)
		if err != nil {
			return f, err
		} else if s != "" {
			f.Metadata[key] = s
		}
	}
	if err := dateRange(q, &f.CreatedAfter, &f.CreatedBefore); err != nil {
		return f, err
	}
	if err := tagFilters(q, f.Metadata); err != nil {
		return f, err
	}
	return f, nil
}

// parseDate reads an ISO-8601 date-time of years 1..9999.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil && (t.Year() < 1 || t.Year() > 9999) {
		err = errors.New("year out of range")
	}
	return t, err
}

// tagParam returns the tag name of a "tags.<name>" or "tags[<name>]" query
// parameter (the SDK's qs encoding uses dots).
func tagParam(param string) (string, bool) {
	if name, ok := strings.CutPrefix(param, "tags."); ok {
		return name, true
	}
	if rest, ok := strings.CutPrefix(param, "tags["); ok && strings.HasSuffix(rest, "]") {
		return strings.TrimSuffix(rest, "]"), true
	}
	return "", false
}
