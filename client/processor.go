package client

import (
	"context"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

var _ convstore.ProcessorService = (*Client)(nil)

// CreateProcessor registers a processor (POST /v1/processors, admin
// scope).
func (c *Client) CreateProcessor(ctx context.Context, tenantID convstore.ID, in *convstore.ProcessorCreate, p convstore.DeleteParams) (*convstore.Processor, error) {
	if in == nil {
		return nil, convstore.Invalidf("body", "processor is missing")
	}
	if err := checkCarried(in, func() error { pc := *in; return pc.Validate() }); err != nil {
		return nil, err
	}
	rid, err := requestID(p)
	if err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, convstore.NotFound("tenant")
	}
	body := api.ProcessorCreate{Name: in.Name}
	if in.Deadline != 0 {
		body.Deadline = api.FormatDeadline(in.Deadline)
	}
	var out api.Processor
	if err := c.do(ctx, request{method: http.MethodPost, path: "/v1/processors", in: body, out: &out, requestID: rid}); err != nil {
		return nil, err
	}
	return c.toProcessor(ctx, &out)
}

// FindProcessors returns the tenant's processors, by name (GET
// /v1/processors, admin scope).
func (c *Client) FindProcessors(ctx context.Context, tenantID convstore.ID) ([]*convstore.Processor, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil || !ok {
		return []*convstore.Processor{}, err
	}
	var out api.List[api.Processor]
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/processors", out: &out}); err != nil {
		return nil, err
	}
	list := make([]*convstore.Processor, len(out.Data))
	for i := range out.Data {
		if list[i], err = c.toProcessor(ctx, &out.Data[i]); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// FindProcessor returns a processor by name (GET /v1/processors/{name}).
func (c *Client) FindProcessor(ctx context.Context, tenantID convstore.ID, name string) (*convstore.Processor, error) {
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || convstore.ValidateProcessorName("name", name) != nil {
		return nil, convstore.NotFound("processor")
	}
	var out api.Processor
	if err := c.do(ctx, request{method: http.MethodGet, path: pathf("/v1/processors/%s", name), out: &out}); err != nil {
		return nil, err
	}
	return c.toProcessor(ctx, &out)
}

// UpdateProcessor changes a processor's deadline (PATCH
// /v1/processors/{name}).
func (c *Client) UpdateProcessor(ctx context.Context, tenantID convstore.ID, name string, u *convstore.ProcessorUpdate, p convstore.DeleteParams) (*convstore.Processor, error) {
	if u == nil {
		return nil, convstore.Invalidf("body", "update is missing")
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	rid, err := requestID(p)
	if err != nil {
		return nil, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if !ok || convstore.ValidateProcessorName("name", name) != nil {
		return nil, convstore.NotFound("processor")
	}
	var body api.ProcessorUpdate
	if u.Deadline != nil {
		d := api.FormatDeadline(*u.Deadline)
		body.Deadline = &d
	}
	var out api.Processor
	if err := c.do(ctx, request{method: http.MethodPatch, path: pathf("/v1/processors/%s", name), in: body, out: &out, requestID: rid}); err != nil {
		return nil, err
	}
	return c.toProcessor(ctx, &out)
}

// DeleteProcessor removes a processor (DELETE /v1/processors/{name}) and
// returns how many confirmations it withdrew.
func (c *Client) DeleteProcessor(ctx context.Context, tenantID convstore.ID, name string, p convstore.DeleteParams) (int, error) {
	rid, err := requestID(p)
	if err != nil {
		return 0, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	if !ok || convstore.ValidateProcessorName("name", name) != nil {
		return 0, convstore.NotFound("processor")
	}
	var out api.ProcessorDeleted
	if err := c.do(ctx, request{method: http.MethodDelete, path: pathf("/v1/processors/%s", name), out: &out, requestID: rid}); err != nil {
		return 0, err
	}
	return out.Withdrawn, nil
}

// ConfirmDeletion records a processor's confirmation of a receipt (POST
// /v1/deletions/{id}/confirmations). With a key scoped to a processor,
// in.Processor may be empty; an admin key names it. recorded is false
// when the confirmation was recorded before (the server answered 200).
func (c *Client) ConfirmDeletion(ctx context.Context, tenantID, deletionID convstore.ID, in *convstore.ConfirmationCreate, p convstore.DeleteParams) (*convstore.Deletion, bool, error) {
	if in == nil {
		return nil, false, convstore.Invalidf("body", "confirmation is missing")
	}
	rid, err := requestID(p)
	if err != nil {
		return nil, false, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil {
		return nil, false, err
	}
	if !ok || deletionID.IsZero() {
		return nil, false, convstore.NotFound("deletion")
	}
	var out api.Deletion
	status := 0
	err = c.do(ctx, request{method: http.MethodPost, path: pathf("/v1/deletions/%s/confirmations", deletionID.Format(convstore.PrefixDeletion)),
		in: api.ConfirmationCreate{Processor: in.Processor, Note: in.Note}, out: &out, requestID: rid, status: &status})
	if err != nil {
		return nil, false, err
	}
	d, err := c.toDeletion(ctx, &out)
	return d, status == http.StatusCreated, err
}

// toProcessor converts a wire processor of the key's tenant.
func (c *Client) toProcessor(ctx context.Context, w *api.Processor) (*convstore.Processor, error) {
	own, err := c.TenantID(ctx)
	if err != nil {
		return nil, err
	}
	p := api.ToProcessor(w)
	p.TenantID = own
	return p, nil
}
