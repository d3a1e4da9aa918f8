package convhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/convstore/convstore"
)

// HeaderRequestID carries the request id: the client may send its own,
// the response always carries the server's.
const HeaderRequestID = "X-Request-Id"

// MaxRequestIDLen bounds an accepted incoming request id.
const MaxRequestIDLen = 128

// reqInfo is the per-request state the middleware and the route wrapper
// share through the context: what the access log needs and the caller's key.
type reqInfo struct {
	id       string // server-generated, always
	clientID string // the client's X-Request-Id if acceptable, else ""
	pattern  string
	key      *convstore.APIKey
	door     string
	bodyLost atomic.Bool // reading the request body failed (the client went away)
}

// requestBody notes in info when reading the request body fails, so that a
// request the client abandoned midway is not logged as a fault.
type requestBody struct {
	io.ReadCloser
	info *reqInfo
}

func (b requestBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.info.bodyLost.Store(true)
	}
	return n, err
}

type ctxKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	if i, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return i
	}
	return nil
}

// RequestID returns the request id of the request whose context is ctx, or
// "" outside a request served by a Server.
func RequestID(ctx context.Context) string {
	if i := infoFrom(ctx); i != nil {
		return i.id
	}
	return ""
}

// ClientRequestID returns the request id the client sent, if it was
// acceptable (see validRequestID), or "". It is recorded beside the
// server's id, never instead of it.
func ClientRequestID(ctx context.Context) string {
	if i := infoFrom(ctx); i != nil {
		return i.clientID
	}
	return ""
}

// Key returns the authenticated API key of the request, or nil on public
// routes and outside a request served by a Server.
func Key(ctx context.Context) *convstore.APIKey {
	if i := infoFrom(ctx); i != nil {
		return i.key
	}
	return nil
}

// validRequestID reports whether an incoming request id is at most
// MaxRequestIDLen bytes of visible ASCII (no spaces, no control
// characters), so it is safe in headers, logs, terminals and receipts.
// Anything else is dropped, not repaired.
func validRequestID(s string) bool {
	if s == "" || len(s) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// newRequestID returns a fresh server request id.
func newRequestID() string { return "req_" + convstore.NewID().Base32() }

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the status.
func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write records the implicit 200 and the size.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush forwards to the underlying writer when it can flush.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// started reports whether the response has begun, after which no error
// response can be written any more.
func (w *statusWriter) started() bool { return w.status != 0 }

// serveHTTP is the outermost middleware: request id, common headers, access
// log and last-resort panic recovery around dispatch.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := &reqInfo{id: newRequestID()}
	if c := r.Header.Get(HeaderRequestID); validRequestID(c) {
		info.clientID = c
	}
	h := w.Header()
	h.Set(HeaderRequestID, info.id)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
	if bw, ok := r.Body.(*bodyWatch); ok {
		bw.info = info // keep the type startTransfer looks for
	} else if r.Body != nil && r.Body != http.NoBody {
		r.Body = requestBody{r.Body, info}
	}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				s.logAccess(r, info, sw, time.Since(start))
				panic(p) // net/http closes the connection
			}
			err := fmt.Errorf("panic: %v\n%s", p, debug.Stack())
			s.logError(r, err)
			if !sw.started() {
				s.writeError(s.doorFor(r.URL.Path), sw, r, err)
			}
		}
		s.logAccess(r, info, sw, time.Since(start))
	}()
	s.dispatch(sw, r)
}

// dispatch serves a matched route through the mux and answers everything
// the mux would answer with its plain-text 404 or 405 pages with the
// mounted door's own error format instead.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	d := s.doorFor(r.URL.Path)
	s.noteDoor(r, d)
	if err := s.limitAddress(r, true); err != nil {
		s.refuse(d, w, r, err)
		return
	}
	probe := &probeWriter{header: http.Header{}}
	h.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusNotFound:
		s.writeError(d, w, r, convstore.Errorf(convstore.ENOTFOUND, "No route matches %s %s.", r.Method, r.URL.Path))
	case http.StatusMethodNotAllowed:
		allow := probe.header.Get("Allow")
		w.Header().Set("Allow", allow)
		s.writeError(d, w, r, &convstore.Error{
			Code:    CodeMethodNotAllowed,
			Message: fmt.Sprintf("Method %s is not allowed on this path; allowed: %s.", r.Method, allow),
		})
	default: // a redirect to the cleaned path
		s.mux.ServeHTTP(w, r)
	}
}

// probeWriter captures what the mux's fallback handler would answer.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header         { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(status int)      { p.status = status }

// routeHandler wraps a door's route: recovery, authentication, the scope
// check, and error writing through the door.
func (s *Server) routeHandler(d Door, rt Route, pattern string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The mux is reached only through serveHTTP, which set both up.
		info, sw := infoFrom(r.Context()), w.(*statusWriter)
		info.pattern = pattern
		if d != nil {
			info.door = d.Name()
		}
		tr, err := s.startTransfer(rt, sw, r)
		if err == nil {
			err = tr.result(s.serveRoute(d, rt, sw, r))
		}
		if err == nil {
			return
		}
		code := convstore.ErrorCode(err)
		if code == convstore.EINTERNAL || code == convstore.EUNAVAILABLE || code == convstore.EINTEGRITY || sw.started() {
			// An error after the response began is a fault too: the client
			// gets a truncated body, so the log must say why.
			s.logError(r, err)
		}
		if sw.started() {
			// Abort the connection, so that the client sees a broken
			// response (no final chunk, or fewer bytes than the
			// Content-Length), never a truncated body that looks whole.
			panic(http.ErrAbortHandler)
		}
		setRetryAfter(sw, err)
		s.writeError(d, sw, r, err)
	})
}

// serveRoute authenticates, checks the scope and calls the handler, turning
// a panic into an error.
func (s *Server) serveRoute(d Door, rt Route, w *statusWriter, r *http.Request) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	if err := s.limitAddress(r, rt.Scope == ""); err != nil {
		return err
	}
	if rt.Scope != "" {
		key, err := s.authenticateRoute(d, r)
		if err != nil {
			return err
		}
		if err := s.limitKey(key); err != nil {
			return err
		}
		if rt.Scope != AnyScope && !key.Has(rt.Scope) {
			return convstore.Errorf(convstore.EFORBIDDEN, "This API key lacks the %q scope, which %s %s requires.", rt.Scope, rt.Method, rt.Path)
		}
	}
	return s.serveIdempotent(d, rt, w, r)
}

// logError logs a fault with the request's attributes.
func (s *Server) logError(r *http.Request, err error) {
	info := infoFrom(r.Context())
	attrs := []slog.Attr{slog.String("method", r.Method)}
	if info != nil {
		attrs = append(attrs, slog.String("route", info.pattern), slog.String("request_id", info.id))
		if info.clientID != "" {
			attrs = append(attrs, slog.String("client_request_id", info.clientID))
		}
		if info.key != nil {
			attrs = append(attrs, slog.String("key_prefix", info.key.Prefix))
		}
	}
	level := slog.LevelError
	if r.Context().Err() != nil && (errors.Is(err, context.Canceled) || info != nil && info.bodyLost.Load()) || clientStalled(err) {
		// The client went away (mid-upload, say) or stalled: not a fault of ours.
		level = slog.LevelInfo
	}
	s.logger.LogAttrs(r.Context(), level, "request failed",
		slog.Group("http", attrsAny(attrs)...), slog.String("error", err.Error()))
}

// logAccess writes the one access log line of a request. It never logs
// bodies, secrets, query strings or raw paths.
func (s *Server) logAccess(r *http.Request, info *reqInfo, w *statusWriter, d time.Duration) {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("route", info.pattern),
		slog.Int("status", status),
		slog.Int64("bytes", w.bytes),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("request_id", info.id),
	}
	if info.clientID != "" {
		attrs = append(attrs, slog.String("client_request_id", info.clientID))
	}
	if info.door != "" {
		attrs = append(attrs, slog.String("door", info.door))
	}
	if info.key != nil {
		attrs = append(attrs, slog.String("key_prefix", info.key.Prefix))
	}
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.Group("http", attrsAny(attrs)...))
	s.observeRequest(r, info, status, w.bytes, d)
}

func attrsAny(attrs []slog.Attr) []any {
	out := make([]any, len(attrs))
	for i, a := range attrs {
		out[i] = a
	}
	return out
}
