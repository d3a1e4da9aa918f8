package inkeep

import (
	"errors"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Conversation list paging, as Inkeep documents it: limit 0..100 (default
// 20) and offset ≥ 0.
const (
	defaultListLimit = 20
	maxListLimit     = convstore.MaxPageLimit
)

// deleteMessage is the message of DELETE's success body.
const deleteMessage = "Conversation deleted successfully"

// getConversation serves GET /conversations/{id}.
func (d *Door) getConversation(w http.ResponseWriter, r *http.Request) error {
	ctx, t := r.Context(), convhttp.Tenant(r)
	c, err := d.resolve(ctx, t, r.PathValue("id"))
	if err != nil {
		return err
	}
	return d.respondWith(w, r, c)
}

// respondWith streams the conversation as a 200 answer.
func (d *Door) respondWith(w http.ResponseWriter, r *http.Request, c *convstore.Conversation) error {
	ctx := r.Context()
	v, err := d.load(ctx, convhttp.Tenant(r), c)
	if err != nil {
		return err
	}
	st := convhttp.NewJSONStream(w, r, http.StatusOK)
	if st.Head() {
		return st.Finish()
	}
	if err := v.write(ctx, st); err != nil {
		return err
	}
	return st.Finish()
}

// errListChanged answers a list during which a conversation it was
// writing was deleted: the answer cannot leave it out any more.
func errListChanged() error {
	return convstore.Errorf(convstore.ECONFLICT, "A conversation was deleted while the list was being written; retry the request.")
}

// listConversations serves GET /conversations?limit=&offset=, newest
// first, streaming each conversation with its messages. A conversation
// deleted while the list is written cuts the answer short
// (errListChanged): it cannot be left out any more.
func (d *Door) listConversations(w http.ResponseWriter, r *http.Request) error {
	ctx, t := r.Context(), convhttp.Tenant(r)
	q, err := queryRules.Parse(r)
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", defaultListLimit, 0, maxListLimit)
	if err != nil {
		return err
	}
	offset, err := intParam(q, "offset", 0, 0, convstore.MaxConversationOffset)
	if err != nil {
		return err
	}
	total, err := d.store.CountConversations(ctx, t, convstore.ConversationFilter{})
	if err != nil {
		return err
	}
	var digests []*convstore.ConversationDigest
	if limit > 0 {
		f := convstore.ConversationFilter{Offset: offset, PageFilter: convstore.PageFilter{Limit: limit, Order: convstore.OrderDesc}}
		if digests, _, err = d.store.FindConversationDigests(ctx, t, f, convstore.DigestOptions{Last: 1}); err != nil {
			return err
		}
	}
	views, err := d.loadList(ctx, t, digests)
	if err != nil {
		return err
	}
	st := convhttp.NewJSONStream(w, r, http.StatusOK)
	if st.Head() {
		return st.Finish()
	}
	st.OpenObject()
	st.Key("conversations")
	st.OpenArray()
	for _, v := range views {
		if err := v.write(ctx, st); convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return errListChanged()
		} else if err != nil {
			return err
		}
	}
	st.Close()
	st.Members(listTail{Total: total, PageSize: limit, Count: len(views)})
	st.Close()
	return st.Finish()
}

// queryRules read query strings as Inkeep's server does: unknown
// parameters are ignored, a repeated one takes its first value, and both
// of its documented parameters are nullable, so an empty value or "null"
// is the default. What cannot be decoded of a malformed string is
// dropped, as URLSearchParams does.
var queryRules = &convhttp.QueryRules{Repeated: convhttp.RepeatFirst, Absent: []string{"", "null"}, IgnoreMalformed: true,
	Wrap: queryError}

// queryError phrases a bad query parameter as a 400 bad_request.
func queryError(e *convhttp.ParamError) error {
	switch e.Kind {
	case convhttp.ParamNotInteger, convhttp.ParamTooSmall, convhttp.ParamTooLarge:
		return badParam(e.Name, "Query parameter %q must be an integer between %d and %d.", e.Name, e.Min, e.Max)
	}
	return badParam(e.Name, "%s", e.Error())
}

// intParam reads an optional integer query parameter within [lo, hi].
func intParam(q *convhttp.Query, name string, def, lo, hi int) (int, error) {
	n, ok, err := q.Int(name, int64(lo), int64(hi))
	if err != nil || !ok {
		return def, err
	}
	return int(n), nil
}

// deleteConversation serves DELETE /conversations/{id}: the conversation
// goes with its messages, feedback and every other artifact.
func (d *Door) deleteConversation(w http.ResponseWriter, r *http.Request) error {
	ctx, t := r.Context(), convhttp.Tenant(r)
	c, err := d.resolve(ctx, t, r.PathValue("id"))
	if err != nil {
		return err
	}
	if _, err := d.store.DeleteConversation(ctx, t, c.ID, convhttp.DeleteParams(r, DoorName)); err != nil {
		return notFoundIfGone(err)
	}
	return ok(w, DeleteResult{Success: true, Message: deleteMessage})
}

// logConversation serves POST /conversations: an upsert of a conversation
// whose body always holds all its messages (see doc.go for the rules).
func (d *Door) logConversation(w http.ResponseWriter, r *http.Request) error {
	ctx, t := r.Context(), convhttp.Tenant(r)
	body, err := d.srv.ReadBody(w, r)
	if err != nil {
		return err
	}
	in, err := parseLog(body)
	if err != nil {
		return err
	}
	var c *convstore.Conversation
	if in.ID != "" {
		c, err = d.resolve(ctx, t, in.ID)
		if err != nil && convstore.ErrorCode(err) != convstore.ENOTFOUND {
			return err
		}
		if c == nil && isNativeID(in.ID) {
			// convstore made every id of its own form: one that no
			// longer resolves was deleted (or is another tenant's), and
			// logging under it would bring it back.
			return errConversationNotFound()
		}
	}
	if c == nil {
		c, err = d.create(ctx, t, in)
		var raced *raceError
		if errors.As(err, &raced) {
			c, err = raced.conv, nil // logged concurrently: upsert into it
		} else if err != nil {
			return err
		} else {
			return d.respond(w, r, c)
		}
	}
	if err := d.upsert(ctx, t, c, in, convhttp.DeleteParams(r, DoorName)); err != nil {
		return err
	}
	return d.respond(w, r, c)
}

// respond writes the conversation as it now is.
func (d *Door) respond(w http.ResponseWriter, r *http.Request, c *convstore.Conversation) error {
	c, err := d.store.FindConversationByID(r.Context(), convhttp.Tenant(r), c.ID)
	if err != nil {
		return notFoundIfGone(err)
	}
	return d.respondWith(w, r, c)
}

// isNativeID reports whether id has the form of convstore's own
// conversation ids, which a client cannot choose for a new conversation.
func isNativeID(id string) bool {
	_, err := convstore.ParseID(convstore.PrefixConversation, "id", id)
	return err == nil
}
