package main

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
)

// TestCLIServerErrors checks that the server's detail and field reach
// stderr with exit code 1.
func TestCLIServerErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	_, stderr, code := ts.cli(t, "conversations", "create", "--title", strings.Repeat("x", 600))
	if code != 1 {
		t.Fatalf("long title: exit %d", code)
	}
	wantContains(t, "long title", stderr, "convstore: error: title must be at most 512 bytes", "code: invalid", "field: title", "status: 422", "request id: req_")
	var conv api.Conversation
	ts.mustJSON(t, &conv, "conversations", "create")
	_, stderr, code = ts.cli(t, "messages", "add", conv.ID, "--file", "-")
	if code != 2 {
		t.Fatalf("bad --file: exit %d: %s", code, stderr)
	}
	_, stderr, code = ts.cliWith(t, ts.key, strings.NewReader(`[{"role":"user"}]`), "messages", "add", conv.ID, "--file", "-")
	if code != 1 {
		t.Fatalf("empty message: exit %d", code)
	}
	wantContains(t, "empty message", stderr, "code: invalid", "field: messages[0]")

	// A wrong key and an unreachable server.
	_, stderr, code = ts.cliWith(t, "csk_not_a_real_key_at_all_000000", nil, "conversations", "list")
	if code != 1 {
		t.Fatalf("wrong key: exit %d", code)
	}
	wantContains(t, "wrong key", stderr, "code: unauthorized")
	_, stderr, code = runCLI(t, map[string]string{"CONVSTORE_KEY": "x"}, nil, "conversations", "list", "--url", "http://127.0.0.1:1")
	if code != 1 {
		t.Fatalf("unreachable: exit %d", code)
	}
	wantContains(t, "unreachable", stderr, "convstore: error:", "connect")
}

// TestCLIUsage checks help output and usage errors (exit 2).
func TestCLIUsage(t *testing.T) {
	t.Parallel()
	env := map[string]string{"CONVSTORE_KEY": "k"}
	tests := []struct {
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{[]string{"help"}, 0, []string{"Usage: convstore COMMAND", "serve", "conversations", "tenants"}, nil},
		{[]string{"-h"}, 0, []string{"Commands:", "attachments"}, nil},
		{[]string{"help", "conversations"}, 0, []string{"convstore conversations COMMAND", "delete"}, nil},
		{[]string{"help", "conversations", "list"}, 0, []string{"Usage: convstore conversations list", "--agent-id", "CONVSTORE_URL"}, nil},
		{[]string{"conversations", "--help"}, 0, []string{"list", "create"}, nil},
		{[]string{"conversations", "list", "-h"}, 0, nil, []string{"Usage: convstore conversations list", "--limit", "CONVSTORE_KEY"}},
		{[]string{"serve", "-h"}, 0, nil, []string{"--addr", "CONVSTORE_ADDR", "--shutdown-timeout", "127.0.0.1:8080"}},
		{[]string{"tenants", "create", "-h"}, 0, nil, []string{"--db", "CONVSTORE_DB"}},
		{nil, 2, nil, []string{"missing command", "Commands:"}},
		{[]string{"bogus"}, 2, nil, []string{`unknown command "bogus"`}},
		{[]string{"conversations", "frob"}, 2, nil, []string{`unknown command "frob"`, "list"}},
		{[]string{"conversations", "get"}, 2, nil, []string{"want 1 argument(s): CONVERSATION_ID", "Usage: convstore conversations get"}},
		{[]string{"conversations", "get", "123"}, 2, nil, []string{`conversation id "123" is not a valid id`}},
		{[]string{"conversations", "list", "--nope"}, 2, nil, []string{"flag provided but not defined: -nope"}},
		{[]string{"conversations", "list", "--limit", "x"}, 2, nil, []string{"invalid value"}},
		{[]string{"conversations", "list", "--created-after", "yesterday"}, 2, nil, []string{"RFC 3339"}},
		{[]string{"messages", "add", "conv_01hzzzzzzzzzzzzzzzzzzzzzzz"}, 2, nil, []string{"no messages"}},
		{[]string{"messages", "add", "conv_01hzzzzzzzzzzzzzzzzzzzzzzz", "--message", "robot:hi"}, 2, nil, []string{"role:content"}},
		{[]string{"keys", "create"}, 2, nil, []string{"--scope is required"}},
		{[]string{"artifacts", "add", "conv_01hzzzzzzzzzzzzzzzzzzzzzzz", "--text", "x"}, 2, nil, []string{"--type is required"}},
		{[]string{"serve", "--log-level", "loud"}, 1, nil, []string{"log level \"loud\""}},
		{[]string{"serve", "extra"}, 2, nil, []string{"unexpected argument"}},
	}
	for _, tt := range tests {
		stdout, stderr, code := runCLI(t, env, nil, tt.args...)
		if code != tt.code {
			t.Errorf("convstore %v: exit %d, want %d\nstdout: %s\nstderr: %s", tt.args, code, tt.code, stdout, stderr)
			continue
		}
		wantContains(t, strings.Join(tt.args, " ")+" stdout", stdout, tt.stdout...)
		wantContains(t, strings.Join(tt.args, " ")+" stderr", stderr, tt.stderr...)
	}

	// No key at all is a usage error naming both ways to give one.
	_, stderr, code := runCLI(t, nil, nil, "conversations", "list")
	if code != 2 {
		t.Fatalf("no key: exit %d", code)
	}
	wantContains(t, "no key", stderr, "--key", "CONVSTORE_KEY")
}
