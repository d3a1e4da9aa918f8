package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/convstore/convstore"
)

// sweeper is a store that removes the attachment bytes of deleted records
// in the background (the blob-removal queue of the SQLite and PostgreSQL
// engines; PostgreSQL nodes claim its rows with FOR UPDATE SKIP LOCKED).
type sweeper interface {
	RunSweeper(ctx context.Context, interval time.Duration)
}

// Main is the server program: configuration, store and HTTP server. Tests
// run it in process: NewMain, ParseFlags, Run on 127.0.0.1:0, Addr, Close.
type Main struct {
	// Config is the configuration; ParseFlags fills it.
	Config Config

	// Stderr receives the logs and the one-time bootstrap key line.
	Stderr io.Writer

	// Logger, if set before Run, replaces the logger built from Config
	// (tests send logs to t.Log).
	Logger *slog.Logger

	// DB is the open store, set by Run.
	DB convstore.Store

	// HTTPServer is the HTTP server, set by Run.
	HTTPServer *http.Server

	ln         net.Listener
	inflight   sync.WaitGroup     // requests being served, for forced shutdowns
	active     atomic.Int64       // how many, for tests
	cancelBase context.CancelFunc // cancels every request's context
	stopSweep  context.CancelFunc
	sweepDone  chan struct{}
	serveErr   chan error
	closeOnce  sync.Once
	closeErr   error
}

// NewMain returns a Main with the default configuration, logging to
// os.Stderr.
func NewMain() *Main {
	return &Main{Config: DefaultConfig(), Stderr: os.Stderr}
}

// ParseFlags lays the environment (getenv may be nil) and then args, the
// arguments of "serve", over m.Config. It returns flag.ErrHelp for -h and a
// usage error for bad flags.
func (m *Main) ParseFlags(args []string, getenv func(string) string) error {
	fs := newFlagSet("serve", "convstore serve [flags]", serveSummary, m.Stderr)
	m.Config.registerFlags(fs)
	pos, err := fs.parse(args, getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos); err != nil {
		return err
	}
	if getenv != nil {
		key, err := secretFromEnv(getenv, "CONVSTORE_BOOTSTRAP_KEY")
		if err != nil {
			return err
		}
		if key != "" {
			m.Config.BootstrapKey = key
		}
	}
	// A bad value is a configuration error, not a usage error: say what
	// is wrong without burying it under the flag list.
	return m.Config.Validate()
}

const serveSummary = `Run the convstore server: the native REST API under /v1, /healthz and /readyz.
On first start it creates the data directory and a tenant "default" with an
admin key: CONVSTORE_BOOTSTRAP_KEY (or the file named by
CONVSTORE_BOOTSTRAP_KEY_FILE) if set, otherwise a new key printed once to
standard error. SIGINT or SIGTERM stops it gracefully.`

// secretFromEnv reads NAME, or the file named by NAME_FILE.
func secretFromEnv(getenv func(string) string, name string) (string, error) {
	if v := getenv(name); v != "" {
		return v, nil
	}
	file := getenv(name + "_FILE")
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Run opens the store (creating the data directory), bootstraps the first
// tenant, starts the sweeper and starts serving in the background. It
// returns once the listener is open; Addr then tells where. ctx bounds the
// start only; stop the server with Close.
func (m *Main) Run(ctx context.Context) (err error) {
	if m.Stderr == nil {
		m.Stderr = os.Stderr
	}
	if m.Logger == nil {
		if m.Logger, err = m.Config.NewLogger(m.Stderr); err != nil {
			return err
		}
	}
	defer func() {
		if err != nil {
			m.closeStore()
		}
	}()
	if m.DB, err = openStore(ctx, m.Config, m.Logger); err != nil {
		return err
	}
	if err := bootstrap(ctx, m.DB, m.Config.BootstrapKey, m.Stderr, m.Logger); err != nil {
		return err
	}
	if m.ln, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}

	if s, ok := m.DB.(sweeper); ok {
		sweepCtx, stopSweep := context.WithCancel(context.Background())
		m.stopSweep, m.sweepDone = stopSweep, make(chan struct{})
		go func() {
			defer close(m.sweepDone)
			s.RunSweeper(sweepCtx, m.Config.SweepInterval)
		}()
	}

	baseCtx, cancelBase := context.WithCancel(context.Background())
	m.cancelBase = cancelBase
	handler := newHandler(m.DB, m.Config, m.Logger)
	m.HTTPServer = &http.Server{
		Handler:           m.track(handler),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.serveErr = make(chan error, 1)
	go func() {
		if err := m.HTTPServer.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.serveErr <- err
		}
		close(m.serveErr)
	}()
	m.Logger.Info("convstore listening", "addr", m.Addr(), "url", "http://"+m.Addr(),
		"data", m.Config.DataDir, "db", redactDSN(m.Config.DB))
	return nil
}

// Addr returns the address the server listens on ("127.0.0.1:40123"), or
// "" before Run.
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

// URL returns the server's base URL, or "" before Run.
func (m *Main) URL() string {
	if m.ln == nil {
		return ""
	}
	return "http://" + m.Addr()
}

// Done returns a channel that yields the error of a server that stopped
// serving by itself, and is closed when it stops.
func (m *Main) Done() <-chan error { return m.serveErr }

// track counts in-flight requests, so that a forced shutdown can wait for
// their handlers before closing the store under them.
func (m *Main) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.inflight.Add(1)
		m.active.Add(1)
		defer func() {
			m.active.Add(-1)
			m.inflight.Done()
		}()
		h.ServeHTTP(w, r)
	})
}

// Close shuts down gracefully: it stops accepting connections and lets
// in-flight requests finish within Config.ShutdownTimeout; requests still
// running then are cancelled and their connections closed (an upload cut
// short leaves nothing behind). Then it stops the sweeper and closes the
// store. Close is safe to call more than once.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.shutdown() })
	return m.closeErr
}

func (m *Main) shutdown() error {
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	if m.HTTPServer != nil {
		m.Logger.Info("shutting down: waiting for in-flight requests", "timeout", m.Config.ShutdownTimeout)
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		err := m.HTTPServer.Shutdown(ctx)
		cancel()
		if err != nil {
			m.Logger.Warn("shutdown timeout: cancelling the remaining requests", "error", err)
			m.cancelBase()
			_ = m.HTTPServer.Close()
			errs = append(errs, fmt.Errorf("graceful shutdown did not finish within %s; the remaining requests were cancelled: %w",
				m.Config.ShutdownTimeout, err))
		}
		m.cancelBase()
		m.inflight.Wait()
		for err := range m.serveErr {
			errs = append(errs, err)
		}
	}
	if err := m.closeStore(); err != nil {
		errs = append(errs, err)
	}
	m.Logger.Info("convstore stopped")
	return errors.Join(errs...)
}

// closeStore stops the sweeper and closes the store.
func (m *Main) closeStore() error {
	if m.stopSweep != nil {
		m.stopSweep()
		<-m.sweepDone
		m.stopSweep = nil
	}
	if m.DB == nil {
		return nil
	}
	err := m.DB.Close()
	m.DB = nil
	return err
}

func serveCommand() *command {
	return &command{name: "serve", summary: "Run the server.", run: serve}
}

// serve runs the server until ctx is cancelled (SIGINT/SIGTERM in main) or
// the server fails.
func serve(ctx context.Context, env *Env, args []string) error {
	m := NewMain()
	m.Stderr = env.Stderr
	if err := m.ParseFlags(args, env.Getenv); err != nil {
		return err
	}
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		return err
	}
	var serveErr error
	select {
	case <-ctx.Done():
		m.Logger.Info("signal received")
	case serveErr = <-m.Done():
	}
	return errors.Join(serveErr, m.Close())
}
