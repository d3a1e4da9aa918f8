package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
)

// TestTenantsOffline creates tenants directly in a store, then serves it:
// the server bootstraps nothing and the offline key works over HTTP.
func TestTenantsOffline(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"CONVSTORE_DATA": dir}

	stdout, stderr, code := runCLI(t, env, nil, "tenants", "create", "acme")
	if code != 0 {
		t.Fatalf("tenants create: exit %d: %s", code, stderr)
	}
	wantContains(t, "tenants create", stdout, "tenant:", "ten_", "name:", "acme", "admin key:", "csk_")
	key := regexp.MustCompile(`csk_\S+`).FindString(stdout)

	var globex tenantJSON
	stdout, stderr, code = runCLI(t, nil, nil, "tenants", "create", "globex", "--data", dir, "--json")
	if code != 0 {
		t.Fatalf("tenants create --json: exit %d: %s", code, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &globex); err != nil {
		t.Fatal(err)
	}
	if globex.Name != "globex" || globex.AdminKey == nil || !strings.HasPrefix(globex.AdminKey.Secret, "csk_") {
		t.Fatalf("tenant %+v", globex)
	}

	_, stderr, code = runCLI(t, env, nil, "tenants", "create", "acme")
	if code != 1 {
		t.Fatalf("duplicate tenant: exit %d", code)
	}
	wantContains(t, "duplicate tenant", stderr, "code: conflict")

	stdout, _, code = runCLI(t, env, nil, "tenants", "list")
	if code != 0 {
		t.Fatalf("tenants list: exit %d", code)
	}
	wantContains(t, "tenants list", stdout, "ID", "NAME", "acme", "globex", globex.ID)

	// The server finds tenants and creates no "default" one.
	ts := startServerEnv(t, dir, map[string]string{})
	if strings.Contains(ts.stderr.String(), "admin API key") {
		t.Fatalf("server bootstrapped a tenant over existing ones:\n%s", ts.stderr)
	}
	ts.key = key
	var conv api.Conversation
	ts.mustJSON(t, &conv, "conversations", "create", "--title", "acme's")
	// globex cannot see acme's conversation.
	_, stderr, code = ts.cliWith(t, globex.AdminKey.Secret, nil, "conversations", "get", conv.ID)
	if code != 1 {
		t.Fatalf("other tenant: exit %d", code)
	}
	wantContains(t, "other tenant", stderr, "code: not_found")

	// Offline commands work while the server runs (SQLite WAL).
	var tenants api.List[tenantJSON]
	stdout, _, _ = runCLI(t, env, nil, "tenants", "list", "--json")
	if err := json.Unmarshal([]byte(stdout), &tenants); err != nil || len(tenants.Data) != 2 {
		t.Fatalf("tenants list --json: %v %s", err, stdout)
	}
}

// TestTenantsDSN checks --db forms for offline commands.
func TestTenantsDSN(t *testing.T) {
	t.Parallel()
	// The keyring lives in --data: both commands name the same one.
	file, data := filepath.Join(t.TempDir(), "sub", "other.db"), t.TempDir()
	stdout, stderr, code := runCLI(t, nil, nil, "tenants", "create", "acme", "--data", data, "--db", "sqlite:"+file)
	if code != 0 {
		t.Fatalf("tenants create --db: exit %d: %s", code, stderr)
	}
	stdout, _, _ = runCLI(t, nil, nil, "tenants", "list", "--data", data, "--db", "sqlite://"+file)
	wantContains(t, "tenants list --db", stdout, "acme")

	for dsn, want := range map[string]string{
		"postgres://postgres@127.0.0.1:1/db?sslmode=disable&connect_timeout=5":   "opening PostgreSQL database",
		"postgresql://postgres@127.0.0.1:1/db?sslmode=disable&connect_timeout=5": "opening PostgreSQL database",
		"postgres:": "a PostgreSQL DSN is a URL",
	} {
		_, stderr, code = runCLI(t, nil, nil, "tenants", "list", "--db", dsn)
		if code != 1 {
			t.Fatalf("--db %s: exit %d", dsn, code)
		}
		wantContains(t, "--db "+dsn, stderr, want)
	}
	_, stderr, code = runCLI(t, nil, nil, "tenants", "list", "--db", "mysql://x")
	if code != 1 {
		t.Fatalf("--db mysql: exit %d", code)
	}
	wantContains(t, "--db mysql", stderr, "unknown database")
}
