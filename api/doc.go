// Package api holds the native REST API's wire contract: the JSON types the
// server writes and the client reads, their conversions to and from the
// domain types, the RFC 9457 problem body, and the checked-in OpenAPI 3.1
// document. Both the server door (convhttp/v1) and the Go client import it, so
// the two cannot drift apart.
package api
