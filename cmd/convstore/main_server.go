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
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/console"
	"github.com/convstore/convstore/convhttp/doors"
)

// sealUpgradeRunner is a store that seals, in the background, what was
// stored before sealing (the service tier).
type sealUpgradeRunner interface {
	RunSealUpgrade(ctx context.Context, logEvery time.Duration)
}

// reindexRunner is a store that finishes, in the background, a re-index
// of its blind indexes that a rotation of the index root left unfinished.
type reindexRunner interface {
	RunReindex(ctx context.Context, logEvery time.Duration)
}

// authorsBackfillRunner is a store that records, in the background, the
// authors of the conversations stored before they were kept.
type authorsBackfillRunner interface {
	RunAuthorsBackfill(ctx context.Context, logEvery time.Duration)
}

// messageIDsBackfillRunner is a store that indexes, in the background, the
// client message ids of messages stored before they were indexed.
type messageIDsBackfillRunner interface {
	RunMessageIDsBackfill(ctx context.Context, logEvery time.Duration)
}

// sealUpgradeLogEvery is how often the sealing upgrade logs its progress.
const sealUpgradeLogEvery = 10 * time.Second

// retentionRunner is a store that applies retention policies in the
// background (the service tier, on every node).
type retentionRunner interface {
	RunRetention(ctx context.Context, interval time.Duration)
}

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

	// HTTPServer is the main listener's HTTP server, set by Run.
	HTTPServer *http.Server

	ln         net.Listener
	doors      []doorServer       // vendor doors on listeners of their own
	inflight   sync.WaitGroup     // requests being served, for forced shutdowns
	active     atomic.Int64       // how many, for tests
	cancelBase context.CancelFunc // cancels every request's context
	stopSweep  context.CancelFunc
	sweepDone  chan struct{}

	stopUpgrade context.CancelFunc // the sealing upgrade (see sealUpgradeRunner)
	stopRetain  context.CancelFunc // the retention runner (see retentionRunner)
	retainDone  chan struct{}
	upgradeDone chan struct{}
	serveErr    chan error
	obs         *observability // the metrics listener, if any (metrics.go)
	nats        *natsRelay     // the NATS relay, if any (nats.go)
	closeOnce   sync.Once
	closeErr    error

	stopWebhooks context.CancelFunc // webhook delivery (see webhookDeliverer)
	webhooksDone chan struct{}
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
		key, from, err := secretFromEnv(getenv, envBootstrapKey)
		if err != nil {
			return err
		}
		if key != "" {
			m.Config.BootstrapKey, m.Config.bootstrapKeyVar = key, from
		}
	}
	// A bad value is a configuration error, not a usage error: say what
	// is wrong without burying it under the flag list.
	return m.Config.Validate()
}

const serveSummary = `Run the convstore server: the native REST API under /v1, /healthz and /readyz,
and the vendor-compatible doors (Stammer.ai, Symbl.ai, ElevenLabs, Botpress,
Inkeep, OpenAI Conversations) under /compat/<door>/, each also on a listener
of its own with --<door>-addr or --all-doors.
On first start it creates the data directory and a tenant "default" with an
admin key: CONVSTORE_BOOTSTRAP_KEY (or the file named by
CONVSTORE_BOOTSTRAP_KEY_FILE) if set, otherwise a new key printed once to
standard error. SIGINT or SIGTERM stops it gracefully.`

// secretFromEnv reads NAME, or the file named by NAME_FILE, and says
// which of the two it used.
func secretFromEnv(getenv func(string) string, name string) (secret, from string, err error) {
	if v := getenv(name); v != "" {
		return v, name, nil
	}
	file := getenv(name + "_FILE")
	if file == "" {
		return "", "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", "", fmt.Errorf("%s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(b)), name + "_FILE", nil
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
	// Before the store is opened: a bad key must not leave a migrated,
	// tenantless data directory behind.
	if err := m.Config.validateBootstrapKey(); err != nil {
		return err
	}
	if m.DB, err = openStore(ctx, m.Config, m.Logger); err != nil {
		return err
	}
	if err := bootstrap(ctx, m.DB, m.Config.BootstrapKey, m.Stderr, m.Logger); err != nil {
		return err
	}
	if err := m.startMetrics(); err != nil {
		return err
	}
	if m.ln, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	if err := m.listenDoors(); err != nil {
		_ = m.ln.Close()
		m.ln = nil
		return err
	}
	m.refuseOwnWebhooks()

	if s, ok := m.sweeperOf(m.DB); ok {
		sweepCtx, stopSweep := context.WithCancel(context.Background())
		m.stopSweep, m.sweepDone = stopSweep, make(chan struct{})
		go func() {
			defer close(m.sweepDone)
			s.RunSweeper(sweepCtx, m.Config.SweepInterval)
		}()
	}

	m.startWebhooks()

	if err := m.startNATS(); err != nil {
		return err
	}
	if r, ok := m.DB.(retentionRunner); ok && m.Config.RetentionInterval > 0 {
		retainCtx, stop := context.WithCancel(context.Background())
		m.stopRetain, m.retainDone = stop, make(chan struct{})
		go func() {
			defer close(m.retainDone)
			r.RunRetention(retainCtx, m.Config.RetentionInterval)
		}()
	}

	baseCtx, cancelBase := context.WithCancel(context.Background())
	m.cancelBase = cancelBase
	cfg := m.instrument(httpConfig(m.DB, m.Config, m.Logger))
	// Seal what was stored before sealing, in the background (after the
	// metrics are registered, so they see it from its start).
	if u, ok := m.DB.(sealUpgradeRunner); ok {
		upgradeCtx, stop := context.WithCancel(context.Background())
		m.stopUpgrade, m.upgradeDone = stop, make(chan struct{})
		go func() {
			defer close(m.upgradeDone)
			u.RunSealUpgrade(upgradeCtx, sealUpgradeLogEvery)
			// Then finish a re-index a rotation of the index root left.
			if r, ok := m.DB.(reindexRunner); ok {
				r.RunReindex(upgradeCtx, sealUpgradeLogEvery)
			}
			// Then record the authors of conversations stored before
			// they were kept (their lists read every message until then).
			if a, ok := m.DB.(authorsBackfillRunner); ok {
				a.RunAuthorsBackfill(upgradeCtx, sealUpgradeLogEvery)
			}
			// Then index the client ids of messages stored before they
			// were indexed (migration 0025).
			if b, ok := m.DB.(messageIDsBackfillRunner); ok {
				b.RunMessageIDsBackfill(upgradeCtx, sealUpgradeLogEvery)
			}
		}()
	}
	newServer := func(h http.Handler) *http.Server {
		srv := &http.Server{
			Handler:     m.track(h),
			BaseContext: func(net.Listener) context.Context { return baseCtx },
			ErrorLog:    slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
		}
		cfg.Transport.Configure(srv)
		return srv
	}
	// One limiter for every listener: its caps hold for the whole node.
	limiter := convhttp.NewConnLimiter(cfg.Transport)
	limiter.OnReject = func(remote net.Addr, limit string) {
		m.Logger.Debug("connection refused", "remote", remote.String(), "cap", limit)
	}
	mainSrv := doors.NewMainServer(cfg)
	if m.Config.Console {
		mainSrv.Mount(console.Prefix, console.New(mainSrv))
	}
	m.HTTPServer = newServer(mainSrv.Handler())
	for i := range m.doors {
		if m.doors[i].name == console.DoorName {
			s := convhttp.NewServer(cfg)
			s.Mount(console.Prefix, console.New(s))
			m.doors[i].srv = newServer(s.Handler())
			continue
		}
		s, _ := doors.NewDoorServer(cfg, m.doors[i].name) // names come from doors.Names
		m.doors[i].srv = newServer(s.Handler())
	}
	m.serveErr = make(chan error, 1+len(m.doors))
	var serving sync.WaitGroup
	serve := func(srv *http.Server, ln net.Listener) {
		serving.Add(1)
		go func() {
			defer serving.Done()
			if err := srv.Serve(limiter.Listener(ln)); err != nil && !errors.Is(err, http.ErrServerClosed) {
				m.serveErr <- err
			}
		}()
	}
	serve(m.HTTPServer, m.ln)
	for _, d := range m.doors {
		serve(d.srv, d.ln)
	}
	go func() {
		serving.Wait()
		close(m.serveErr)
	}()
	m.Logger.Info("convstore listening", append([]any{"addr", m.Addr(), "url", "http://" + m.Addr()}, storeLogAttrs(m.Config)...)...)
	for _, name := range doors.Names() {
		attrs := []any{"door", name, "url", m.URL() + doors.CompatPrefix(name) + "/"}
		if addr := m.DoorAddr(name); addr != "" {
			attrs = append(attrs, "own_url", "http://"+addr+"/")
		}
		m.Logger.Info("vendor door", attrs...)
	}
	if m.Config.Console || m.Config.ConsoleAddr != "" {
		var attrs []any
		if m.Config.Console {
			attrs = append(attrs, "url", m.URL()+console.Prefix+"/")
		}
		if addr := m.DoorAddr(console.DoorName); addr != "" {
			attrs = append(attrs, "own_url", "http://"+addr+console.Prefix+"/")
		}
		m.Logger.Info("web console", attrs...)
	}
	return nil
}

// doorServer is a vendor door, or the console, on a listener of its own.
type doorServer struct {
	name string
	ln   net.Listener
	srv  *http.Server
}

// listenDoors opens the vendor doors' own listeners.
func (m *Main) listenDoors() error {
	list, err := m.Config.DoorListeners()
	if err != nil {
		return err
	}
	for _, l := range list {
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			m.closeDoorListeners()
			return fmt.Errorf("listen on %s for the %s door: %w", l.Addr, l.Door, err)
		}
		m.doors = append(m.doors, doorServer{name: l.Door, ln: ln})
	}
	if a := m.Config.ConsoleAddr; a != "" {
		if _, _, err := splitPort(a); err != nil {
			m.closeDoorListeners()
			return fmt.Errorf("--console-addr %q: %w", a, err)
		}
		ln, err := net.Listen("tcp", a)
		if err != nil {
			m.closeDoorListeners()
			return fmt.Errorf("listen on %s for the console: %w", a, err)
		}
		m.doors = append(m.doors, doorServer{name: console.DoorName, ln: ln})
	}
	return nil
}

// closeDoorListeners closes listeners opened before a failed start.
func (m *Main) closeDoorListeners() {
	for _, d := range m.doors {
		_ = d.ln.Close()
	}
	m.doors = nil
}

// DoorAddr returns the address of a vendor door's own listener, or "" if
// it has none.
func (m *Main) DoorAddr(name string) string {
	for _, d := range m.doors {
		if d.name == name {
			return d.ln.Addr().String()
		}
	}
	return ""
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
		servers := []*http.Server{m.HTTPServer}
		for _, d := range m.doors {
			servers = append(servers, d.srv)
		}
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		err := shutdownAll(ctx, servers)
		cancel()
		if err != nil {
			m.Logger.Warn("shutdown timeout: cancelling the remaining requests", "error", err)
			m.cancelBase()
			for _, srv := range servers {
				_ = srv.Close()
			}
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

// shutdownAll shuts the servers down gracefully and at the same time,
// within ctx.
func shutdownAll(ctx context.Context, servers []*http.Server) error {
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = srv.Shutdown(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// closeStore stops the sweeper and the metrics listener, and closes the
// store.
func (m *Main) closeStore() error {
	m.stopWebhookDelivery()
	m.stopNATS()
	if m.stopRetain != nil {
		m.stopRetain()
		<-m.retainDone
		m.stopRetain = nil
	}
	if m.stopUpgrade != nil {
		m.stopUpgrade()
		<-m.upgradeDone
		m.stopUpgrade = nil
	}
	if m.stopSweep != nil {
		m.stopSweep()
		<-m.sweepDone
		m.stopSweep = nil
	}
	m.stopMetrics()
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
	return serveMain(ctx, env, args, NewMain())
}

// serveMain is serve with m, a Main from NewMain (tests set its clock).
func serveMain(ctx context.Context, env *Env, args []string, m *Main) error {
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

// refuseOwnWebhooks tells the store the addresses this node listens on
// (now that a port of 0 is known), so that webhook URLs pointing back at
// the server are refused.
func (m *Main) refuseOwnWebhooks() {
	s, ok := m.DB.(interface{ SetOwnAddrs([]string) })
	if !ok {
		return
	}
	addrs := []string{m.Addr()}
	for _, d := range m.doors {
		addrs = append(addrs, d.ln.Addr().String())
	}
	if a := m.MetricsAddr(); a != "" {
		addrs = append(addrs, a)
	}
	s.SetOwnAddrs(addrs)
}
