package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
)

// TestServeRefusesWeakBootstrapKey starts a server with weak bootstrap
// keys: it refuses, says which variable is at fault and how to make a good
// key, never repeats the key, and leaves no tenant behind.
func TestServeRefusesWeakBootstrapKey(t *testing.T) {
	t.Parallel()
	for _, weak := range []string{strings.Repeat("a", 24), "csk_demo_key_0123456789abcdefghij"} {
		dir := t.TempDir()
		m := NewMain()
		m.Stderr = io.Discard
		m.Logger = testLogger(t)
		err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data", dir}, mapEnv(map[string]string{"CONVSTORE_BOOTSTRAP_KEY": weak}))
		if err == nil {
			err = m.Run(context.Background())
		}
		_ = m.Close()
		if err == nil {
			t.Fatalf("server started with the bootstrap key %q", weak)
		}
		msg := err.Error()
		if !strings.Contains(msg, "CONVSTORE_BOOTSTRAP_KEY") || !strings.Contains(msg, "openssl rand -hex 32") || strings.Contains(msg, weak[8:]) {
			t.Errorf("error for a weak bootstrap key: %q; want it to name CONVSTORE_BOOTSTRAP_KEY and the remedy, not the key", msg)
		}
		// A strong key on the same data then bootstraps normally.
		ts := startServerEnv(t, dir, map[string]string{"CONVSTORE_BOOTSTRAP_KEY": testKey})
		if _, err := ts.client().FindKeys(context.Background(), convstore.ID{}); err != nil {
			t.Fatalf("strong key after a refused weak one: %v", err)
		}
	}
}

// TestTenantCreationIsAudited checks the door of a tenant's first audit
// entries: "bootstrap" for the server's first start, "cli" for
// `convstore tenants create`.
func TestTenantCreationIsAudited(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx := context.Background()
	entries, _, err := ts.client().FindAuditEntries(ctx, convstore.ID{}, convstore.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[1].Action != convstore.AuditTenantCreate || entries[1].Door != "bootstrap" ||
		entries[0].Action != convstore.AuditKeyCreate || entries[0].Door != "bootstrap" || !entries[0].ActorKeyID.IsZero() {
		t.Fatalf("first start's audit entries: %+v", entries)
	}
	out, errOut, code := runCLI(t, map[string]string{"CONVSTORE_DATA": ts.dir}, nil, "tenants", "create", "acme", "--json")
	if code != 0 {
		t.Fatalf("tenants create: exit %d: %s", code, errOut)
	}
	key := jsonField(t, out, "admin_key", "secret")
	cliEntries, _, err := client.New(ts.m.URL(), key).FindAuditEntries(ctx, convstore.ID{}, convstore.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(cliEntries) != 2 || cliEntries[0].Door != "cli" || cliEntries[1].Door != "cli" || cliEntries[1].Action != convstore.AuditTenantCreate {
		t.Fatalf("tenants create's audit entries: %+v", cliEntries)
	}
	// The detail view of a receipt shows the client's request id.
	conv := ts.mustCLI(t, "conversations", "create", "--title", "x", "--json")
	id := jsonField(t, conv, "id")
	out = ts.mustCLI(t, "conversations", "delete", id)
	wantContains(t, "delete output", out, "client_request_id:")
}

// jsonField returns the string at path in a JSON object.
func jsonField(t *testing.T, doc string, path ...string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("%v: %s", err, doc)
	}
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("no string at %v in %s", path, doc)
	}
	return s
}
