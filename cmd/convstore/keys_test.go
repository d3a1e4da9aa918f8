package main

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
)

// TestCLIKeys creates, uses and revokes a key.
func TestCLIKeys(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	var k api.APIKey
	ts.mustJSON(t, &k, "keys", "create", "--name", "reporting", "--scope", "read")
	if !strings.HasPrefix(k.ID, "key_") || k.Secret == "" || k.Name != "reporting" || len(k.Scopes) != 1 {
		t.Fatalf("key %+v", k)
	}
	out := ts.mustCLI(t, "keys", "create", "--name", "writer", "--scope", "read,write")
	wantContains(t, "keys create", out, "secret:", "csk_", "read,write", "cannot be shown again")
	out = ts.mustCLI(t, "keys", "list")
	wantContains(t, "keys list", out, "ID", "PREFIX", "SCOPES", k.ID, "reporting", k.Prefix, "admin")
	var keys api.List[api.APIKey]
	ts.mustJSON(t, &keys, "keys", "list")
	if len(keys.Data) != 3 || keys.Data[1].Secret != "" {
		t.Fatalf("keys %+v", keys)
	}

	// The read key lists but may not delete or manage keys.
	if _, stderr, code := ts.cliWith(t, k.Secret, nil, "conversations", "list"); code != 0 {
		t.Fatalf("read key cannot list: %s", stderr)
	}
	var conv api.Conversation
	ts.mustJSON(t, &conv, "conversations", "create")
	_, stderr, code := ts.cliWith(t, k.Secret, nil, "conversations", "delete", conv.ID)
	if code != 1 {
		t.Fatalf("read key delete: exit %d", code)
	}
	wantContains(t, "forbidden delete", stderr, "delete", "code: forbidden", "status: 403")

	out = ts.mustCLI(t, "keys", "revoke", k.ID)
	wantContains(t, "keys revoke", out, "revoked "+k.ID)
	_, stderr, code = ts.cliWith(t, k.Secret, nil, "conversations", "list")
	if code != 1 {
		t.Fatalf("revoked key: exit %d", code)
	}
	wantContains(t, "revoked key", stderr, "code: unauthorized", "status: 401")

	// The last admin key stays.
	var admin api.APIKey
	for _, kk := range keys.Data {
		if kk.Name == "" || strings.Contains(strings.Join(kk.Scopes, ","), "admin") {
			admin = kk
		}
	}
	_, stderr, code = ts.cli(t, "keys", "revoke", admin.ID)
	if code != 1 {
		t.Fatalf("revoke last admin key: exit %d", code)
	}
	wantContains(t, "last admin key", stderr, "code: conflict", "status: 409")

	_, stderr, code = ts.cli(t, "keys", "create", "--scope", "root")
	if code != 1 {
		t.Fatalf("bad scope: exit %d", code)
	}
	wantContains(t, "bad scope", stderr, "code: invalid", "field: scopes", "status: 422")
}
