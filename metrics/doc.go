// Package metrics exposes convstore's Prometheus metrics on a registry of
// its own (never the global one), for a listener apart from the API: HTTP
// requests by door, route, method and status with their durations;
// rate-limit refusals; conversation deletes and their sizes; the blob
// sweeper and the blob-removal queue; the SQLite writer's queueing; and the
// PostgreSQL connection pool.
//
// The API server (convhttp) knows nothing of Prometheus: Metrics implements
// convhttp.Observer, wraps the convstore.Store the doors use (Store), and
// reads what an engine offers through small optional interfaces
// (Instrument). Handler serves /metrics and, if asked, net/http/pprof.
package metrics
