package client

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// FuzzErrorFromResponse feeds arbitrary error responses to the parser: it
// must never panic, must keep the status, and must always yield a code the
// domain knows and a non-empty message.
func FuzzErrorFromResponse(f *testing.F) {
	f.Add(404, api.ContentTypeProblem, []byte(`{"type":"x","title":"Not Found","status":404,"detail":"conversation not found","code":"not_found","request_id":"req_1"}`))
	f.Add(400, api.ContentTypeProblem, []byte(`{"status":400,"detail":"bad","code":"invalid_parameter","field":"limit"}`))
	f.Add(502, "text/html", []byte("<html>bad gateway</html>"))
	f.Add(503, "text/plain; charset=utf-8", []byte("down\nfor maintenance"))
	f.Add(429, "", []byte{})
	f.Add(500, "application/json", []byte(`{"code":"`))
	f.Add(418, api.ContentTypeProblem, []byte(`{"code":"teapot","status":"x"}`))
	known := map[string]bool{}
	for _, c := range []string{convstore.ECONFLICT, convstore.EINTERNAL, convstore.EINVALID, convstore.ENOTFOUND,
		convstore.EUNAUTHORIZED, convstore.EFORBIDDEN, convstore.ETOOLARGE, convstore.EUNAVAILABLE,
		convstore.ERATELIMITED, convstore.EUNSUPPORTED} {
		known[c] = true
	}
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		if status < 300 || status > 599 {
			return
		}
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body))}
		if contentType != "" {
			resp.Header.Set("Content-Type", contentType)
		}
		e := errorFromResponse(resp)
		if e.Problem == nil || e.Err == nil {
			t.Fatal("incomplete error")
		}
		if e.Err.Message == "" {
			t.Fatalf("empty message for %d %q %q", status, contentType, body)
		}
		if e.Problem.Status == 0 {
			t.Fatal("no status")
		}
		// A code the server invented passes through; a synthesized one is known.
		if e.Problem.Code == api.CodeForStatus(status) && !known[e.Err.Code] {
			t.Fatalf("unknown code %q", e.Err.Code)
		}
		_ = e.Error()
	})
}
