package metrics

import (
	"strconv"

	"github.com/convstore/convstore/convhttp"
)

var _ convhttp.Observer = (*Metrics)(nil)

// ObserveRequest counts a served request and its duration. The route is
// the ServeMux pattern, so label values are bounded by the route table.
func (m *Metrics) ObserveRequest(r convhttp.RequestRecord) {
	route := r.Route
	if route == "" {
		route = routeUnmatched
	}
	m.requests.WithLabelValues(r.Door, route, r.Method, strconv.Itoa(r.Status)).Inc()
	m.duration.WithLabelValues(r.Door, route, r.Method).Observe(r.Duration.Seconds())
}

// ObserveRateLimited counts a request refused by a rate limit.
func (m *Metrics) ObserveRateLimited(kind string) {
	m.rateLimited.WithLabelValues(kind).Inc()
}
