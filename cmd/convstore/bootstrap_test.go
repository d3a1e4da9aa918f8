package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
)

// TestBootstrapKeyIgnoredWarns: on a store that already has tenants the
// bootstrap key does nothing, and the server says so at the default level
// (info), naming the variable.
func TestBootstrapKeyIgnoredWarns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startServerEnv(t, dir, map[string]string{}) // generates and prints a key
	if err := first.m.Close(); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	m := NewMain()
	m.Stderr = &logs
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", dir}, mapEnv(map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey})); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	wantContains(t, "log", logs.String(), "level=WARN", "CONVSTORE_BOOTSTRAP_KEY is ignored", "already has tenants", "tenants=1")
	_, _, err := client.New(m.URL(), testKey).FindConversations(ctx, convstore.ID{}, convstore.ConversationFilter{})
	if convstore.ErrorCode(err) != convstore.EUNAUTHORIZED {
		t.Fatalf("the ignored key must not work: %v", err)
	}
}

// TestBadBootstrapKey: a bootstrap key the domain refuses is an error that
// names the variable, found before the store is opened, so no data
// directory (migrated and without a tenant) is left behind.
func TestBadBootstrapKey(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{
		{"CONVSTORE_BOOTSTRAP_KEY": "short"},
		{"CONVSTORE_BOOTSTRAP_KEY": "csk_has spaces_0123456789abcdef"},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		m := NewMain()
		m.Stderr = &bytes.Buffer{}
		err := m.ParseFlags([]string{"--data", dir}, mapEnv(env))
		if err == nil || !strings.HasPrefix(err.Error(), "CONVSTORE_BOOTSTRAP_KEY: key must") {
			t.Fatalf("%v: ParseFlags: %v", env, err)
		}
		code := Run(context.Background(), []string{"serve", "--data", dir, "--addr", "127.0.0.1:0"},
			&Env{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: mapEnv(env)})
		if code == exitOK {
			t.Fatalf("%v: serve exited 0", env)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%v: the data directory was created: %v", env, err)
		}
	}
	// From the key file, the error names that variable.
	file := filepath.Join(t.TempDir(), "key")
	os.WriteFile(file, []byte("short\n"), 0o600)
	m := NewMain()
	err := m.ParseFlags(nil, mapEnv(map[string]string{"CONVSTORE_BOOTSTRAP_KEY_FILE": file}))
	if err == nil || !strings.HasPrefix(err.Error(), "CONVSTORE_BOOTSTRAP_KEY_FILE: ") {
		t.Fatalf("key file: %v", err)
	}
	// Run checks a key set in Config directly, before opening the store.
	dir := filepath.Join(t.TempDir(), "data")
	m = NewMain()
	m.Config.DataDir, m.Config.Addr, m.Config.BootstrapKey = dir, "127.0.0.1:0", "short"
	m.Logger = slog.New(slog.DiscardHandler)
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "CONVSTORE_BOOTSTRAP_KEY") {
		t.Fatalf("Run: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Run created the data directory: %v", err)
	}
}

// TestStartLogNamesTheEngine: the start log says where the data is for
// the engine in use; a PostgreSQL server does not name the SQLite data
// directory it does not use, nor the DSN's password.
func TestStartLogNamesTheEngine(t *testing.T) {
	t.Parallel()
	str := func(cfg Config) string { return fmt.Sprintln(storeLogAttrs(cfg)...) }
	c := DefaultConfig()
	if s := str(c); !strings.Contains(s, "engine sqlite") || !strings.Contains(s, filepath.Join("convstore-data", "convstore.db")) ||
		!strings.Contains(s, filepath.Join("convstore-data", "blobs")) {
		t.Errorf("sqlite: %s", s)
	}
	c.DB = "postgres://convstore:secret@db.example:5432/convstore"
	c.PGSchema = "tenant_x"
	if s := str(c); strings.Contains(s, "convstore-data") || strings.Contains(s, "secret") ||
		!strings.Contains(s, "engine postgres") || !strings.Contains(s, "schema tenant_x") || !strings.Contains(s, "blobs postgres") {
		t.Errorf("postgres: %s", s)
	}
	c.BlobStore = BlobStoreFS
	if s := str(c); !strings.Contains(s, "blobs "+filepath.Join("convstore-data", "blobs")) {
		t.Errorf("postgres with fs blobs: %s", s)
	}
	// And the server logs them.
	var logs syncBuffer
	m := NewMain()
	m.Stderr = &logs
	dir := t.TempDir()
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", dir}, mapEnv(map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey})); err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	wantContains(t, "start log", logs.String(), `msg="convstore listening"`, "engine=sqlite",
		"db="+filepath.Join(dir, "convstore.db"), "blobs="+filepath.Join(dir, "blobs"))
}
