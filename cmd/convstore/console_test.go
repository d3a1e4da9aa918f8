package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeConsole: the console is off unless --console (or
// CONVSTORE_CONSOLE) turns it on, and then served under /console/ on the
// main listener with its strict Content-Security-Policy.
func TestServeConsole(t *testing.T) {
	get := func(ts *testServer) (int, string, string) {
		resp, err := http.Get(ts.m.URL() + "/console/signin")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Security-Policy"), string(b)
	}
	if st, _, _ := get(startServer(t)); st != http.StatusNotFound {
		t.Errorf("without --console: /console/signin answered %d, want 404", st)
	}
	st, csp, body := get(startServer(t, "--console"))
	if st != http.StatusOK || !strings.HasPrefix(csp, "default-src 'none'") || !strings.Contains(body, "<h1>Sign in</h1>") {
		t.Errorf("with --console: %d %q %.200s", st, csp, body)
	}
	ts := startServerEnv(t, t.TempDir(), map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey, "CONVSTORE_CONSOLE": "true"})
	if st, _, _ := get(ts); st != http.StatusOK {
		t.Errorf("with CONVSTORE_CONSOLE=true: %d", st)
	}
}
