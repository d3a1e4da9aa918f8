package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

func TestTermSafe(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"Billing call":        "Billing call",
		"ünï 🎧 C:\\path":      "ünï 🎧 C:\\path",
		"\x1b[2J\nadmin":      `\x1b[2J\nadmin`,
		"a\tb\rc\x00d\x7f":    `a\tb\rc\x00d\x7f`,
		"bell\x07":            `bell\x07`,
		"csi\u009b31m":        `csi\u009b31m`,
		"rtl\u202eexe.txt":    `rtl\u202eexe.txt`,
		"line\u2028sep":       `line\u2028sep`,
		"bad\xffutf8":         `bad\xffutf8`,
		"\x1b]0;title\x1b\\x": `\x1b]0;title\x1b\x`,
	}
	for in, want := range tests {
		if got := termSafe(in); got != want {
			t.Errorf("termSafe(%q) = %q, want %q", in, got, want)
		}
		if strings.ContainsAny(termSafe(in), "\x1b\n\r\t\x07\u009b\u202e") {
			t.Errorf("termSafe(%q) still holds a control character", in)
		}
	}
}

// hostile is a value a write key could only have stored before the domain
// refused control characters: it clears the screen, homes the cursor and
// forges a line.
const hostile = "\x1b[2J\x1b[H\nadmin\x1b]0;pwned\x07"

// TestCLIEscapesStoredText writes hostile text straight into the SQLite
// file, past the domain's validation, and checks that every human-readable
// view prints it escaped while --json keeps it as JSON.
func TestCLIEscapesStoredText(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.client()
	ctx := context.Background()
	conv, _, err := c.CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{Title: "clean", UserID: "u",
		Metadata: convstore.Metadata{"k": "v"},
		Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "clean", AuthorName: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateArtifact(ctx, convstore.ID{}, conv.ID, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "clean"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateKey(ctx, convstore.ID{}, &convstore.KeyCreate{Name: "clean", Scopes: []convstore.Scope{convstore.ScopeRead}}, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(ts.dir, "convstore.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	meta, _ := json.Marshal(map[string]string{"k" + hostile: hostile})
	for _, q := range []string{
		`UPDATE conversations SET title = ?1, user_id = ?1, agent_id = ?1`,
		`UPDATE messages SET content = ?1, author_name = ?1`,
		`UPDATE artifacts SET text = ?1`,
		`UPDATE api_keys SET name = ?1 WHERE name = 'clean'`,
	} {
		if _, err := db.Exec(q, hostile); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := db.Exec(`UPDATE conversations SET metadata = ?`, string(meta)); err != nil {
		t.Fatal(err)
	}
	id := conv.ID.Format(convstore.PrefixConversation)
	msgs, _, err := c.FindMessages(ctx, convstore.ID{}, conv.ID, convstore.MessageFilter{})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages: %v %v", msgs, err)
	}
	arts, _, err := c.FindArtifacts(ctx, convstore.ID{}, conv.ID, convstore.ArtifactFilter{})
	if err != nil || len(arts) != 1 {
		t.Fatalf("artifacts: %v %v", arts, err)
	}
	views := [][]string{
		{"conversations", "list"},
		{"conversations", "get", id},
		{"messages", "list", id},
		{"messages", "get", id, msgs[0].ID.Format(convstore.PrefixMessage)},
		{"artifacts", "list", id},
		{"artifacts", "get", id, arts[0].ID.Format(convstore.PrefixArtifact)},
		{"keys", "list"},
	}
	for _, args := range views {
		out := ts.mustCLI(t, args...)
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("convstore %s printed a raw control character:\n%q", strings.Join(args, " "), out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "admin") {
				t.Errorf("convstore %s printed a forged line %q", strings.Join(args, " "), line)
			}
		}
		if !strings.Contains(out, `\x1b[2J`) {
			t.Errorf("convstore %s does not show the escape visibly:\n%s", strings.Join(args, " "), out)
		}
		// --json stays JSON, with the text intact.
		jsonOut := ts.mustCLI(t, append(args, "--json")...)
		if strings.ContainsAny(jsonOut, "\x1b\x07") || !json.Valid([]byte(jsonOut)) || !strings.Contains(jsonOut, `\u001b[2J`) {
			t.Errorf("convstore %s --json: %s", strings.Join(args, " "), jsonOut)
		}
	}
}

// TestCLIEscapesServerErrors: an error's detail, code, field and request
// id come from the server (or a proxy); they are printed escaped too.
func TestCLIEscapesServerErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", api.ContentTypeProblem)
		w.WriteHeader(http.StatusNotFound)
		json.NewEncoder(w).Encode(api.Problem{Status: 404, Title: "Not Found", Code: "not_found\x1b[2J",
			Detail: "gone\x1b]0;pwned\x07\nconvstore: all clear", Field: "f\x1b", RequestID: "req\r\x1b[K"})
	}))
	defer srv.Close()
	_, stderr, code := runCLI(t, map[string]string{"CONVSTORE_URL": srv.URL, "CONVSTORE_KEY": testKey}, nil,
		"conversations", "get", "conv_"+convstore.NewID().Base32())
	if code != exitError || strings.ContainsAny(stderr, "\x1b\x07\r") || strings.Contains(stderr, "\nconvstore: all clear") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	wantContains(t, "stderr", stderr, `gone\x1b]0;pwned\x07\nconvstore: all clear`, `not_found\x1b[2J`, `req\r\x1b[K`)
}
