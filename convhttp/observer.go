package convhttp

import (
	"net/http"
	"time"
)

// DoorServer is the door name of requests served by the server itself:
// the probes, and paths outside every mounted door.
const DoorServer = "server"

// Observer receives what a Server observes about its requests, for
// metrics. Its methods are called on the request path: they must be fast
// and safe for concurrent use. The server package stays free of any metrics
// library; the metrics package implements this.
type Observer interface {
	// ObserveRequest is called once per request, after the response.
	ObserveRequest(RequestRecord)

	// ObserveRateLimited is called for every request refused by a rate
	// limit, with the limit's kind (LimitKey, LimitAddress, LimitPublic,
	// LimitAuthFailure).
	ObserveRateLimited(kind string)
}

// RequestRecord describes one served request. It holds nothing a client
// chose freely: Route is the matched ServeMux pattern, never the raw path.
type RequestRecord struct {
	Door     string        // the door's Name, or DoorServer
	Route    string        // the ServeMux pattern ("GET /v1/conversations/{conversation_id}"); "" when no route matched
	Method   string        // the request method, as sent for known methods, else "OTHER"
	Status   int           // the response status
	Bytes    int64         // response body bytes written
	Duration time.Duration // from the first byte read to the handler's return
}

// observeRequest hands a finished request to the observer, if any.
func (s *Server) observeRequest(r *http.Request, info *reqInfo, status int, bytes int64, d time.Duration) {
	if s.cfg.Observer == nil {
		return
	}
	door := info.door
	if door == "" {
		door = DoorServer
	}
	s.cfg.Observer.ObserveRequest(RequestRecord{
		Door: door, Route: info.pattern, Method: knownMethod(r.Method),
		Status: status, Bytes: bytes, Duration: d,
	})
}

// observeLimited reports a rate-limit refusal to the observer, if any.
func (s *Server) observeLimited(kind string) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.ObserveRateLimited(kind)
	}
}

// knownMethod returns m if it is a standard method, else "OTHER", so a
// client cannot mint label values.
func knownMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// noteDoor records the door whose prefix an unmatched request's path falls
// under, for the access log and metrics.
func (s *Server) noteDoor(r *http.Request, d Door) {
	if info := infoFrom(r.Context()); info != nil && d != nil {
		info.door = d.Name()
	}
}
