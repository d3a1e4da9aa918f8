package inkeep_test

import (
	"context"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// TestCORS: tenant A allows https://a.example.com, tenant B
// https://b.example.com. A preflight is answered for an origin some tenant
// allows; an actual request gets Access-Control-Allow-Origin only for an
// origin its key's tenant allows; never "*".
func TestCORS(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	const originA, originB, evil = "https://a.example.com", "https://b.example.com", "https://evil.example.com"
	p := convstore.DeleteParams{Door: "test"}
	if _, err := e.Store.SetCORSOrigins(ctx, e.TenantA, []string{originA}, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.SetCORSOrigins(ctx, e.TenantB, []string{originB}, p); err != nil {
		t.Fatal(err)
	}
	preflight := func(c *doortest.Client, path, origin, method string) *doortest.Response {
		return c.Do("OPTIONS", path, nil, "Origin", origin, "Access-Control-Request-Method", method,
			"Access-Control-Request-Headers", "authorization,content-type")
	}
	for _, c := range []*doortest.Client{e.c, e.compat} {
		prefix := ""
		if c == e.compat {
			prefix = "/compat/inkeep"
		}
		for _, tc := range []struct {
			path, origin, method, allow string
		}{
			{"/conversations", originA, "POST", "POST, GET, HEAD, OPTIONS"},
			{"/conversations/abc", originB, "DELETE", "GET, HEAD, DELETE, OPTIONS"},
			{"/conversations/external/ext-1", originA, "GET", "GET, HEAD, OPTIONS"},
			{"/feedback", originB, "GET", "POST, GET, HEAD, OPTIONS"},
			{"/feedback/art_x", originA, "GET", "GET, HEAD, OPTIONS"},
			{"/events", originA, "POST", "POST, OPTIONS"},
		} {
			r := preflight(c, prefix+tc.path, tc.origin, tc.method)
			h := r.Header
			if r.Status != 204 || h.Get("Access-Control-Allow-Origin") != tc.origin || h.Get("Access-Control-Allow-Methods") != tc.allow ||
				!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Content-Type") ||
				h.Get("Access-Control-Max-Age") != "600" || h.Get("Vary") != "Origin" || h.Get("Access-Control-Allow-Credentials") != "" || h.Get("Allow") != tc.allow {
				t.Errorf("preflight %s from %s: %d %v", prefix+tc.path, tc.origin, r.Status, h)
			}
		}
		// An origin no tenant allows, and a malformed one: no CORS headers.
		for _, origin := range []string{evil, "null", "https://a.example.com/x"} {
			r := preflight(c, prefix+"/conversations", origin, "POST")
			if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("preflight from %s: %d %v", origin, r.Status, r.Header)
			}
		}
		// OPTIONS that is not a preflight: the path's methods.
		if r := c.Do("OPTIONS", prefix+"/events", nil); r.Status != 204 || r.Header.Get("Allow") != "POST, OPTIONS" || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("plain OPTIONS: %d %v", r.Status, r.Header)
		}
	}
	// Actual requests: the key's tenant decides.
	for _, tc := range []struct {
		key, origin, want string
	}{
		{e.KeyA, originA, originA},
		{e.KeyA, originB, ""}, // B's origin with A's key
		{e.KeyB, originB, originB},
		{e.KeyB, originA, ""},
		{e.KeyA, evil, ""},
		{e.KeyA, "", ""},
	} {
		hdr := bearer(tc.key)
		if tc.origin != "" {
			hdr = append(hdr, "Origin", tc.origin)
		}
		r := e.c.Do("GET", "/conversations", nil, hdr...)
		doortest.Expect(t, r, 200, "application/json")
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != tc.want {
			t.Errorf("GET with origin %q: Access-Control-Allow-Origin %q, want %q", tc.origin, got, tc.want)
		}
		if tc.origin != "" && r.Header.Get("Vary") != "Origin" {
			t.Errorf("GET with origin %q: Vary %q", tc.origin, r.Header.Get("Vary"))
		}
		// An error answer the browser app must read carries it too.
		r = e.c.Do("GET", "/conversations/missing", nil, hdr...)
		problem(t, r, 404, "not_found")
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != tc.want {
			t.Errorf("404 with origin %q: Access-Control-Allow-Origin %q, want %q", tc.origin, got, tc.want)
		}
	}
	// Once A allows nothing, nobody allows originA.
	if _, err := e.Store.SetCORSOrigins(ctx, e.TenantA, nil, p); err != nil {
		t.Fatal(err)
	}
	if r := preflight(e.c, "/conversations", originA, "POST"); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight after A dropped its origin: %v", r.Header)
	}
}
