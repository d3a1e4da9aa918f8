package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
	"github.com/convstore/convstore/convhttp"
)

// TestErrorMapping checks that a problem body reaches the caller as both
// the domain error and the problem with status and request id.
func TestErrorMapping(t *testing.T) {
	f := setup(t)
	_, err := f.c.FindConversationByID(f.ctx, convstore.ID{}, convstore.NewID())

	var ce *convstore.Error
	if !errors.As(err, &ce) || ce.Code != convstore.ENOTFOUND || ce.Message != "conversation not found" {
		t.Fatalf("domain error %+v from %v", ce, err)
	}
	var p *api.Problem
	if !errors.As(err, &p) || p.Status != 404 || p.Code != convstore.ENOTFOUND || !strings.HasPrefix(p.RequestID, "req_") {
		t.Fatalf("problem %+v", p)
	}
	var cerr *client.Error
	if !errors.As(err, &cerr) || cerr.Problem != p || cerr.Err != ce {
		t.Fatalf("client error %+v", cerr)
	}
	if msg := err.Error(); !strings.Contains(msg, "conversation not found") || !strings.Contains(msg, p.RequestID) || !strings.Contains(msg, "404") {
		t.Fatalf("message %q", msg)
	}

	// A wire-only code maps to its domain code; the wire code stays on the problem.
	cv := f.mustConversation(t, "x", 0)
	_, _, err = f.c.FindArtifacts(f.ctx, convstore.ID{}, cv.ID, convstore.ArtifactFilter{Type: "poem"})
	if convstore.ErrorCode(err) != convstore.EINVALID || !errors.As(err, &p) || p.Code != convhttp.CodeInvalidParameter || p.Field != "type" {
		t.Fatalf("invalid parameter: %v, problem %+v", err, p)
	}

	// Bad credentials.
	for _, key := range []string{"csk_wrong_wrong_wrong_wrong_wrong", "", "bad\nkey"} {
		_, err = client.New(f.srv.URL, key).FindKeys(f.ctx, convstore.ID{})
		wantCode(t, err, convstore.EUNAUTHORIZED, 401)
		_, err = client.New(f.srv.URL, key).FindMessageByID(f.ctx, convstore.ID{}, convstore.ID{}, convstore.NewID())
		wantCode(t, err, convstore.EUNAUTHORIZED, 401)
	}
}

// TestNonProblemErrors checks bodies that are not problem+json, as a proxy
// in front of the server would send.
func TestNonProblemErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		code        string
		detail      string
	}{
		{"plain text 503", 503, "text/plain", "upstream is restarting\n", convstore.EUNAVAILABLE, "upstream is restarting"},
		{"html 502", 502, "text/html", "<html><body>Bad gateway</body></html>", convstore.EINTERNAL, "Bad Gateway"},
		{"empty 429", 429, "", "", convstore.ERATELIMITED, "Too Many Requests"},
		{"json without code 404", 404, "application/json", `{"error":"nope"}`, convstore.ENOTFOUND, `{"error":"nope"}`},
		{"empty 413", 413, "", "", convstore.ETOOLARGE, "Request Entity Too Large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Request-Id", "proxy-1")
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			_, err := client.New(srv.URL, "k").FindMessageByID(context.Background(), convstore.ID{}, convstore.ID{}, convstore.NewID())
			var cerr *client.Error
			if !errors.As(err, &cerr) {
				t.Fatalf("error %T %v", err, err)
			}
			if cerr.Err.Code != tt.code || cerr.Err.Message != tt.detail || cerr.Status() != tt.status || cerr.RequestID() != "proxy-1" {
				t.Fatalf("got code %q detail %q status %d request id %q", cerr.Err.Code, cerr.Err.Message, cerr.Status(), cerr.RequestID())
			}
		})
	}
}

// TestTransportError checks that a connection failure is not mistaken for a
// server answer.
func TestTransportError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := client.New(url, "k").FindConversationByID(context.Background(), convstore.ID{}, convstore.NewID())
	var cerr *client.Error
	if err == nil || errors.As(err, &cerr) || convstore.ErrorCode(err) != convstore.EINTERNAL {
		t.Fatalf("got %v", err)
	}
}
