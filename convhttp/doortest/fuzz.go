package doortest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/convstore/convstore/convhttp"
)

// Fuzzer sends fuzzed requests straight into a server's handler (no
// network, so a fuzz run does thousands a second) and checks every answer
// as every door must answer: never a 5xx, a redirect only to a cleaned path
// (ServeMux's, for "." and ".." segments), a JSON success body where the
// answer says JSON, and every error in the door's own format. A door's
// fuzz target seeds its corpus, then calls Check for each request a
// fuzzed input makes.
type Fuzzer struct {
	Env     *Env
	Handler http.Handler

	// Auth sets the door's credential for a key secret ("Bearer …",
	// "Token …", an xi-api-key header).
	Auth func(h http.Header, key string)

	// Allowed lists the statuses the routes may answer; nil allows any
	// status below 500.
	Allowed map[int]bool

	// ErrorType is the Content-Type of the door's error answers.
	ErrorType string

	// CheckError fails tb unless r (a 4xx of ErrorType) is an error body
	// in the door's format.
	CheckError func(tb testing.TB, r *Response)
}

// Fuzzer returns a fuzzer of a new server over the env's store, with the
// doors that mount adds. The caller sets Auth, ErrorType and CheckError.
func (e *Env) Fuzzer(mount func(s *convhttp.Server)) *Fuzzer {
	s := convhttp.NewServer(e.Config())
	mount(s)
	return &Fuzzer{Env: e, Handler: s.Handler()}
}

// Serve sends one request with key's credential ("" for none) and hdr's
// name/value pairs, a JSON Content-Type when body is not nil, and returns
// the whole answer; nil when target is not a URL net/http would send.
func (fz *Fuzzer) Serve(method, target string, body []byte, key string, hdr ...string) *Response {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, "http://door.test"+target, rd)
	if err != nil {
		return nil
	}
	if key != "" {
		fz.Auth(req.Header, key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	fz.Handler.ServeHTTP(w, req)
	return &Response{Method: method, Path: target, Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

// Check sends a request like Serve and fails t on an answer no door may
// give (see Fuzzer). It returns the answer (nil for a target net/http
// cannot send) for the door's own further checks.
func (fz *Fuzzer) Check(t *testing.T, method, target string, body []byte, key string, hdr ...string) *Response {
	t.Helper()
	r := fz.Serve(method, target, body, key, hdr...)
	switch {
	case r == nil:
	case r.Status >= 500:
		t.Fatalf("%v", r)
	case fz.Allowed != nil && !fz.Allowed[r.Status]:
		t.Fatalf("%v: status %d is not one the routes may answer", r, r.Status)
	case r.Status >= 300 && r.Status < 400:
		if r.Header.Get("Location") == "" {
			t.Fatalf("%v: a redirect without Location", r)
		}
	case r.Status >= 400:
		if ct := r.ContentType(); ct != fz.ErrorType {
			t.Fatalf("%v: error with content type %q, want %q", r, ct, fz.ErrorType)
		}
		fz.CheckError(t, r)
	case r.ContentType() == "application/json" && !json.Valid(r.Body):
		t.Fatalf("%v: body is not JSON", r)
	}
	return r
}
