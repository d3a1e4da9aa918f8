package convhttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/convstore/convstore"
)

// IdempotencyKeyHeader is the request header that makes a retried request
// answer as the first did (IETF draft "The Idempotency-Key HTTP Header
// Field").
const IdempotencyKeyHeader = "Idempotency-Key"

// settleTimeout bounds storing an answer after the response is written.
const settleTimeout = 5 * time.Second

// idempotent reports whether the route honours Idempotency-Key: every
// delete of every door (the delete scope, or the DELETE method), and the
// routes that ask for it.
func idempotent(rt Route) bool {
	if rt.Scope == "" {
		return false // public: no tenant to keep the key under
	}
	return rt.Idempotent || rt.Method == http.MethodDelete || rt.Scope == convstore.ScopeDelete
}

// idempotencyKey returns the request's key: a structured-field string
// ("…", as the draft specifies) or, as most clients send it, the bare
// value. ok is false without the header.
func idempotencyKey(h http.Header) (key string, ok bool, err error) {
	vals := h.Values(IdempotencyKeyHeader)
	if len(vals) == 0 {
		return "", false, nil
	}
	bad := func(msg string) error {
		return &convstore.Error{Code: CodeInvalidParameter, Field: IdempotencyKeyHeader, Message: msg}
	}
	if len(vals) > 1 {
		return "", true, bad("Send one Idempotency-Key header.")
	}
	v := strings.TrimSpace(vals[0])
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		var b strings.Builder
		for i := 1; i < len(v)-1; i++ {
			c := v[i]
			if c == '\\' && i+1 < len(v)-1 && (v[i+1] == '"' || v[i+1] == '\\') {
				i++
				c = v[i]
			} else if c == '\\' || c == '"' {
				return "", true, bad("Idempotency-Key is not a valid string.")
			}
			b.WriteByte(c)
		}
		v = b.String()
	}
	if v == "" || len(v) > convstore.MaxIdempotencyKeyLen {
		return "", true, bad("Idempotency-Key must hold 1 to 255 characters.")
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return "", true, bad("Idempotency-Key must be printable ASCII.")
		}
	}
	return v, true, nil
}

// fingerprint hashes what the request asks: method, path and query (the
// mount prefix included, so that one key on two doors names two
// requests) and, for routes that ask for idempotency on a body (a POST),
// the body, which it puts back for the handler.
func (s *Server) fingerprint(rt Route, r *http.Request) ([]byte, error) {
	h := sha256.New()
	io.WriteString(h, r.Method+"\n"+r.URL.EscapedPath()+"\n"+r.URL.RawQuery+"\n")
	if rt.Idempotent && r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxBodyBytes+1))
		if err != nil {
			return nil, err
		}
		if int64(len(b)) > s.cfg.MaxBodyBytes {
			return nil, convstore.Errorf(convstore.ETOOLARGE, "The request body is over %d bytes.", s.cfg.MaxBodyBytes)
		}
		h.Write(b)
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	return h.Sum(nil), nil
}

// keptError reports whether an error answer is kept for retries: those
// the retry would get again. Faults, timeouts, rate limits and conflicts
// are not: the retry runs again.
func keptError(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch convstore.ErrorCode(err) {
	case convstore.EINTERNAL, convstore.EINTEGRITY, convstore.EUNAVAILABLE, convstore.ETIMEOUT,
		convstore.ERATELIMITED, convstore.ECONFLICT:
		return false
	}
	return true
}

// serveIdempotent calls the route's handler, honouring an Idempotency-Key
// on the routes that take one: the first request with a key runs and its
// answer is kept (convstore.DefaultIdempotencyRetention); a retry gets
// that answer again, marked Idempotent-Replayed; a retry while the first
// runs is ECONFLICT (409), and a key reused for another request 422.
func (s *Server) serveIdempotent(d Door, rt Route, w *statusWriter, r *http.Request) error {
	if !idempotent(rt) {
		return rt.Handler(w, r)
	}
	key, ok, err := idempotencyKey(r.Header)
	if err != nil || !ok {
		if err != nil {
			return err
		}
		return rt.Handler(w, r)
	}
	fp, err := s.fingerprint(rt, r)
	if err != nil {
		return err
	}
	tenant := Tenant(r)
	req := &convstore.IdempotentRequest{Key: key, Fingerprint: fp}
	claim, err := s.cfg.Store.ClaimIdempotencyKey(r.Context(), tenant, req)
	if err != nil {
		return err
	}
	if claim.Reused {
		return &convstore.Error{Code: CodeIdempotencyKeyReused,
			Message: "This Idempotency-Key was used for a different request; use a new key for each request."}
	}
	if a := claim.Answer; a != nil {
		if a.ContentType != "" {
			w.Header().Set("Content-Type", a.ContentType)
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(a.Status)
		_, _ = w.Write(a.Body)
		return nil
	}
	rec := &answerRecorder{statusWriter: w}
	settled := false
	settle := func(a *convstore.IdempotentAnswer) {
		settled = true
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), settleTimeout)
		defer cancel()
		if err := s.cfg.Store.SettleIdempotencyKey(ctx, tenant, req, claim, a); err != nil {
			s.logError(r, err)
		}
	}
	defer func() {
		if !settled { // a panic: release the key for the retry
			settle(nil)
		}
	}()
	err = rt.Handler(rec, r)
	if err != nil && !w.started() && keptError(err) {
		// Written here, so that the retry gets this very answer.
		s.writeError(d, rec, r, err)
		err = nil
	}
	if err != nil || rec.over || rec.status() >= 500 {
		settle(nil)
		return err
	}
	settle(&convstore.IdempotentAnswer{Status: rec.status(), ContentType: w.Header().Get("Content-Type"), Body: rec.body.Bytes()})
	return nil
}

// answerRecorder copies what a handler writes, up to
// convstore.MaxIdempotentAnswerBytes, on its way to the client.
type answerRecorder struct {
	*statusWriter
	body bytes.Buffer
	over bool
}

func (a *answerRecorder) Write(b []byte) (int, error) {
	if !a.over {
		if a.body.Len()+len(b) > convstore.MaxIdempotentAnswerBytes {
			a.over = true
			a.body.Reset()
		} else {
			a.body.Write(b)
		}
	}
	return a.statusWriter.Write(b)
}

// status is the answer's status (200 if the handler wrote nothing).
func (a *answerRecorder) status() int {
	if a.statusWriter.status == 0 {
		return http.StatusOK
	}
	return a.statusWriter.status
}

func (a *answerRecorder) Unwrap() http.ResponseWriter { return a.statusWriter }
