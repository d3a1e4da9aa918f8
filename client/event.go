package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// FindEvents returns a page of the tenant's outbox (GET /v1/events, admin
// scope) in sequence order after f.After, and whether more follow.
func (c *Client) FindEvents(ctx context.Context, tenantID convstore.ID, f convstore.EventFilter) ([]*convstore.Event, bool, error) {
	if err := f.Normalize(); err != nil {
		return nil, false, err
	}
	ok, err := c.inTenant(ctx, tenantID)
	if err != nil || !ok {
		return nil, false, err
	}
	q := url.Values{}
	q.Set("limit", strconv.Itoa(f.Limit))
	if f.After > 0 {
		q.Set("after", strconv.FormatInt(f.After, 10))
	}
	if f.Type != "" {
		q.Set("type", f.Type)
	}
	var out api.List[api.Event]
	if err := c.do(ctx, request{method: http.MethodGet, path: "/v1/events", query: q, out: &out}); err != nil {
		return nil, false, err
	}
	events := make([]*convstore.Event, len(out.Data))
	for i := range out.Data {
		events[i] = api.ToEvent(&out.Data[i])
	}
	return events, out.HasMore, nil
}
