// Package v1 is convstore's native REST API door: the /v1 routes with
// Authorization: Bearer keys, JSON bodies in the wire types of package api,
// cursor pagination and RFC 9457 problem+json errors.
//
// Every route is listed in one table (Door.Routes), which the server
// registers and the tests compare with the checked-in OpenAPI document
// (api.OpenAPI), so the two cannot drift apart. Handlers parse and check
// their input, call the Store with the caller's tenant, and convert the
// result with the api package; they return errors instead of writing them.
package v1
