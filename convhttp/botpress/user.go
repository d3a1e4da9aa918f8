package botpress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Users are end-user records of their own (convstore.EndUser), never
// conversations: the record's UserID is the user's wire id (so an
// end-user erasure by that id deletes the record with every conversation
// of theirs, and a legal hold on it keeps the record), its Name the
// user's name and its metadata the bot, the picture URL, the
// integration, tags, properties and attributes. It is sealed under a data
// key of its own, tenant-isolated and deleted (with a receipt) by the
// store's EndUserService.
const (
	// usersAgent was the AgentID of the conversations that held users
	// before migration 0023 moved them to records of their own; it stays
	// reserved so that no bot's conversations mix with a restored one.
	usersAgent = "botpress.users"

	keyBot     = "botpress.bot"
	keyPicture = "botpress.picture"
	attrPrefix = "botpress.attr."

	// userExternalPrefix namespaces the get-or-create keys of users.
	userExternalPrefix = "botpress-user:"

	// userIDPrefix is the prefix of the user ids this door makes.
	userIDPrefix = "user_"
)

// Bounds of user fields (Botpress's own are undocumented): the name is the
// record's name, the picture URL a metadata value.
const (
	maxUserNameLen   = convstore.MaxTitleLen
	maxPictureURLLen = convstore.MaxMetadataValueLen
)

func userNotFound() error {
	return convstore.Errorf(convstore.ENOTFOUND, "User not found.")
}

// toUser renders a user record.
func toUser(c *convstore.EndUser) user {
	u := user{
		ID:         c.UserID,
		CreatedAt:  formatTime(c.CreatedAt),
		UpdatedAt:  formatTime(c.UpdatedAt),
		Tags:       pairs(c.Metadata, tagPrefix),
		Name:       c.Name,
		PictureURL: c.Metadata[keyPicture],
	}
	if p := pairs(c.Metadata, propPrefix); len(p) > 0 {
		u.Properties = p
	}
	if a := pairs(c.Metadata, attrPrefix); len(a) > 0 {
		u.Attributes = a
	}
	return u
}

// userFilter selects the bot's user records.
func userFilter(bot string) convstore.EndUserFilter {
	return convstore.EndUserFilter{Metadata: convstore.Metadata{keyBot: bot}}
}

// findUser returns the record of the bot's user id. An id of another
// tenant or bot, an unknown or malformed one answer the same not-found.
func (d *Door) findUser(ctx context.Context, tid convstore.ID, bot, id string) (*convstore.EndUser, error) {
	if !validUserID(id) {
		return nil, userNotFound()
	}
	u, err := d.store.FindEndUserByUserID(ctx, tid, id)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND || err == nil && u.Metadata[keyBot] != bot {
		return nil, userNotFound()
	}
	return u, err
}

// validUserID reports whether s can be a user id of this door: "user_" and
// 26 base-32 characters.
func validUserID(s string) bool {
	rest, ok := strings.CutPrefix(s, userIDPrefix)
	if !ok {
		return false
	}
	_, ok = convstore.ParseBase32(rest)
	return ok
}

// newUser validates a create body into a user record.
func newUser(r *http.Request, bot string, in *userIn) (*convstore.EndUserCreate, error) {
	if in.Tags == nil {
		return nil, invalid("tags", "tags is required: an object of strings, {} for none.")
	}
	integration, err := integrationName(r, in.IntegrationName)
	if err != nil {
		return nil, err
	}
	meta := convstore.Metadata{keyBot: bot}
	if integration != "" {
		meta[keyIntegration] = integration
	}
	c := &convstore.EndUserCreate{UserID: userIDPrefix + convstore.NewID().Base32(), Metadata: meta}
	if err := applyUser(c.Metadata, &c.Name, in.Name, in.PictureURL, in.Tags, in.Properties, in.Attributes); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// applyUser applies the given fields of a user body to a record's
// metadata and title: a null or "" name or picture URL removes it, as a
// null or "" tag, property or attribute value does.
func applyUser(meta convstore.Metadata, title *string, name, picture optString, tags, props, attrs tagsIn) error {
	if name.Set {
		if len(name.S) > maxUserNameLen || !utf8.ValidString(name.S) || strings.IndexByte(name.S, 0) >= 0 {
			return invalid("name", "name must be at most %d bytes of UTF-8 without NUL characters.", maxUserNameLen)
		}
		*title = name.S
	}
	if picture.Set {
		if len(picture.S) > maxPictureURLLen || !utf8.ValidString(picture.S) || strings.IndexByte(picture.S, 0) >= 0 {
			return invalid("pictureUrl", "pictureUrl must be at most %d bytes of UTF-8 without NUL characters.", maxPictureURLLen)
		}
		if picture.S == "" {
			delete(meta, keyPicture)
		} else {
			meta[keyPicture] = picture.S
		}
	}
	if err := applyPairs(meta, tagPrefix, "tags", tags); err != nil {
		return err
	}
	if err := applyPairs(meta, propPrefix, "properties", props); err != nil {
		return err
	}
	if err := applyPairs(meta, attrPrefix, "attributes", attrs); err != nil {
		return err
	}
	return checkCount(meta)
}

// createUser serves POST /v1/chat/users.
func (d *Door) createUser(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in userIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	c, err := newUser(r, bot, &in)
	if err != nil {
		return err
	}
	rec, err := d.store.CreateEndUser(r.Context(), convhttp.Tenant(r), c)
	if err != nil {
		return err
	}
	return ok(w, userResponse{toUser(rec)})
}

// getOrCreateUser serves POST /v1/chat/users/get-or-create: as
// conversations, keyed by the bot, the integration and the discriminating
// tags; an existing user gets the request's fields merged in.
func (d *Door) getOrCreateUser(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in userIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	rec, created, err := d.findOrCreateUser(r, bot, &in)
	if err != nil {
		return err
	}
	return ok(w, getOrCreateUserResponse{User: toUser(rec), Meta: getOrCreateMeta{Created: created}})
}

// findOrCreateUser is the get-or-create of a user body.
func (d *Door) findOrCreateUser(r *http.Request, bot string, in *userIn) (*convstore.EndUser, bool, error) {
	c, err := newUser(r, bot, in)
	if err != nil {
		return nil, false, err
	}
	disc, err := discriminators(in.Tags, in.DiscriminateByTags)
	if err != nil {
		return nil, false, err
	}
	canon, _ := json.Marshal([]any{bot, c.Metadata[keyIntegration], disc}) // strings always marshal
	sum := sha256.Sum256(canon)
	// A deleted user's key names a new one: Botpress users are
	// identified by their tags, and a user deleted can come back (with
	// a new id).
	c.ExternalID = userExternalPrefix + hex.EncodeToString(sum[:])
	ctx, tid := r.Context(), convhttp.Tenant(r)
	rec, created, err := d.store.FindOrCreateEndUser(ctx, tid, c)
	if err != nil {
		return nil, false, err
	}
	if rec.Metadata[keyBot] != bot {
		return nil, false, convstore.Errorf(convstore.ECONFLICT, "Another record already uses this get-or-create key.")
	}
	if !created {
		if rec, err = d.updateUserRecord(ctx, tid, rec, in); err != nil {
			return nil, false, err
		}
	}
	return rec, created, nil
}

// updateUserRecord merges the body's fields into rec, writing only when
// something changes.
func (d *Door) updateUserRecord(ctx context.Context, tid convstore.ID, rec *convstore.EndUser, in *userIn) (*convstore.EndUser, error) {
	meta := maps.Clone(rec.Metadata)
	if meta == nil {
		meta = convstore.Metadata{}
	}
	name := rec.Name
	if err := applyUser(meta, &name, in.Name, in.PictureURL, in.Tags, in.Properties, in.Attributes); err != nil {
		return nil, err
	}
	if maps.Equal(meta, rec.Metadata) && name == rec.Name {
		return rec, nil
	}
	return d.store.UpdateEndUser(ctx, tid, rec.ID, &convstore.EndUserUpdate{Name: &name, Metadata: &meta})
}

// getUser serves GET /v1/chat/users/{id}.
func (d *Door) getUser(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	rec, err := d.findUser(r.Context(), convhttp.Tenant(r), bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	return ok(w, userResponse{toUser(rec)})
}

// updateUser serves PUT /v1/chat/users/{id}: given fields are merged in,
// null or "" removing one; absent ones stay.
func (d *Door) updateUser(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	var in userIn
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	rec, err := d.findUser(ctx, tid, bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	meta := maps.Clone(rec.Metadata)
	name := rec.Name
	if err := applyUser(meta, &name, in.Name, in.PictureURL, in.Tags, in.Properties, in.Attributes); err != nil {
		return err
	}
	rec, err = d.store.UpdateEndUser(ctx, tid, rec.ID, &convstore.EndUserUpdate{Name: &name, Metadata: &meta})
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return userNotFound() // deleted concurrently
	} else if err != nil {
		return err
	}
	return ok(w, userResponse{toUser(rec)})
}

// deleteUser serves DELETE /v1/chat/users/{id}: the user's record is
// deleted for good (with a receipt whose Door is "botpress"), answered {}.
// Conversations the user took part in stay; they no longer list the user
// as a participant.
func (d *Door) deleteUser(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	rec, err := d.findUser(ctx, tid, bot, r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, err := d.store.DeleteEndUser(ctx, tid, rec.ID, convhttp.DeleteParams(r, DoorName)); err != nil {
		if convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return userNotFound()
		}
		return err
	}
	return ok(w, empty{})
}

// listUsers serves GET /v1/chat/users: the bot's users by creation time,
// newest first unless sortDirection=asc; with conversationId, the
// participants of that conversation.
func (d *Door) listUsers(w http.ResponseWriter, r *http.Request) error {
	bot, err := botID(r)
	if err != nil {
		return err
	}
	q, err := queryRules.Parse(r)
	if err != nil {
		return err
	}
	f := userFilter(bot)
	f.Order = convstore.OrderDesc
	for _, param := range []string{"sortField", "rangeField"} {
		if s, _, err := q.String(param); err != nil {
			return err
		} else if s != "" && s != "createdAt" {
			return invalidQuery(param, "%s must be createdAt; this server cannot order or filter users by %s.", param, s)
		}
	}
	if s, _, err := q.String("sortDirection"); err != nil {
		return err
	} else if s != "" {
		if s != "asc" && s != "desc" {
			return invalidQuery("sortDirection", "sortDirection must be asc or desc.")
		}
		f.Order = convstore.Order(s)
	}
	if err := dateRange(q, &f.CreatedAfter, &f.CreatedBefore); err != nil {
		return err
	}
	if err := tagFilters(q, f.Metadata); err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	if convID, _, err := q.String("conversationId"); err != nil {
		return err
	} else if convID != "" {
		// The conversation's participants, by user id; nextToken is a
		// user id.
		users, next, err := d.participants(ctx, tid, bot, convID, q, &f)
		if err != nil {
			return err
		}
		return ok(w, userList{Users: users, Meta: listMeta{NextToken: next}})
	}
	order := f.Order
	if f.PageFilter, err = page(q, convstore.PrefixConversation); err != nil {
		return err
	}
	f.Order = order
	recs, more, err := d.store.FindEndUsers(ctx, tid, f)
	if err != nil {
		return err
	}
	out := userList{Users: make([]user, 0, len(recs))}
	for _, rec := range recs {
		out.Users = append(out.Users, toUser(rec))
	}
	if more && len(recs) > 0 {
		out.Meta.NextToken = recs[len(recs)-1].ID.Format(convstore.PrefixConversation)
	}
	return ok(w, out)
}

// dateRange reads afterDate and beforeDate (ISO-8601, exclusive) as
// bounds on createdAt as the wire shows it, in whole milliseconds: an item
// shown created at afterDate or beforeDate is not listed. after is moved to
// the last microsecond of its millisecond, before up to the next whole
// millisecond, so stored times (microseconds) compare as shown ones do.
func dateRange(q *convhttp.Query, after, before **time.Time) error {
	t, ok, err := q.Time("afterDate", parseDate)
	if err != nil {
		return err
	} else if ok {
		a := t.Truncate(time.Millisecond).Add(time.Millisecond - time.Microsecond)
		*after = &a
	}
	t, ok, err = q.Time("beforeDate", parseDate)
	if err != nil {
		return err
	} else if ok {
		if b := t.Truncate(time.Millisecond); !b.Equal(t) {
			t = b.Add(time.Millisecond)
		}
		*before = &t
	}
	return nil
}

// tagFilters reads the tags.<k>=v (or tags[k]=v) parameters into meta.
func tagFilters(q *convhttp.Query, meta convstore.Metadata) error {
	for _, param := range q.Names() {
		name, ok := tagParam(param)
		if !ok {
			continue
		}
		v, err := q.Text(param, convstore.MaxMetadataValueLen)
		if err != nil {
			return err
		}
		if err := validKey(tagPrefix, "tags", name); err != nil {
			return invalidQuery(param, "%s", convstore.ErrorMessage(err))
		}
		meta[tagPrefix+name] = v
	}
	if len(meta) > convstore.MaxMetadataPairs {
		return invalidQuery("tags", "At most %d tag and participant filters are allowed.", convstore.MaxMetadataPairs-2)
	}
	return nil
}
