package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore/client"
)

// testKey is the bootstrap admin key of the test servers.
const testKey = "csk_test_7f3a9c2e41d86b05f1e9a4c3d27b8e6058a1f4c9e2d73b06"

// testServer is a Main serving on 127.0.0.1:0 over a temp data directory.
type testServer struct {
	m      *Main
	dir    string
	key    string
	stderr *syncBuffer // what the server wrote besides logs (the bootstrap key line)

	closeErrOK bool // the test expects Close to fail
}

// startServer starts a server with the bootstrap key and extra flags.
func startServer(t *testing.T, extraArgs ...string) *testServer {
	t.Helper()
	return startServerEnv(t, t.TempDir(), map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey}, extraArgs...)
}

// startServerEnv starts a server on dir with the given environment.
func startServerEnv(t *testing.T, dir string, environ map[string]string, extraArgs ...string) *testServer {
	t.Helper()
	ts := &testServer{dir: dir, key: environ["CONVSTORE_BOOTSTRAP_KEY"], stderr: &syncBuffer{}}
	ts.m = NewMain()
	ts.m.Stderr = ts.stderr
	ts.m.Logger = testLogger(t)
	args := append([]string{"--addr", "127.0.0.1:0", "--data", dir}, extraArgs...)
	if err := ts.m.ParseFlags(args, mapEnv(environ)); err != nil {
		t.Fatalf("ParseFlags: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ts.m.Run(ctx); err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Cleanup(func() {
		if err := ts.m.Close(); err != nil && !ts.closeErrOK {
			t.Errorf("Close: %v", err)
		}
	})
	return ts
}

// client returns a Go client of the server with its admin key.
func (ts *testServer) client() *client.Client { return client.New(ts.m.URL(), ts.key) }

// cli runs a command line against the server with the admin key and
// returns stdout, stderr and the exit code.
func (ts *testServer) cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return ts.cliWith(t, ts.key, nil, args...)
}

// cliWith runs a command line with a given key and standard input.
func (ts *testServer) cliWith(t *testing.T, key string, stdin io.Reader, args ...string) (string, string, int) {
	t.Helper()
	return runCLI(t, map[string]string{"CONVSTORE_URL": ts.m.URL(), "CONVSTORE_KEY": key}, stdin, args...)
}

// mustCLI runs a command line that must succeed and returns its stdout.
func (ts *testServer) mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := ts.cli(t, args...)
	if code != 0 {
		t.Fatalf("convstore %s: exit %d\nstderr: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// mustJSON runs a command line with --json and decodes its output into v.
func (ts *testServer) mustJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out := ts.mustCLI(t, append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("convstore %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// runCLI runs the program's Run with an environment and standard input.
func runCLI(t *testing.T, environ map[string]string, stdin io.Reader, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := Run(ctx, args, &Env{Stdin: stdin, Stdout: &stdout, Stderr: &stderr, Getenv: mapEnv(environ)})
	return stdout.String(), stderr.String(), code
}

// mapEnv returns a Getenv over m.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// testLogger sends logs to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// wantContains fails unless s contains every one of subs.
func wantContains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
