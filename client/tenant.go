package client

import (
	"context"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// Over HTTP the key decides the tenant and the actor. The domain methods
// still take a tenantID and DeleteParams, with these rules:
//
//   - tenantID must be zero (the key's tenant) or the key's own tenant.
//     Another tenant's id finds nothing, as it would in a store: a single
//     item is ENOTFOUND, a list is empty and a count is zero, and no
//     request is sent for it.
//   - Of DeleteParams (and AttachmentPut.Actor) only ClientRequestID is
//     sent, as X-Request-Id. The server records the calling key as actor,
//     "native" as door and its own request id, whatever the other fields
//     say: a client cannot act as another key or forge a request id.
//
// The client learns its tenant from the api.TenantHeader of any answer,
// and asks GET /v1/me only when it must compare a tenantID before its
// first answer.

// noteTenant remembers the tenant an answer names.
func (c *Client) noteTenant(h http.Header) {
	v := h.Get(api.TenantHeader)
	if v == "" {
		return
	}
	id, err := convstore.ParseID(convstore.PrefixTenant, api.TenantHeader, v)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.tenantID = id
	c.mu.Unlock()
}

// TenantID returns the tenant of the client's key, asking the server (GET
// /v1/me) if no answer has named it yet.
func (c *Client) TenantID(ctx context.Context) (convstore.ID, error) {
	c.mu.Lock()
	id := c.tenantID
	c.mu.Unlock()
	if !id.IsZero() {
		return id, nil
	}
	me, err := c.Authenticate(ctx, c.key)
	if err != nil {
		return convstore.ID{}, err
	}
	c.mu.Lock()
	c.tenantID = me.TenantID
	c.mu.Unlock()
	return me.TenantID, nil
}

// inTenant reports whether a tenantID argument names the key's tenant:
// zero always does, without a request.
func (c *Client) inTenant(ctx context.Context, tenantID convstore.ID) (bool, error) {
	if tenantID.IsZero() {
		return true, nil
	}
	own, err := c.TenantID(ctx)
	if err != nil {
		return false, err
	}
	return tenantID == own, nil
}

// requestID returns the X-Request-Id to send for the actor p, or the
// store's EINVALID error for actor fields it would refuse (though only
// ClientRequestID is sent) and for a client request id the server would
// not record.
func requestID(p convstore.DeleteParams) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	id := p.ClientRequestID
	if len(id) > convhttp.MaxRequestIDLen || !visibleASCII(id) && id != "" {
		return "", convstore.Invalidf("client_request_id",
			"client_request_id must be at most %d characters of visible ASCII", convhttp.MaxRequestIDLen)
	}
	return id, nil
}
