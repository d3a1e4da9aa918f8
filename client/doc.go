// Package client is the Go client of convstore's native REST API (/v1).
//
// A Client implements the domain's services over HTTP with one API key:
// convstore.ConversationService, MessageService, ArtifactService,
// AttachmentService, DeletionService and KeyService, with exactly their
// signatures, so that code written against the domain runs the same on a
// store in process or on a server, and the service conformance suite runs
// through client, server and service (client/conformance_test.go):
//
//	c := client.New("http://127.0.0.1:8080", os.Getenv("CONVSTORE_KEY"))
//	conv, msgs, err := c.CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{Title: "Support call"})
//
// TenantService (operators only) and TokenService (the Symbl door's token
// flow) are not part of the native API, so a Client has neither, nor
// DigestService (conversation digests and the batch reads of the doors'
// list views, FindMessagePages and FindArtifactPages), which the native
// API does not serve yet.
//
// # Tenant and actor
//
// Over HTTP the key decides the tenant. Pass the zero ID as tenantID (or
// the key's own tenant, which TenantID returns); another tenant's id finds
// nothing, as in a store: a single item is ENOTFOUND, a list is empty and
// a count zero, and no request is sent for it. Results carry the key's
// tenant in their TenantID: every answer of the server names it in
// api.TenantHeader, and the client asks GET /v1/me only to compare a
// tenantID before any answer has named it.
//
// The server also decides who acts: receipts and audit entries record the
// calling key, the door "native" and the server's request id. Of
// DeleteParams (and AttachmentPut.Actor) only ClientRequestID is sent, as
// X-Request-Id, and recorded beside the server's; the other fields are
// ignored.
//
// # Input, times and limits
//
// The server validates input and answers with the domain's code and
// field, its status and its request id. The client refuses by itself, with
// the domain's error, only what the wire cannot carry as it is: text that
// is not UTF-8 (JSON would silently replace it), a JSON value that is not
// JSON, a nil input or list item, an attachment without a body or name,
// and a client request id the server would not record (actor fields the
// store would refuse too, though only ClientRequestID is sent). A zero
// id, a sequence number below 1, or an attachment name or external id no
// item can have, finds nothing (ENOTFOUND) without a request.
//
// The native API's times are Unix seconds, so times read through a Client
// are whole seconds, and a filter bound is taken as its second:
// CreatedAfter keeps the conversations of later seconds, CreatedBefore
// those of earlier ones.
//
// PutAttachment streams the body. AttachmentPut.MaxBytes, when set, is
// enforced by the client on top of the server's own limit: a body known
// to be larger is not sent, and a streamed one is cut one byte past it.
//
// # Errors
//
// A failed call returns a *Error. It unwraps to the *convstore.Error the
// server's problem body maps to, so convstore.ErrorCode, ErrorMessage and
// ErrorField work on it as on the service's errors; errors.As also reaches the
// *api.Problem itself, with the HTTP status and the request id to quote to
// an operator. A body that is not problem+json (a proxy's error page, say)
// gets its code from the status with api.CodeForStatus. An error the client
// finds before sending (input the wire cannot carry, another tenant's id)
// is a plain *convstore.Error. Transport failures (connection refused, context
// cancelled) are returned wrapped, unmapped.
//
// A Client is safe for concurrent use.
package client
