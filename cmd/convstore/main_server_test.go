package main

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
)

// TestServeFirstStart checks the data directory layout and the one-time
// printing of a generated admin key.
func TestServeFirstStart(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	ts := startServerEnv(t, dir, map[string]string{})
	for _, p := range []string{"convstore.db", "blobs"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Fatalf("data directory lacks %s: %v", p, err)
		}
	}
	out := ts.stderr.String()
	wantContains(t, "first start stderr", out, `created tenant "default"`, "admin API key", "shown only this once")
	key := regexp.MustCompile(`csk_\S+`).FindString(out)
	ctx := context.Background()
	c := client.New(ts.m.URL(), key)
	if _, _, err := c.FindConversations(ctx, convstore.ID{}, convstore.ConversationFilter{}); err != nil {
		t.Fatalf("printed key does not work: %v", err)
	}
	if err := ts.m.Close(); err != nil {
		t.Fatal(err)
	}

	// A second start on the same data prints nothing and keeps the key.
	ts2 := startServerEnv(t, dir, map[string]string{})
	if strings.Contains(ts2.stderr.String(), "csk_") {
		t.Fatalf("second start printed a key:\n%s", ts2.stderr)
	}
	if _, _, err := client.New(ts2.m.URL(), key).FindConversations(ctx, convstore.ID{}, convstore.ConversationFilter{}); err != nil {
		t.Fatalf("key after restart: %v", err)
	}
}

// TestServeBootstrapKey checks that a bootstrap key is used and not printed.
func TestServeBootstrapKey(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	if out := ts.stderr.String(); strings.Contains(out, testKey) || strings.Contains(out, "csk_") {
		t.Fatalf("bootstrap key printed:\n%s", out)
	}
	c := ts.client()
	if err := c.Ready(context.Background()); err != nil {
		t.Fatal(err)
	}
	keys, err := c.FindKeys(context.Background(), convstore.ID{})
	if err != nil || len(keys) != 1 || !keys[0].Has(convstore.ScopeAdmin) {
		t.Fatalf("keys %v %+v", err, keys)
	}
}

// TestServeBootstrapKeyFile reads the key from CONVSTORE_BOOTSTRAP_KEY_FILE.
func TestServeBootstrapKeyFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServerEnv(t, t.TempDir(), map[string]string{"CONVSTORE_BOOTSTRAP_KEY_FILE": file})
	if _, err := client.New(ts.m.URL(), testKey).FindKeys(context.Background(), convstore.ID{}); err != nil {
		t.Fatal(err)
	}
}

// TestParseFlagsPrecedence checks flag > environment > default.
func TestParseFlagsPrecedence(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"CONVSTORE_ADDR":                 "0.0.0.0:9000",
		"CONVSTORE_DATA":                 "/env/data",
		"CONVSTORE_LOG_LEVEL":            "debug",
		"CONVSTORE_MAX_BODY_BYTES":       "1000",
		"CONVSTORE_MAX_ATTACHMENT_BYTES": "2000",
		"CONVSTORE_SHUTDOWN_TIMEOUT":     "5s",
		"CONVSTORE_BOOTSTRAP_KEY":        testKey,
	}
	m := NewMain()
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:1234", "--max-body-bytes", "3000"}, mapEnv(env)); err != nil {
		t.Fatal(err)
	}
	c := m.Config
	if c.Addr != "127.0.0.1:1234" || c.MaxBodyBytes != 3000 { // flags
		t.Fatalf("flags lost: %+v", c)
	}
	if c.DataDir != "/env/data" || c.LogLevel != "debug" || c.MaxAttachmentBytes != 2000 || // environment
		c.ShutdownTimeout != 5*time.Second || c.BootstrapKey != testKey {
		t.Fatalf("environment lost: %+v", c)
	}
	if d := DefaultConfig(); c.DB != d.DB || c.LogFormat != d.LogFormat || c.SweepInterval != d.SweepInterval { // defaults
		t.Fatalf("defaults lost: %+v", c)
	}
	if p, _ := c.SQLitePath(); p != filepath.Join("/env/data", "convstore.db") {
		t.Fatalf("SQLitePath = %q", p)
	}

	m = NewMain()
	err := m.ParseFlags(nil, mapEnv(map[string]string{"CONVSTORE_MAX_BODY_BYTES": "lots"}))
	if err == nil || !strings.Contains(err.Error(), "CONVSTORE_MAX_BODY_BYTES") {
		t.Fatalf("bad environment value: %v", err)
	}
}

// TestServePostgresBadDSN checks the clear errors of postgres DSNs that
// cannot work and of a blob store the engine cannot have.
func TestServePostgresBadDSN(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		environ map[string]string
		args    []string
		want    string
	}{
		// Nothing listens on port 1: the open fails fast.
		{nil, []string{"serve", "--db", "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=5"}, "opening PostgreSQL database"},
		{map[string]string{"CONVSTORE_DB": "postgresql://postgres:secret@127.0.0.1:1/test?sslmode=disable&connect_timeout=5"}, []string{"serve"}, "opening PostgreSQL database"},
		{nil, []string{"serve", "--db", "postgres:"}, "a PostgreSQL DSN is a URL"},
		{nil, []string{"serve", "--db", "mysql://x"}, "unknown database"},
		{nil, []string{"serve", "--blob-store", "postgres"}, "--blob-store postgres needs the PostgreSQL engine"},
		{nil, []string{"serve", "--blob-store", "s3"}, `blob store "s3"`},
		{nil, []string{"serve", "--db", "postgres://x/db", "--pg-max-conns", "0"}, "--pg-max-conns"},
	} {
		environ := map[string]string{"CONVSTORE_DATA": t.TempDir(), "CONVSTORE_BOOTSTRAP_KEY": testKey}
		for k, v := range tc.environ {
			environ[k] = v
		}
		args := append(tc.args, "--addr", "127.0.0.1:0")
		_, stderr, code := runCLI(t, environ, nil, args...)
		if code == 0 {
			t.Fatalf("%v %v: exit 0", tc.environ, tc.args)
		}
		wantContains(t, strings.Join(tc.args, " ")+" stderr", stderr, tc.want)
		if strings.Contains(stderr, "secret") {
			t.Fatalf("password in the error:\n%s", stderr)
		}
	}
}

// TestServeSIGTERM runs the serve command as main does, sends the process
// SIGTERM and expects a clean exit 0 after logging the listen address.
func TestServeSIGTERM(t *testing.T) {
	// Not parallel: it signals the whole test process.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	stderr := &syncBuffer{}
	env := &Env{Stdout: &syncBuffer{}, Stderr: stderr, Getenv: mapEnv(map[string]string{
		"CONVSTORE_BOOTSTRAP_KEY": testKey, "CONVSTORE_DATA": t.TempDir(), "CONVSTORE_ADDR": "127.0.0.1:0",
		"CONVSTORE_LOG_FORMAT": "json",
	})}
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"serve"}, env) }()

	re := regexp.MustCompile(`"addr":"(127\.0\.0\.1:\d+)"`)
	var addr string
	waitFor(t, "the listen address in the log", func() bool {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	c := client.New("http://"+addr, testKey)
	if _, _, err := c.CreateConversation(context.Background(), convstore.ID{}, &convstore.ConversationCreate{Title: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after SIGTERM:\n%s", code, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	wantContains(t, "serve log", stderr.String(), "signal received", "convstore stopped")
	if err := c.Health(context.Background()); err == nil || errors.As(err, new(*client.Error)) {
		t.Fatalf("server still answers after SIGTERM: %v", err)
	}
}

// TestServeAddressInUse checks that a busy address fails the start with a
// clear error and releases the store.
func TestServeAddressInUse(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	m := NewMain()
	m.Logger = testLogger(t)
	m.Stderr = &syncBuffer{}
	if err := m.ParseFlags([]string{"--addr", ts.m.Addr(), "--data", t.TempDir()}, mapEnv(nil)); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listen on "+ts.m.Addr()) {
		t.Fatalf("Run on a busy address: %v", err)
	}
	if m.DB != nil {
		t.Fatal("the store stayed open after a failed start")
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close after a failed start: %v", err)
	}
}
