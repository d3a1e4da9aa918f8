package v1

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// createHold serves POST /v1/holds: 201 with the hold. A conversation
// that is missing or another tenant's is a 404.
func (d *Door) createHold(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in api.HoldCreate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c := &convstore.HoldCreate{UserID: in.UserID, AgentID: in.AgentID, Reason: in.Reason}
	if in.ConversationID != "" {
		id, err := convstore.ParseID(convstore.PrefixConversation, "conversation_id", in.ConversationID)
		if err != nil {
			return err
		}
		c.ConversationID = id
	}
	h, err := d.store.CreateHold(r.Context(), convhttp.Tenant(r), c, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return created(w, api.FromHold(h))
}

// listHolds serves GET /v1/holds: the tenant's holds, newest first by
// default.
func (d *Door) listHolds(w http.ResponseWriter, r *http.Request) error {
	q, err := parseQuery(r, pageParams...)
	if err != nil {
		return err
	}
	var f convstore.HoldFilter
	if f.PageFilter, err = page(q, convstore.PrefixHold, convstore.OrderDesc); err != nil {
		return err
	}
	holds, more, err := d.store.FindHolds(r.Context(), convhttp.Tenant(r), f)
	if err != nil {
		return err
	}
	return ok(w, newList(holds, more, api.FromHold, func(h *api.Hold) string { return h.ID }))
}

// getHold serves GET /v1/holds/{hold_id}.
func (d *Door) getHold(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "hold_id", convstore.PrefixHold)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	h, err := d.store.FindHoldByID(r.Context(), convhttp.Tenant(r), id)
	if err != nil {
		return err
	}
	return ok(w, api.FromHold(h))
}

// deleteHold serves DELETE /v1/holds/{hold_id}: releases the hold.
func (d *Door) deleteHold(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "hold_id", convstore.PrefixHold)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	if err := d.store.DeleteHold(r.Context(), convhttp.Tenant(r), id, convhttp.DeleteParams(r, DoorName)); err != nil {
		return err
	}
	return ok(w, api.Deleted{ID: id.Format(convstore.PrefixHold), Object: api.ObjectHoldReleased, Deleted: true})
}
