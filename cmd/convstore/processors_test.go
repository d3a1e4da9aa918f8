package main

import (
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore/api"
)

// TestCLIDownstreamConfirmations registers processors, deletes, lists
// what waits on them (and what is overdue), confirms with a processor's
// own key and with the admin key, and removes a processor.
func TestCLIDownstreamConfirmations(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	var p api.Processor
	ts.mustJSON(t, &p, "processors", "add", "vector-index", "--deadline", "1s")
	if p.Name != "vector-index" || p.DeadlineSeconds != 1 {
		t.Fatalf("processor %+v", p)
	}
	out := ts.mustCLI(t, "processors", "add", "analytics")
	wantContains(t, "processors add", out, "analytics", "72h")
	out = ts.mustCLI(t, "processors", "list")
	wantContains(t, "processors list", out, "NAME", "DEADLINE", "analytics", "vector-index", "72h", "1s")
	if _, stderr, code := ts.cli(t, "processors", "add", "Bad Name"); code == 0 || !strings.Contains(stderr, "a-z, 0-9") {
		t.Fatalf("a bad name: exit %d, %s", code, stderr)
	}

	var k api.APIKey
	ts.mustJSON(t, &k, "keys", "create", "--name", "vi", "--scope", "confirm", "--processor", "vector-index")
	var conv api.Conversation
	ts.mustJSON(t, &conv, "conversations", "create")
	var del api.ConversationDeleted
	ts.mustJSON(t, &del, "conversations", "delete", conv.ID)
	id := del.Receipt.ID

	out = ts.mustCLI(t, "deletions", "pending")
	wantContains(t, "deletions pending", out, "WAITING ON", id, "analytics", "vector-index")
	time.Sleep(1100 * time.Millisecond) // past vector-index's deadline
	out = ts.mustCLI(t, "deletions", "pending", "--overdue")
	wantContains(t, "deletions pending --overdue", out, id, "vector-index (overdue)")
	var pending api.List[api.Deletion]
	ts.mustJSON(t, &pending, "deletions", "pending", "--overdue")
	if len(pending.Data) != 1 || pending.Data[0].Complete {
		t.Fatalf("pending --overdue --json: %+v", pending.Data)
	}

	// The processor's own key confirms without naming it; the admin key
	// must name one.
	out, stderr, code := ts.cliWith(t, k.Secret, nil, "deletions", "confirm", id, "--note", "vectors gone")
	if code != 0 {
		t.Fatalf("confirm with the processor's key: %s", stderr)
	}
	wantContains(t, "deletions confirm", out, "confirmation.vector-index", "confirmed", "complete", "no")
	out, _, _ = ts.cliWith(t, k.Secret, nil, "deletions", "confirm", id)
	wantContains(t, "confirm again", out, "already confirmed")
	_, stderr, code = ts.cli(t, "deletions", "confirm", id)
	if code != 1 || !strings.Contains(stderr, "processor is required") {
		t.Fatalf("admin confirm without --processor: exit %d, %s", code, stderr)
	}
	_, stderr, _ = ts.cliWith(t, k.Secret, nil, "deletions", "list")
	wantContains(t, "a confirm key listing", stderr, "code: forbidden")
	var done api.Deletion
	ts.mustJSON(t, &done, "deletions", "confirm", id, "--processor", "analytics")
	if !done.Complete {
		t.Fatalf("after both confirmations: %+v", done)
	}
	out = ts.mustCLI(t, "deletions", "get", id)
	wantContains(t, "deletions get", out, "confirmation.analytics", "confirmation.vector-index", "complete")
	out = ts.mustCLI(t, "deletions", "pending")
	if strings.Contains(out, id) {
		t.Fatalf("a complete receipt is listed as pending:\n%s", out)
	}

	out = ts.mustCLI(t, "processors", "remove", "analytics")
	wantContains(t, "processors remove", out, "removed analytics", "0 confirmations withdrawn")
}
