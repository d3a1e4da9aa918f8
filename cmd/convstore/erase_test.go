package main

import (
	"context"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

func TestCLIErase(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	c := ts.client()
	ctx := context.Background()
	var mine []*convstore.Conversation
	for range 3 {
		conv, _, err := c.CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{UserID: "cli-user",
			Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hello"}}})
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, conv)
	}
	other, _, err := c.CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{UserID: "someone-else"})
	if err != nil {
		t.Fatal(err)
	}

	// Nothing selected is a usage error, never "everything".
	if _, errOut, code := ts.cli(t, "erase"); code != 2 || !strings.Contains(errOut, "nothing selected") {
		t.Errorf("erase without a selector: exit %d, %s", code, errOut)
	}
	if _, errOut, code := ts.cli(t, "erase", "--user-id", "x", "--created-before", "yesterday"); code != 2 {
		t.Errorf("erase with a bad time: exit %d, %s", code, errOut)
	}

	var dry api.Erasure
	ts.mustJSON(t, &dry, "erase", "--user-id", "cli-user", "--dry-run")
	if dry.State != "succeeded" || !dry.DryRun || dry.Progress.Total.Conversations != 3 || dry.Progress.Total.Messages != 3 {
		t.Errorf("dry run: %+v", dry)
	}

	out, errOut, code := ts.cli(t, "erase", "--user-id", "cli-user", "--poll", "20ms")
	if code != 0 {
		t.Fatalf("erase: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	wantContains(t, "erase receipt", out, "state:", "succeeded", "erased:", "3 conversations, 3 messages", "held:", "convstore deletions list --erasure-id erasure_")
	wantContains(t, "erase progress", errOut, "erasing", "3/3")
	if strings.Contains(out, "cli-user") {
		t.Errorf("the receipt shows the user id it erased:\n%s", out)
	}
	for _, conv := range mine {
		if _, err := c.FindConversationByID(ctx, convstore.ID{}, conv.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Errorf("conversation %s after the erase: %v", conv.ID.UUID(), err)
		}
	}
	if _, err := c.FindConversationByID(ctx, convstore.ID{}, other.ID); err != nil {
		t.Errorf("another user's conversation: %v", err)
	}

	var jobs api.List[api.Erasure]
	ts.mustJSON(t, &jobs, "erasures", "list")
	if len(jobs.Data) != 2 || jobs.Data[0].State != "succeeded" || jobs.Data[0].Progress.Done.Conversations != 3 {
		t.Fatalf("erasures list: %+v", jobs.Data)
	}
	id := jobs.Data[0].ID
	var receipts api.List[api.Deletion]
	ts.mustJSON(t, &receipts, "deletions", "list", "--erasure-id", id)
	if len(receipts.Data) != 3 || receipts.Data[0].ErasureID == nil || *receipts.Data[0].ErasureID != id {
		t.Errorf("receipts of the job: %+v", receipts.Data)
	}
	wantContains(t, "erasures get", ts.mustCLI(t, "erasures", "get", id), id, "succeeded")

	// --json waits too and prints the job without a bar.
	out, errOut, code = ts.cli(t, "erase", "--external-id", "none-such", "--json")
	if code != 0 || strings.Contains(errOut, "erasing") || !strings.Contains(out, `"state": "succeeded"`) {
		t.Errorf("erase --json: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	// Canceling a finished job changes nothing.
	wantContains(t, "erasures cancel", ts.mustCLI(t, "erasures", "cancel", id), "succeeded")
}
