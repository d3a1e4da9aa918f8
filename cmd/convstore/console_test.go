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
		return getURL(t, ts.m.URL()+"/console/signin")
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

// TestServeConsoleOwnListener: --console-addr serves the console on a
// listener of its own, and only there unless --console asks for the main
// listener too.
func TestServeConsoleOwnListener(t *testing.T) {
	ts := startServer(t, "--console-addr", "127.0.0.1:0")
	own := ts.m.DoorAddr("console")
	if own == "" {
		t.Fatal("no console listener")
	}
	if st, csp, body := getURL(t, "http://"+own+"/console/signin"); st != http.StatusOK || csp == "" || !strings.Contains(body, "<h1>Sign in</h1>") {
		t.Errorf("own listener: %d %q", st, csp)
	}
	if st, _, _ := getURL(t, ts.m.URL()+"/console/signin"); st != http.StatusNotFound {
		t.Errorf("main listener without --console: %d, want 404", st)
	}
	if st, _, _ := getURL(t, "http://"+own+"/v1/me"); st != http.StatusNotFound {
		t.Errorf("the console's listener serves the API: %d", st)
	}
	m := NewMain()
	if err := m.ParseFlags([]string{"--console-addr", "nonsense"}, mapEnv(nil)); err != nil {
		t.Fatal(err)
	}
	if err := m.listenDoors(); err == nil || !strings.Contains(err.Error(), "--console-addr") {
		t.Errorf("a bad --console-addr: %v", err)
	}
}

func getURL(t *testing.T, u string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Security-Policy"), string(b)
}
