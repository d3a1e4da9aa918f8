package v1

import (
	"math"
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// listEvents serves GET /v1/events: the tenant's outbox in sequence order
// (commit order), optionally of one type. Unlike the other lists, after is
// a sequence number (the last event's "sequence"), not an id: sequences,
// not ids, follow the order events committed in, and a cursor past a
// pruned event still holds.
func (d *Door) listEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, "limit", "after", "type")
	if err != nil {
		return err
	}
	f := convstore.EventFilter{Limit: convstore.DefaultPageLimit}
	if n, ok, err := q.Int("limit", 1, convstore.MaxPageLimit); err != nil {
		return err
	} else if ok {
		f.Limit = int(n)
	}
	if f.After, _, err = q.Int("after", 0, math.MaxInt64); err != nil {
		return err
	}
	if t, ok, err := q.Enum("type", convstore.EventTypes...); err != nil {
		return err
	} else if ok {
		f.Type = t
	}
	events, more, err := d.store.FindEvents(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	return ok(w, newList(events, more, api.FromEvent, func(e *api.Event) string { return strconv.FormatInt(e.Sequence, 10) }))
}
