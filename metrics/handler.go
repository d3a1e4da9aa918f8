package metrics

import (
	"log/slog"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Paths of the metrics listener.
const (
	PathMetrics = "/metrics"
	PathPProf   = "/debug/pprof/"
)

// Handler serves the metrics at /metrics and, with withPProf, the
// net/http/pprof profiles under /debug/pprof/. It is for an internal
// listener only: profiles reveal memory contents and cost CPU.
func (m *Metrics) Handler(withPProf bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+PathMetrics, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn),
		Registry:          m.reg, // counts its own scrapes and errors
		EnableOpenMetrics: true,
	}))
	if withPProf {
		mux.HandleFunc(PathPProf, pprof.Index)
		mux.HandleFunc(PathPProf+"cmdline", pprof.Cmdline)
		mux.HandleFunc(PathPProf+"profile", pprof.Profile)
		mux.HandleFunc(PathPProf+"symbol", pprof.Symbol)
		mux.HandleFunc(PathPProf+"trace", pprof.Trace)
	}
	return mux
}
