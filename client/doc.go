// Package client is the Go client of convstore's native REST API (/v1).
//
// A Client speaks HTTP to a convstore server with a bearer API key and
// returns the domain types of package convstore, converted from the wire
// types of package api, so that code written against the domain reads the
// same whether it talks to a store in process or to a server:
//
//	c := client.New("http://127.0.0.1:8080", os.Getenv("CONVSTORE_KEY"))
//	conv, err := c.CreateConversation(ctx, &convstore.ConversationCreate{Title: "Support call"})
//
// # Errors
//
// A failed call returns a *Error. It unwraps to the *convstore.Error the
// server's problem body maps to, so convstore.ErrorCode, ErrorMessage and
// ErrorField work on it as on an engine's errors; errors.As also reaches the
// *api.Problem itself, with the HTTP status and the request id to quote to
// an operator. A body that is not problem+json (a proxy's error page, say)
// gets its code from the status with api.CodeForStatus. Transport failures
// (connection refused, context cancelled) are returned wrapped, unmapped.
//
// A Client is safe for concurrent use.
package client
