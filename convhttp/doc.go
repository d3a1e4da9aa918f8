// Package convhttp is convstore's shared HTTP server. It owns what every API
// door has in common: request ids, the structured access log, panic
// recovery, API key authentication and scope checks, per-key and
// per-address rate limits (answered 429 with Retry-After in the door's own
// format), a metrics hook (Observer), bounded and strict JSON
// decoding (a JSON Content-Type; no null body, duplicate keys or keys that
// match a field only case-insensitively: CheckJSON, for every door),
// the native RFC 9457 problem writer, and the unauthenticated health
// (/healthz) and readiness (/readyz) probes.
//
// # What every door declares
//
// A door declares as data how it answers and how it reads, and keeps only
// its own wording and body format:
//
//   - An ErrorTable maps every error code (the domain's and the shared
//     wire codes of this package, such as CodeInvalidJSON) to the door's
//     status and its own code or type; any other error is a 500 showing
//     only the table's safe message. The door's WriteError asks the table
//     for an ErrorAnswer and writes it in its own body. ProblemErrors is
//     the native door's table.
//   - QueryRules say how the door's vendor reads query strings: strict
//     (unknown parameters refused) or lenient, which value of a repeated
//     parameter counts, which values mean absent. A Query's getters
//     (integers with bounds, booleans, enums, times, ids and cursors,
//     repeated parameters) return a *ParamError the rules' Wrap phrases
//     in the door's words.
//   - BodyRules decode JSON bodies on one strict path (unknown fields
//     refused) or one lenient path, after CheckJSON; a *BodyError is
//     phrased by the rules' Wrap.
//
// # Doors
//
// An API dialect is a Door: a name, a table of Routes and an error writer.
// The native REST API lives in convhttp/v1; vendor-compatible dialects live in
// sibling packages (convhttp/symbl, convhttp/stammer, …). A Door is mounted under a
// path prefix with Server.Mount: the native door at the root, a vendor door
// at "/compat/<vendor>" on the main listener, or at the root of a Server of
// its own for a dedicated listener. Each door extracts its own credential
// (Door.Secret) and writes errors in its own format (Door.WriteError); the
// server authenticates the secret against the Store, checks the route's
// scope, logs and recovers, so every door behaves the same underneath.
//
// Answers that stream conversations read their messages through
// MessagePages (one conversation, a store page at a time, up to its newest
// message when the answer began) or, for lists, ListMessages (the
// messages of a page of conversations in batches across conversations, so
// that no list reads once per conversation).
//
// Requests that match no route, or match a path with another method, are
// answered by the error writer of the door mounted at the longest matching
// prefix, never by ServeMux's plain-text 404 and 405 pages.
//
// The package is imported as convhttp where it meets net/http.
package convhttp
