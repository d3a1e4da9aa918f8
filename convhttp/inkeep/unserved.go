package inkeep

import (
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// codeNotSupported is the problem code of an SDK method convstore cannot
// serve: Inkeep's analytics queries run over Inkeep's own hosted data
// (semantic threads, search queries, aggregations), which convstore does
// not compute.
const codeNotSupported = "not_supported_by_convstore"

// queryMessage is the detail of every unserved query method.
const queryMessage = "convstore stores conversations, feedback and events but does not run Inkeep's analytics queries " +
	"(query.*, topSearchQueries, weeklySearchUsers): list them with conversations.list and feedback.list, " +
	"or read them through convstore's native API."

// unserved are the SDK's query methods: each answers 404
// not_supported_by_convstore with queryMessage. Not 501: the SDK retries
// every 5XX with backoff for up to an hour by default, while a 4XX is
// raised at once (as its APIError, whose message holds the body).
var unserved = []struct{ method, path string }{
	{http.MethodPost, "/query/conversations"}, {http.MethodPost, "/query/events"}, {http.MethodPost, "/query/feedback"},
	{http.MethodPost, "/query/semantic-threads"}, {http.MethodPost, "/query/semantic-threads/export"},
	{http.MethodPost, "/query/property-keys"}, {http.MethodPost, "/query/property-values"},
	{http.MethodGet, "/query/top-search-queries"}, {http.MethodGet, "/query/weekly-search-users"},
}

// errNotServed marks an unserved method's answer.
type errNotServed struct{ err *convstore.Error }

func (e errNotServed) Error() string { return e.err.Error() }
func (e errNotServed) Unwrap() error { return e.err }

// unservedRoutes answer any valid key of the tenant, whatever its scope,
// before reading the body.
func unservedRoutes() []convhttp.Route {
	err := errNotServed{&convstore.Error{Code: convstore.ENOTFOUND, Message: queryMessage}}
	var out []convhttp.Route
	for _, u := range unserved {
		out = append(out, convhttp.Route{Method: u.method, Path: u.path, Scope: convhttp.AnyScope,
			Handler: func(http.ResponseWriter, *http.Request) error { return err }})
	}
	return out
}
