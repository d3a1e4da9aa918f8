package convhttp

import (
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/convstore/convstore"
)

// DefaultMaxBodyBytes caps JSON request bodies when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 8 << 20

// Config is the plain-data configuration of a Server.
type Config struct {
	// Store is the storage engine every door reads and writes. Required.
	Store convstore.Store

	// Logger receives the access log and the details of internal errors.
	// Nil discards them.
	Logger *slog.Logger

	// MaxBodyBytes caps JSON request bodies; larger bodies are answered 413.
	// 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// MaxAttachmentBytes caps attachment uploads; larger uploads are
	// answered 413. 0 means convstore.DefaultMaxAttachmentBytes.
	MaxAttachmentBytes int64

	// RateLimits are the per-key and per-address rate limits; the zero
	// value limits nothing.
	RateLimits RateLimits

	// Limiter, if set, is the rate-limit state to use instead of a new one
	// made from RateLimits: the servers of one node share it, so a client
	// has one budget whichever listener it uses.
	Limiter *Limiter

	// Observer, if set, receives every request and rate-limit refusal,
	// for metrics.
	Observer Observer

	// Transport bounds what one connection may hold and for how long: the
	// routes' read and write deadlines, and (through Configure and
	// ConnLimiter) the listeners'. Zero fields take their defaults.
	Transport Transport
}

// HandlerFunc is a route handler. It writes the success response itself and
// returns an error instead of writing one; the server hands the error to the
// door's error writer (or only logs it if the response has begun).
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one method and path of a door.
type Route struct {
	// Method is the HTTP method ("GET" also answers HEAD).
	Method string

	// Path is a ServeMux path pattern relative to the door's mount point,
	// such as "/v1/conversations/{conversation_id}".
	Path string

	// Scope is the scope the caller's API key must grant; "" makes the route
	// public (no credential is read) and AnyScope admits every valid key.
	Scope convstore.Scope

	// Handler serves the route.
	Handler HandlerFunc

	// Transfer decides the route's deadlines: TransferJSON (the zero
	// value) for ordinary bodies, TransferUpload or TransferDownload for a
	// body streamed in or out, which must keep a minimum rate instead.
	Transfer Transfer

	// MaxBodyBytes, if positive, caps the request body before the handler
	// runs: a larger declared body is answered 413 unread. A public route
	// is capped at MaxPublicBodyBytes, and may not declare more.
	MaxBodyBytes int64

	// Idempotent makes the route honour an Idempotency-Key header, its
	// body included in what the key names (a POST that starts a job).
	// Every delete route honours it already (see serveIdempotent).
	Idempotent bool
}

// Door is one API dialect: the native API or a vendor-compatible one.
type Door interface {
	// Name is the door's short name ("native", "symbl", …). It is logged and
	// recorded in deletion receipts.
	Name() string

	// Routes lists every route of the door. The server registers exactly
	// these, so tests can compare them with the door's documentation.
	Routes() []Route

	// Secret extracts the API key secret from the request in the door's own
	// way (a header, a query parameter); "" when absent or malformed.
	Secret(r *http.Request) string

	// WriteError writes err in the door's own error format. err is a
	// *convstore.Error for everything but internal faults; the server has
	// already logged internal faults.
	WriteError(w http.ResponseWriter, r *http.Request, err error)
}

// RouteInfo describes a registered route, for tests and documentation.
type RouteInfo struct {
	Door     string          // the door's Name, or "server" for the probes
	Method   string          // "GET", "POST", …
	Path     string          // the full path pattern including the mount prefix
	Scope    convstore.Scope // "" for public routes
	Pattern  string          // the ServeMux pattern, "METHOD PATH"
	Transfer Transfer        // how its bodies move (see Route.Transfer)
}

// mount is a door registered under a path prefix.
type mount struct {
	prefix string // "" or "/compat/symbl": no trailing slash
	door   Door
}

// Server is the shared HTTP server of every door. Create it with NewServer,
// add doors with Mount, and serve Handler.
type Server struct {
	cfg    Config
	logger *slog.Logger
	mux    *http.ServeMux
	mounts []mount
	routes []RouteInfo
}

// NewServer returns a server with the health and readiness probes and no
// door; the caller mounts doors (the native door with v1.New) before serving.
func NewServer(cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxAttachmentBytes <= 0 {
		cfg.MaxAttachmentBytes = convstore.DefaultMaxAttachmentBytes
	}
	if cfg.Limiter == nil {
		cfg.Limiter = NewLimiter(cfg.RateLimits)
	}

	cfg.Transport = cfg.Transport.WithDefaults()
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, logger: logger, mux: http.NewServeMux()}
	s.registerProbes()
	return s
}

// Config returns the server's configuration with defaults applied.
func (s *Server) Config() Config { return s.cfg }

// Store returns the storage engine.
func (s *Server) Store() convstore.Store { return s.cfg.Store }

// Logger returns the server's logger (never nil).
func (s *Server) Logger() *slog.Logger { return s.logger }

// Mount registers every route of d under prefix: "" or "/" for the root,
// "/compat/symbl" for a vendor door on the main listener. It panics on a
// malformed prefix or a route that conflicts with one already registered,
// as ServeMux does, since both are programming errors.
func (s *Server) Mount(prefix string, d Door) {
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix != "" && (!strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "{} ")) {
		panic("convhttp: bad mount prefix " + prefix)
	}
	m := mount{prefix: prefix, door: d}
	s.mounts = append(s.mounts, m)
	// Longest prefix first, so the fallback finds the innermost door.
	sort.SliceStable(s.mounts, func(i, j int) bool { return len(s.mounts[i].prefix) > len(s.mounts[j].prefix) })
	for _, rt := range d.Routes() {
		s.handle(d, rt, prefix+rt.Path)
	}
}

// handle registers one route of d at the full path.
func (s *Server) handle(d Door, rt Route, path string) {
	pattern := rt.Method + " " + path
	if rt.Scope == "" && rt.MaxBodyBytes > MaxPublicBodyBytes {
		panic("convhttp: public route " + pattern + " may not read more than MaxPublicBodyBytes")
	}
	s.mux.Handle(pattern, s.routeHandler(d, rt, pattern))
	name := "server"
	if d != nil {
		name = d.Name()
	}
	s.routes = append(s.routes, RouteInfo{Door: name, Method: rt.Method, Path: path, Scope: rt.Scope, Pattern: pattern, Transfer: rt.Transfer})
}

// Routes returns every registered route, probes included, in registration
// order.
func (s *Server) Routes() []RouteInfo { return append([]RouteInfo(nil), s.routes...) }

// Handler returns the server's root handler: a read deadline on request
// bodies, request ids, access log and panic recovery around the route
// table, with door-formatted 404 and 405 answers for requests no route
// matches.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveHTTP(w, s.watchBody(w, r))
	})
}

// doorFor returns the door mounted at the longest prefix of path, or nil.
func (s *Server) doorFor(path string) Door {
	for _, m := range s.mounts {
		if m.prefix == "" || path == m.prefix || strings.HasPrefix(path, m.prefix+"/") {
			return m.door
		}
	}
	return nil
}

// writeError writes err with d's error writer, or as a native problem when d
// is nil (probes, paths outside every mount).
func (s *Server) writeError(d Door, w http.ResponseWriter, r *http.Request, err error) {
	if d != nil {
		d.WriteError(w, r, err)
		return
	}
	WriteProblem(w, r, err)
}
