package botpress

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// participantPrefix is the metadata key prefix of a conversation's
// participants: "botpress.participant.<user id>" = "1". Participants so
// share the conversation's 16 metadata pairs with its channel,
// integration, tags and properties, and are matched by the store's
// metadata index when listing conversations by participantIds.
const participantPrefix = "botpress.participant."

func participantNotFound() error {
	return convstore.Errorf(convstore.ENOTFOUND, "Participant not found.")
}

// participantIDs returns the conversation's participants' user ids,
// sorted.
func participantIDs(c *convstore.Conversation) []string {
	return slices.Sorted(maps.Keys(pairs(c.Metadata, participantPrefix)))
}

// addParticipant serves POST /v1/chat/conversations/{id}/participants
// {userId}: adding a participant twice answers the participant again. The
// first participant of a conversation without an end user becomes its
// UserID, so that erasing that user erases the conversation too.
func (d *Door) addParticipant(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in participantIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.UserID == nil || *in.UserID == "" {
		return invalid("userId", "userId is required.")
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	rec, err := d.findUser(ctx, tid, bot, *in.UserID)
	if err != nil {
		return err
	}
	if _, err := d.join(ctx, tid, conv, rec); err != nil {
		return err
	}
	return ok(w, participantResponse{toUser(rec)})
}

// join makes user record rec a participant of conv (nothing if it is one)
// and returns the conversation as it is then.
func (d *Door) join(ctx context.Context, tid convstore.ID, conv *convstore.Conversation, rec *convstore.EndUser) (*convstore.Conversation, error) {
	if _, ok := conv.Metadata[participantPrefix+rec.UserID]; ok {
		return conv, nil
	}
	meta := maps.Clone(conv.Metadata)
	if meta == nil {
		meta = convstore.Metadata{}
	}
	meta[participantPrefix+rec.UserID] = "1"
	if len(meta) > convstore.MaxMetadataPairs {
		return nil, invalid("userId", "This conversation has no room for another participant: its channel, integration, tags, properties and participants share %d entries here.", convstore.MaxMetadataPairs)
	}
	u := &convstore.ConversationUpdate{Metadata: &meta}
	if conv.UserID == "" {
		u.UserID = &rec.UserID
	}
	conv, err := d.store.UpdateConversation(ctx, tid, conv.ID, u)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return nil, conversationNotFound()
	}
	return conv, err
}

// getParticipant serves GET /v1/chat/conversations/{id}/participants/{userId}.
func (d *Door) getParticipant(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	userID := r.PathValue("userId")
	if _, ok := conv.Metadata[participantPrefix+userID]; !ok {
		return participantNotFound()
	}
	rec, err := d.findUser(ctx, tid, bot, userID)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return participantNotFound() // the user was deleted
	} else if err != nil {
		return err
	}
	return ok(w, participantResponse{toUser(rec)})
}

// removeParticipant serves DELETE /v1/chat/conversations/{id}/participants/{userId},
// answered {}. The conversation keeps its UserID.
func (d *Door) removeParticipant(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	conv, err := d.findConversation(ctx, tid, bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	key := participantPrefix + r.PathValue("userId")
	if _, ok := conv.Metadata[key]; !ok {
		return participantNotFound()
	}
	meta := maps.Clone(conv.Metadata)
	delete(meta, key)
	if _, err := d.store.UpdateConversation(ctx, tid, conv.ID, &convstore.ConversationUpdate{Metadata: &meta}); convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return conversationNotFound()
	} else if err != nil {
		return err
	}
	return ok(w, empty{})
}

// listParticipants serves GET /v1/chat/conversations/{id}/participants:
// the participants by user id, pageSize at a time; nextToken is the last
// user id of the page.
func (d *Door) listParticipants(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	q, err := queryRules.Parse(r)
	if err != nil {
		return err
	}
	users, next, err := d.participants(r.Context(), convhttp.Tenant(r), bot, r.PathValue("id"), q, nil)
	if err != nil {
		return err
	}
	return ok(w, participantList{Participants: users, Meta: listMeta{NextToken: next}})
}

// participants returns a page of the conversation's participants that
// match f's tags and dates (nil: all), ordered by user id (descending if
// f says so), and the next page's token. A participant whose user was
// deleted is skipped.
func (d *Door) participants(ctx context.Context, tid convstore.ID, bot, convID string, q *convhttp.Query, f *convstore.EndUserFilter) ([]user, string, error) {
	pf, err := pageSize(q)
	if err != nil {
		return nil, "", err
	}
	limit := pf.Limit
	after, _, err := q.String("nextToken")
	if err != nil {
		return nil, "", err
	}
	if after != "" && !validUserID(after) {
		return nil, "", invalidQuery("nextToken", "nextToken is not a token this endpoint returned.")
	}
	conv, err := d.findConversation(ctx, tid, bot, convID)
	if err != nil {
		return nil, "", err
	}
	ids := participantIDs(conv)
	desc := f != nil && f.Order == convstore.OrderDesc
	if desc {
		slices.Reverse(ids)
	}
	out := []user{}
	for _, id := range ids {
		if after != "" && (!desc && id <= after || desc && id >= after) {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].ID, nil
		}
		rec, err := d.findUser(ctx, tid, bot, id)
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, "", err
		}
		if f != nil && !userMatches(rec, f) {
			continue
		}
		out = append(out, toUser(rec))
	}
	return out, "", nil
}

// userMatches reports whether a user record has f's tags and creation
// dates.
func userMatches(rec *convstore.EndUser, f *convstore.EndUserFilter) bool {
	for k, v := range f.Metadata {
		if strings.HasPrefix(k, tagPrefix) && rec.Metadata[k] != v {
			return false
		}
	}
	return (f.CreatedAfter == nil || rec.CreatedAt.After(*f.CreatedAfter)) &&
		(f.CreatedBefore == nil || rec.CreatedAt.Before(*f.CreatedBefore))
}
