package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/metrics"
)

// metricsShutdownTimeout bounds the wait for scrapes in flight on stop.
const metricsShutdownTimeout = 5 * time.Second

// registerMetricsFlags binds --metrics-addr and --pprof.
func (c *Config) registerMetricsFlags(fs *flagSet) {
	fs.StringVar(&c.MetricsAddr, "metrics-addr", c.MetricsAddr, "serve Prometheus metrics at /metrics on this internal `address` (empty: no metrics); never expose it publicly")
	fs.bindEnv("metrics-addr", "CONVSTORE_METRICS_ADDR")
	fs.BoolVar(&c.PProf, "pprof", c.PProf, "also serve net/http/pprof under /debug/pprof/ on --metrics-addr")
	fs.bindEnv("pprof", "CONVSTORE_PPROF")
}

// validateMetrics checks the metrics settings.
func (c Config) validateMetrics() error {
	if c.MetricsAddr == "" {
		if c.PProf {
			return errors.New("--pprof needs --metrics-addr: profiles are served on the metrics listener only")
		}
		return nil
	}
	if _, _, err := splitPort(c.MetricsAddr); err != nil {
		return fmt.Errorf("--metrics-addr %q: %w", c.MetricsAddr, err)
	}
	return nil
}

// observability is the metrics side of a running server: nil without
// --metrics-addr.
type observability struct {
	metrics *metrics.Metrics
	ln      net.Listener
	srv     *http.Server
	done    chan struct{}
}

// startMetrics opens the metrics listener and starts serving it, with the
// engine's own metrics registered. It does nothing without MetricsAddr.
func (m *Main) startMetrics() error {
	if m.Config.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("listen on %s for metrics: %w", m.Config.MetricsAddr, err)
	}
	met := metrics.New(m.Logger)
	met.Instrument(m.DB)
	o := &observability{metrics: met, ln: ln, done: make(chan struct{}), srv: &http.Server{
		Handler:           met.Handler(m.Config.PProf),
		ReadHeaderTimeout: 10 * time.Second,
	}}
	go func() {
		defer close(o.done)
		if err := o.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("metrics listener failed", "error", err)
		}
	}()
	m.obs = o
	m.Logger.Info("metrics listening", "url", "http://"+ln.Addr().String()+metrics.PathMetrics, "pprof", m.Config.PProf)
	return nil
}

// MetricsAddr returns the address of the metrics listener, or "" without
// one.
func (m *Main) MetricsAddr() string {
	if m.obs == nil {
		return ""
	}
	return m.obs.ln.Addr().String()
}

// instrument adds the metrics to the HTTP servers' configuration: the
// request observer and the delete-counting store.
func (m *Main) instrument(cfg convhttp.Config) convhttp.Config {
	if m.obs != nil {
		cfg.Observer = m.obs.metrics
		cfg.Store = m.obs.metrics.Store(cfg.Store)
	}
	return cfg
}

// sweeperOf returns what runs the blob sweeper of db: the store's own
// loop (the service tier's reports its sweeps to the metrics through
// Instrument), or with metrics, for an engine whose loop reports nothing,
// one that counts its runs.
func (m *Main) sweeperOf(db convstore.Store) (sweeper, bool) {
	_, reports := db.(interface{ ObserveBlobSweeps(func(int, error)) })
	if bs, ok := db.(metrics.BlobSweeper); ok && m.obs != nil && !reports {
		return countingSweeper{bs, m.obs.metrics, m.Logger}, true
	}
	s, ok := db.(sweeper)
	return s, ok
}

// countingSweeper runs the sweeper loop of the metrics package.
type countingSweeper struct {
	s       metrics.BlobSweeper
	metrics *metrics.Metrics
	logger  *slog.Logger
}

func (c countingSweeper) RunSweeper(ctx context.Context, interval time.Duration) {
	c.metrics.RunSweeper(ctx, c.s, interval, c.logger)
}

// stopMetrics stops the metrics listener, letting scrapes in flight
// finish briefly.
func (m *Main) stopMetrics() {
	if m.obs == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), metricsShutdownTimeout)
	defer cancel()
	if err := m.obs.srv.Shutdown(ctx); err != nil {
		_ = m.obs.srv.Close()
	}
	<-m.obs.done
	m.obs = nil
}
