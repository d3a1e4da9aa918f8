package elevenlabs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Conversation tags: the workspace's (tenant's) tag definitions and the
// tags each conversation carries. See doc.go, "Tags".

const (
	pathTags            = "/v1/convai/tags"
	pathTag             = pathTags + "/{tag_id}"
	pathConversationTag = pathConversation + "/tags"
	pathConversationOne = pathConversationTag + "/{tag_id}"

	statusTagNotFound = "tag_not_found"

	// Bounds of the wire, in characters as pydantic counts them (the
	// store's bounds, in bytes, are never lower).
	maxTagTitleChars       = 256
	maxTagDescriptionChars = 4000
	defaultTagPageSize     = 30
	// maxTagFilter bounds the list's tag_ids filter.
	maxTagFilter = 100
)

// errTagNotFound answers unknown, foreign and malformed tag ids alike.
var errTagNotFound = &convstore.Error{Code: convstore.ENOTFOUND,
	Message: "A conversation tag with the given tag_id was not found."}

// tagRoutes are the tag routes: reads need "read", creating, changing,
// attaching and detaching "write", a tag's delete "delete".
func (d *Door) tagRoutes() []convhttp.Route {
	return []convhttp.Route{
		{Method: http.MethodGet, Path: pathTags, Scope: convstore.ScopeRead, Handler: d.listTags},
		{Method: http.MethodPost, Path: pathTags, Scope: convstore.ScopeWrite, Handler: d.createTag},
		{Method: http.MethodGet, Path: pathTag, Scope: convstore.ScopeRead, Handler: d.getTag},
		{Method: http.MethodPatch, Path: pathTag, Scope: convstore.ScopeWrite, Handler: d.updateTag},
		{Method: http.MethodDelete, Path: pathTag, Scope: convstore.ScopeDelete, Handler: d.deleteTag},
		{Method: http.MethodPost, Path: pathConversationTag, Scope: convstore.ScopeWrite, Handler: d.assignTags},
		{Method: http.MethodDelete, Path: pathConversationOne, Scope: convstore.ScopeWrite, Handler: d.unassignTag},
	}
}

// conversationTag is ConversationTagResponseModel: tag_id, workspace_id,
// owner_user_id, title and created_at_unix_secs are required.
type conversationTag struct {
	TagID             string  `json:"tag_id"`
	WorkspaceID       string  `json:"workspace_id"`
	OwnerUserID       string  `json:"owner_user_id"`
	Title             string  `json:"title"`
	Description       *string `json:"description,omitempty"`
	CreatedAtUnixSecs int64   `json:"created_at_unix_secs"`
}

// tagsPage is GetConversationTagsPageResponseModel.
type tagsPage struct {
	ConversationTags []conversationTag `json:"conversation_tags"`
	NextCursor       *string           `json:"next_cursor"`
	HasMore          bool              `json:"has_more"`
}

func toWireTag(t *convstore.Tag) conversationTag {
	out := conversationTag{
		TagID:             t.ID.Format(convstore.PrefixTag),
		WorkspaceID:       t.TenantID.Format(convstore.PrefixTenant),
		Title:             t.Title,
		CreatedAtUnixSecs: t.CreatedAt.Unix(),
	}
	if !t.CreatedBy.IsZero() {
		out.OwnerUserID = t.CreatedBy.Format(convstore.PrefixKey)
	}
	if t.Description != "" {
		s := t.Description
		out.Description = &s
	}
	return out
}

// tagID parses {tag_id}: a malformed id is simply not found.
func tagID(r *http.Request) (convstore.ID, error) {
	id, err := convstore.ParseID(convstore.PrefixTag, "tag_id", r.PathValue("tag_id"))
	if err != nil {
		return id, errTagNotFound
	}
	return id, nil
}

// tagNotFound turns a store ENOTFOUND of a tag into errTagNotFound and
// every other ENOTFOUND (the conversation) into errConversationNotFound.
func tagNotFound(err error) error {
	var e *convstore.Error
	if convstore.ErrorCode(err) == convstore.ENOTFOUND && asError(err, &e) && e.Message == convstore.NotFound("tag").Message {
		return errTagNotFound
	}
	return notFound(err)
}

func asError(err error, e **convstore.Error) bool { return errors.As(err, e) }

// listTags serves GET /v1/convai/tags: newest first, paged by an opaque
// cursor (the id of the last tag of the page).
func (d *Door) listTags(w http.ResponseWriter, r *http.Request) error {
	q := parseQuery(r)
	f := convstore.TagFilter{PageFilter: convstore.PageFilter{Limit: defaultTagPageSize, Order: convstore.OrderDesc}}
	if n, ok := q.integer("page_size", 1, convstore.MaxPageLimit); ok {
		f.Limit = int(n)
	}
	if s, _, _ := q.q.String("cursor"); s != "" {
		id, _, err := q.q.ID("cursor", convstore.PrefixTag)
		q.collect(err)
		f.After = id
	}
	if err := q.err(); err != nil {
		return err
	}
	tags, more, err := d.store.FindTags(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	page := tagsPage{ConversationTags: make([]conversationTag, len(tags)), HasMore: more}
	for i, t := range tags {
		page.ConversationTags[i] = toWireTag(t)
	}
	if more && len(tags) > 0 {
		c := tags[len(tags)-1].ID.Format(convstore.PrefixTag)
		page.NextCursor = &c
	}
	return convhttp.WriteJSON(w, http.StatusOK, page)
}

// bodyObject reads a JSON object body as FastAPI validates it.
func bodyObject(body []byte) (map[string]json.RawMessage, error) {
	ve := &validationError{}
	if !json.Valid(body) {
		ve.add(validationItem{Type: "json_invalid", Loc: []any{"body"}, Msg: "JSON decode error"})
		return nil, ve.orNil()
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		ve.add(validationItem{Type: "model_attributes_type", Loc: []any{"body"},
			Msg: "Input should be a valid dictionary or object to extract fields from"})
		return nil, ve.orNil()
	}
	return obj, nil
}

// readObject reads the request's body (bounded by the server) and returns
// it as a JSON object (bodyObject).
func (d *Door) readObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, error) {
	body, err := d.srv.ReadBody(w, r)
	if err != nil {
		return nil, err
	}
	return bodyObject(body)
}

// isNull reports an absent or null member.
func isNull(raw json.RawMessage) bool {
	return raw == nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// bodyString reads an optional string member of at least lo and at most
// hi characters into ve; nil when absent or null.
func bodyString(ve *validationError, obj map[string]json.RawMessage, name string, lo, hi int) *string {
	raw := obj[name]
	if isNull(raw) {
		return nil
	}
	loc := []any{"body", name}
	s, ok := jsonString(raw)
	switch n := utf8.RuneCountInString(s); {
	case !ok:
		ve.add(validationItem{Type: "string_type", Loc: loc, Msg: "Input should be a valid string", Input: raw})
	case n < lo:
		ve.add(validationItem{Type: "string_too_short", Loc: loc, Msg: "String should have at least 1 character",
			Input: s, Ctx: map[string]any{"min_length": lo}})
	case n > hi:
		ve.add(validationItem{Type: "string_too_long", Loc: loc,
			Msg: "String should have at most " + strconv.Itoa(hi) + " characters", Input: s, Ctx: map[string]any{"max_length": hi}})
	default:
		return &s
	}
	return nil
}

// storeInvalid phrases the store's EINVALID of a body member (control
// characters, say) as a pydantic value_error.
func storeInvalid(err error) error {
	var e *convstore.Error
	if convstore.ErrorCode(err) != convstore.EINVALID || !asError(err, &e) || e.Field == "" {
		return err
	}
	ve := &validationError{}
	ve.add(validationItem{Type: "value_error", Loc: []any{"body", e.Field}, Msg: "Value error, " + e.Message})
	return ve.orNil()
}

// createTag serves POST /v1/convai/tags: body
// CreateConversationTagRequestModel {title, description?}.
func (d *Door) createTag(w http.ResponseWriter, r *http.Request) error {
	obj, err := d.readObject(w, r)
	if err != nil {
		return err
	}
	ve := &validationError{}
	title := bodyString(ve, obj, "title", 1, maxTagTitleChars)
	switch raw, ok := obj["title"]; {
	case !ok:
		ve.add(validationItem{Type: "missing", Loc: []any{"body", "title"}, Msg: "Field required", Input: obj})
	case isNull(raw):
		ve.add(validationItem{Type: "string_type", Loc: []any{"body", "title"}, Msg: "Input should be a valid string", Input: nil})
	}
	desc := bodyString(ve, obj, "description", 0, maxTagDescriptionChars)
	if err := ve.orNil(); err != nil {
		return err
	}
	c := &convstore.TagCreate{Title: *title}
	if desc != nil {
		c.Description = *desc
	}
	if err := c.Validate(); err != nil {
		return storeInvalid(err)
	}
	t, err := d.store.CreateTag(r.Context(), convhttp.Tenant(r), c, convhttp.DeleteParams(r, DoorName).ActorKeyID)
	if err != nil {
		return storeInvalid(err)
	}
	return convhttp.WriteJSON(w, http.StatusOK, toWireTag(t))
}

// getTag serves GET /v1/convai/tags/{tag_id}.
func (d *Door) getTag(w http.ResponseWriter, r *http.Request) error {
	id, err := tagID(r)
	if err != nil {
		return err
	}
	t, err := d.store.FindTagByID(r.Context(), convhttp.Tenant(r), id)
	if err != nil {
		return tagNotFound(err)
	}
	return convhttp.WriteJSON(w, http.StatusOK, toWireTag(t))
}

// updateTag serves PATCH /v1/convai/tags/{tag_id}: body
// PatchConversationTagRequestModel {title?, description?}; an absent or
// null member is left unchanged. The body is validated first.
func (d *Door) updateTag(w http.ResponseWriter, r *http.Request) error {
	obj, err := d.readObject(w, r)
	if err != nil {
		return err
	}
	ve := &validationError{}
	u := &convstore.TagUpdate{
		Title:       bodyString(ve, obj, "title", 1, maxTagTitleChars),
		Description: bodyString(ve, obj, "description", 0, maxTagDescriptionChars),
	}
	if err := ve.orNil(); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return storeInvalid(err)
	}
	id, err := tagID(r)
	if err != nil {
		return err
	}
	t, err := d.store.UpdateTag(r.Context(), convhttp.Tenant(r), id, u)
	if err != nil {
		return tagNotFound(storeInvalid(err))
	}
	return convhttp.WriteJSON(w, http.StatusOK, toWireTag(t))
}

// deleteTag serves DELETE /v1/convai/tags/{tag_id}: the tag goes for
// good, detached from every conversation; 200 with the JSON body null.
func (d *Door) deleteTag(w http.ResponseWriter, r *http.Request) error {
	id, err := tagID(r)
	if err != nil {
		return err
	}
	if err := d.store.DeleteTag(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName)); err != nil {
		return tagNotFound(err)
	}
	return convhttp.WriteJSON(w, http.StatusOK, nil)
}

// assignTags serves POST /v1/convai/conversations/{conversation_id}/tags:
// body AssignConversationTagsRequestModel {tag_ids: [string]}, validated
// first; every tag must exist (else 404 tag_not_found and nothing is
// attached); tags already attached are left as they are.
func (d *Door) assignTags(w http.ResponseWriter, r *http.Request) error {
	obj, err := d.readObject(w, r)
	if err != nil {
		return err
	}
	ve := &validationError{}
	loc := []any{"body", "tag_ids"}
	var raw []json.RawMessage
	switch {
	case obj["tag_ids"] == nil:
		ve.add(validationItem{Type: "missing", Loc: loc, Msg: "Field required", Input: obj})
	case json.Unmarshal(obj["tag_ids"], &raw) != nil || raw == nil:
		ve.add(validationItem{Type: "list_type", Loc: loc, Msg: "Input should be a valid list", Input: obj["tag_ids"]})
	case len(raw) == 0:
		ve.add(validationItem{Type: "too_short", Loc: loc, Msg: "List should have at least 1 item after validation, not 0",
			Input: raw, Ctx: map[string]any{"field_type": "List", "min_length": 1, "actual_length": 0}})
	case len(raw) > convstore.MaxTagsPerCall:
		ve.add(validationItem{Type: "too_long", Loc: loc,
			Msg:   "List should have at most " + strconv.Itoa(convstore.MaxTagsPerCall) + " items after validation, not " + strconv.Itoa(len(raw)),
			Input: raw, Ctx: map[string]any{"field_type": "List", "max_length": convstore.MaxTagsPerCall, "actual_length": len(raw)}})
	}
	names := make([]string, len(raw))
	for i, v := range raw {
		s, ok := jsonString(v)
		if !ok {
			ve.add(validationItem{Type: "string_type", Loc: []any{"body", "tag_ids", i}, Msg: "Input should be a valid string", Input: v})
		}
		names[i] = s
	}
	if err := ve.orNil(); err != nil {
		return err
	}
	cid, err := conversationID(r)
	if err != nil {
		return err
	}
	ids := make([]convstore.ID, len(names))
	malformed := false
	for i, s := range names {
		id, err := convstore.ParseID(convstore.PrefixTag, "tag_ids", s)
		malformed = malformed || err != nil
		ids[i] = id
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	if malformed {
		// A malformed tag id names no tag; the conversation is checked
		// first, as for well-formed ids.
		if _, err := d.store.FindConversationByID(ctx, tid, cid); err != nil {
			return notFound(err)
		}
		return errTagNotFound
	}
	if err := d.store.AddConversationTags(ctx, tid, cid, ids); err != nil {
		if convstore.ErrorCode(err) == convstore.EINVALID {
			var e *convstore.Error
			asError(err, &e)
			ve.add(validationItem{Type: "value_error", Loc: loc, Msg: "Value error, " + e.Message})
			return ve.orNil()
		}
		return tagNotFound(err)
	}
	return convhttp.WriteJSON(w, http.StatusOK, nil)
}

// unassignTag serves DELETE
// /v1/convai/conversations/{conversation_id}/tags/{tag_id}: the tag is
// detached (a tag the conversation does not carry is no error); 200 with
// the JSON body null.
func (d *Door) unassignTag(w http.ResponseWriter, r *http.Request) error {
	cid, err := conversationID(r)
	if err != nil {
		return err
	}
	ctx, tid := r.Context(), convhttp.Tenant(r)
	id, err := tagID(r)
	if err != nil {
		if _, err := d.store.FindConversationByID(ctx, tid, cid); err != nil {
			return notFound(err)
		}
		return errTagNotFound
	}
	if err := d.store.RemoveConversationTag(ctx, tid, cid, id); err != nil {
		return tagNotFound(err)
	}
	return convhttp.WriteJSON(w, http.StatusOK, nil)
}

// tagIDsOf returns the wire tag ids of each conversation ([] for none).
func (d *Door) tagIDsOf(ctx context.Context, tid convstore.ID, ids []convstore.ID) (map[convstore.ID][]string, error) {
	m, err := d.store.ConversationTagIDs(ctx, tid, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[convstore.ID][]string, len(m))
	for cid, tags := range m {
		s := make([]string, len(tags))
		for i, t := range tags {
			s[i] = t.Format(convstore.PrefixTag)
		}
		out[cid] = s
	}
	return out, nil
}

// hasTags reports whether have holds every one of want.
func hasTags(have []string, want []string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			if h == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// tagList is ids, [] for none.
func tagList(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// tagFilter reads the list's tag_ids filter (repeatable): the
// conversations carrying every tag named. A malformed or unknown id
// names no tag, so nothing matches it.
func (q *query) tagFilter() []string {
	all := q.q.All("tag_ids")
	if len(all) > maxTagFilter {
		q.errs.add(validationItem{Type: "too_long", Loc: []any{"query", "tag_ids"},
			Msg: "List should have at most " + strconv.Itoa(maxTagFilter) + " items after validation, not " + strconv.Itoa(len(all)),
			Ctx: map[string]any{"field_type": "List", "max_length": maxTagFilter, "actual_length": len(all)}})
		return nil
	}
	var out []string
	for _, s := range all {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
