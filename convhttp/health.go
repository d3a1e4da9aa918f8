package convhttp

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/convstore/convstore"
)

// ReadyTimeout bounds the Store.Ping of a readiness probe.
const ReadyTimeout = 2 * time.Second

// Probe paths, served on every Server without authentication.
const (
	PathHealth = "/healthz"
	PathReady  = "/readyz"
)

// registerProbes adds the liveness and readiness probes.
func (s *Server) registerProbes() {
	s.handle(nil, Route{Method: http.MethodGet, Path: PathHealth, Handler: s.serveHealth}, PathHealth)
	s.handle(nil, Route{Method: http.MethodGet, Path: PathReady, Handler: s.serveReady}, PathReady)
}

// serveHealth answers 200 whenever the process serves requests.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) error {
	return WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// serveReady answers 200 when the store answers its Ping, else a 503
// problem; the cause is logged, never shown.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
	defer cancel()
	if err := s.cfg.Store.Ping(ctx); err != nil {
		// The route wrapper logs the cause once; the caller sees only the
		// safe message of the wrapped *convstore.Error.
		return fmt.Errorf("readiness: ping: %v: %w", err, convstore.Errorf(convstore.EUNAVAILABLE, "The store is not ready."))
	}
	return WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
