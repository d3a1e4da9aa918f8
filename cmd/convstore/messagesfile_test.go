package main

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
)

// TestMessagesAddFileShapes: --file takes what POST …/messages takes (a
// single message object, {"messages":[…]}) and an array, as strictly as
// the API.
func TestMessagesAddFileShapes(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	var conv api.Conversation
	ts.mustJSON(t, &conv, "conversations", "create")
	for _, in := range []string{
		`{"role":"user","content":"one"}`,
		`{"messages":[{"role":"assistant","content":"two"}]}`,
		` [{"role":"user","content":"three"},{"role":"tool","content":"four","start_offset_ms":5}]`,
	} {
		stdout, stderr, code := ts.cliWith(t, ts.key, strings.NewReader(in), "messages", "add", conv.ID, "--file", "-")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", in, code, stderr)
		}
		wantContains(t, in, stdout, "ROLE", "CONTENT")
	}
	var l api.List[api.Message]
	ts.mustJSON(t, &l, "messages", "list", conv.ID)
	var got []string
	for _, m := range l.Data {
		got = append(got, m.Content)
	}
	if strings.Join(got, ",") != "one,two,three,four" {
		t.Fatalf("stored %v", got)
	}
	for _, in := range []string{
		`{"role":"user","content":"x","Content":"y"}`,
		`{"messages":[{"role":"user","content":"x","rol":"y"}]}`,
		`[{"role":"user","content":"x","content":"y"}]`,
		`null`, `"text"`, ``,
	} {
		_, stderr, code := ts.cliWith(t, ts.key, strings.NewReader(in), "messages", "add", conv.ID, "--file", "-")
		if code != 2 || !strings.Contains(stderr, "--file -:") {
			t.Errorf("%q: exit %d: %s", in, code, stderr)
		}
	}
}

// TestDeletionsListDoor: the receipts table says which door deleted.
func TestDeletionsListDoor(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	var conv api.Conversation
	ts.mustJSON(t, &conv, "conversations", "create")
	ts.mustCLI(t, "conversations", "delete", conv.ID)
	out := ts.mustCLI(t, "deletions", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], " DOOR ") || !strings.Contains(lines[1], " native ") {
		t.Fatalf("deletions list:\n%s", out)
	}
}
