package botpress

import (
	"bytes"
	"context"
	"encoding/binary"
	"maps"
	"net/http"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// updateMessage serves PUT /v1/chat/messages/{id} {tags?, payload?}: given
// tags are merged in (null or "" removes one), a given payload replaces
// the message's; its type, user, direction and creation time never change
// (Botpress: "The message type cannot be changed"). updatedAt becomes the
// time of the update.
func (d *Door) updateMessage(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in messageUpdateIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	m, conv, err := d.findMessage(ctx, tid, bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	u := &convstore.MessageUpdate{}
	meta := maps.Clone(m.Metadata)
	if meta == nil {
		meta = convstore.Metadata{}
	}
	if err := applyPairs(meta, tagPrefix, "tags", in.Tags); err != nil {
		return err
	}
	if len(in.Payload) > 0 && !bytes.Equal(bytes.TrimSpace(in.Payload), []byte("null")) {
		if len(in.Payload) > convstore.MaxMessagePartsLen {
			return payloadTooLarge()
		}
		payload, text, err := normalizePayload(in.Payload)
		if err != nil {
			return err
		}
		u.Parts, u.Content = &payload, &text
		if meta[keyType] == "" {
			meta[keyType] = defaultMessageType // written outside this door: keep showing it as text
		}
	}
	meta[keyUpdatedAt] = formatTime(time.Now())
	if err := checkCount(meta); err != nil {
		return err
	}
	u.Metadata = &meta
	m, err = d.store.UpdateMessage(ctx, tid, conv.ID, m.ID, u)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return messageNotFound() // deleted concurrently
	} else if err != nil {
		return err
	}
	return ok(w, messageResponse{toMessage(m, conv)})
}

// getOrCreateMessage serves POST /v1/chat/messages/get-or-create: the
// conversation's message of the same userId and type whose discriminating
// tags (discriminateByTags, else every non-empty tag; an absent tag counts
// as empty) have the request's values, newest first; without any
// discriminating tag the payload must be equal too, so a retried call
// finds its message. Otherwise the message is created as by POST
// /v1/chat/messages. An existing message is returned as stored.
func (d *Door) getOrCreateMessage(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in messageIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	mc, err := newMessage(bot, &in)
	if err != nil {
		return err
	}
	disc, err := discriminators(in.Tags, in.DiscriminateByTags)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, bot, *in.ConversationID)
	if err != nil {
		return err
	}
	m, created, err := d.findOrCreateMessage(ctx, tid, conv, mc, disc)
	if err != nil {
		return err
	}
	return ok(w, getOrCreateMessageResponse{Message: toMessage(m, conv), Meta: getOrCreateMeta{Created: created}})
}

// findOrCreateMessage is the get-or-create of message mc in conv.
func (d *Door) findOrCreateMessage(ctx context.Context, tid convstore.ID, conv *convstore.Conversation, mc *convstore.MessageCreate, disc [][2]string) (*convstore.Message, bool, error) {
	mu := &d.getOrCreate[binary.BigEndian.Uint64(conv.ID[8:])%uint64(len(d.getOrCreate))]
	mu.Lock()
	defer mu.Unlock()
	found, err := d.findMatchingMessage(ctx, tid, conv, mc, disc)
	if err != nil || found != nil {
		return found, false, err
	}
	msgs, err := d.store.CreateMessages(ctx, tid, conv.ID, []*convstore.MessageCreate{mc})
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return nil, false, conversationNotFound()
	} else if err != nil {
		return nil, false, err
	}
	return msgs[0], true, nil
}

// findMatchingMessage returns the newest message of conv that mc's
// get-or-create matches, or nil. It reads the whole conversation at worst
// (bounded by the server's --max-conversation-messages).
func (d *Door) findMatchingMessage(ctx context.Context, tid convstore.ID, conv *convstore.Conversation, mc *convstore.MessageCreate, disc [][2]string) (*convstore.Message, error) {
	pf := convstore.PageFilter{Limit: convstore.MaxPageLimit, Order: convstore.OrderDesc}
	for {
		msgs, more, err := d.store.FindMessages(ctx, tid, conv.ID, convstore.MessageFilter{PageFilter: pf})
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return nil, conversationNotFound()
		} else if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if sameMessage(m, mc, disc) {
				return m, nil
			}
		}
		if !more || len(msgs) == 0 {
			return nil, nil
		}
		pf.After = msgs[len(msgs)-1].ID
	}
}

// sameMessage reports whether stored message m is the one mc names.
func sameMessage(m *convstore.Message, mc *convstore.MessageCreate, disc [][2]string) bool {
	if m.AuthorName != mc.AuthorName || m.Metadata[keyType] != mc.Metadata[keyType] {
		return false
	}
	for _, kv := range disc {
		if m.Metadata[tagPrefix+kv[0]] != kv[1] {
			return false
		}
	}
	return len(disc) > 0 || bytes.Equal(m.Parts, mc.Parts)
}
