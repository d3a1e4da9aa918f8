package main

import (
	"context"
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

// TestServeMessageCap checks that --max-conversation-messages and its
// environment variable reach the engine, and that a bad value is refused.
func TestServeMessageCap(t *testing.T) {
	t.Parallel()
	if got := DefaultConfig().MaxConversationMessages; got != convstore.DefaultMaxConversationMessages {
		t.Fatalf("default cap %d, want %d", got, convstore.DefaultMaxConversationMessages)
	}
	for name, start := range map[string]func() *testServer{
		"flag": func() *testServer { return startServer(t, "--max-conversation-messages", "3") },
		"env": func() *testServer {
			return startServerEnv(t, t.TempDir(), map[string]string{
				"CONVSTORE_BOOTSTRAP_KEY": testKey, "CONVSTORE_MAX_CONVERSATION_MESSAGES": "3",
			})
		},
	} {
		t.Run(name, func(t *testing.T) {
			c, ctx := start().client(), context.Background()
			conv, _, err := c.CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{
				{Role: convstore.RoleUser, Content: "one"}, {Role: convstore.RoleAssistant, Content: "two"},
			}})
			if err != nil {
				t.Fatal(err)
			}
			batch := []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "three"}, {Role: convstore.RoleUser, Content: "four"}}
			_, err = c.CreateMessages(ctx, convstore.ID{}, conv.ID, batch)
			if !convstore.IsMessageCapError(err) || !strings.Contains(convstore.ErrorMessage(err), "3 messages") {
				t.Fatalf("append past a cap of 3: %v, want the cap error", err)
			}
			if _, err := c.CreateMessages(ctx, convstore.ID{}, conv.ID, batch[:1]); err != nil {
				t.Fatalf("append up to the cap: %v", err)
			}
		})
	}
	_, stderr, code := runCLI(t, map[string]string{"CONVSTORE_DATA": t.TempDir(), "CONVSTORE_BOOTSTRAP_KEY": testKey}, nil,
		"serve", "--addr", "127.0.0.1:0", "--max-conversation-messages", "0")
	if code == 0 {
		t.Fatal("--max-conversation-messages 0: exit 0")
	}
	wantContains(t, "stderr", stderr, "--max-conversation-messages 0: must be positive")
}
