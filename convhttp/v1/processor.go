package v1

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// processorName reads the {processor} path value: a processor's name (the
// routes address processors by name, which is unique in the tenant and
// what keys and receipts carry). A malformed name is a missing processor.
func processorName(r *http.Request) (string, error) {
	name := r.PathValue("processor")
	if convstore.ValidateProcessorName("processor", name) != nil {
		return "", convstore.NotFound("processor")
	}
	return name, nil
}

// createProcessor serves POST /v1/processors: 201 with the processor,
// which applies to the deletions made from then on.
func (d *Door) createProcessor(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in api.ProcessorCreate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c := &convstore.ProcessorCreate{Name: in.Name}
	if in.Deadline != "" {
		var err error
		if c.Deadline, err = api.ParseDeadline("deadline", in.Deadline); err != nil {
			return err
		}
	}
	p, err := d.store.CreateProcessor(r.Context(), convhttp.Tenant(r), c, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return created(w, api.FromProcessor(p))
}

// listProcessors serves GET /v1/processors: every processor of the
// tenant, by name, in one unpaginated list (a tenant has few).
func (d *Door) listProcessors(w http.ResponseWriter, r *http.Request) error {
	if _, err := parseQuery(r); err != nil {
		return err
	}
	list, err := d.store.FindProcessors(r.Context(), convhttp.Tenant(r))
	if err != nil {
		return err
	}
	return ok(w, newList(list, false, api.FromProcessor, func(p *api.Processor) string { return p.ID }))
}

// getProcessor serves GET /v1/processors/{processor}.
func (d *Door) getProcessor(w http.ResponseWriter, r *http.Request) error {
	name, err := processorName(r)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	p, err := d.store.FindProcessor(r.Context(), convhttp.Tenant(r), name)
	if err != nil {
		return err
	}
	return ok(w, api.FromProcessor(p))
}

// updateProcessor serves PATCH /v1/processors/{processor}: a new deadline
// applies to the deletions made from then on.
func (d *Door) updateProcessor(w http.ResponseWriter, r *http.Request) error {
	name, err := processorName(r)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in api.ProcessorUpdate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	u := &convstore.ProcessorUpdate{}
	if in.Deadline != nil {
		dl, err := api.ParseDeadline("deadline", *in.Deadline)
		if err != nil {
			return err
		}
		u.Deadline = &dl
	}
	p, err := d.store.UpdateProcessor(r.Context(), convhttp.Tenant(r), name, u, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return ok(w, api.FromProcessor(p))
}

// deleteProcessor serves DELETE /v1/processors/{processor}: its
// unconfirmed confirmations are withdrawn (no longer required).
func (d *Door) deleteProcessor(w http.ResponseWriter, r *http.Request) error {
	name, err := processorName(r)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	p, err := d.store.FindProcessor(r.Context(), convhttp.Tenant(r), name)
	if err != nil {
		return err
	}
	n, err := d.store.DeleteProcessor(r.Context(), convhttp.Tenant(r), name, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	return ok(w, api.ProcessorDeleted{ID: p.ID.Format(convstore.PrefixProcessor), Object: api.ObjectProcessorDeleted,
		Name: name, Deleted: true, Withdrawn: n})
}

// confirmDeletion serves POST /v1/deletions/{deletion_id}/confirmations:
// a processor confirms its purge of the deleted conversation. A key
// scoped to a processor confirms for it; an admin key names the
// processor. 201 with the receipt the first time, 200 with it (showing
// the first time) after.
func (d *Door) confirmDeletion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "deletion_id", convstore.PrefixDeletion)
	if err != nil {
		return err
	}
	if _, err := parseQuery(r); err != nil {
		return err
	}
	var in api.ConfirmationCreate
	if err := d.srv.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	c := &convstore.ConfirmationCreate{Processor: in.Processor, Note: in.Note}
	if err := c.ResolveFor(convhttp.Key(r.Context())); err != nil {
		return err
	}
	del, recorded, err := d.store.ConfirmDeletion(r.Context(), convhttp.Tenant(r), id, c, convhttp.DeleteParams(r, DoorName))
	if err != nil {
		return err
	}
	if recorded {
		return created(w, api.FromDeletion(del))
	}
	return ok(w, api.FromDeletion(del))
}
