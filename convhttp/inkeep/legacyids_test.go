package inkeep_test

import (
	"context"
	"database/sql"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/convstore/convstore"
)

// TestLegacyClientMessageIDs: messages this door stored before client
// message ids were indexed (0022) kept the client's id in metadata
// "inkeep.id"; migration 0025 lists their conversations and the store's
// backfill indexes those ids, after which feedback and message events
// name the messages by the client's id; before, they were 422. Another
// tenant's client id never names them.
func TestLegacyClientMessageIDs(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	// As the door stored a conversation logged with ids before 0022.
	conv, stored, err := e.Store.CreateConversation(ctx, e.TenantA, &convstore.ConversationCreate{ExternalID: "inkeep:legacy",
		Messages: []*convstore.MessageCreate{
			{Role: convstore.RoleUser, Content: "q", Metadata: convstore.Metadata{convstore.LegacyMessageExternalIDKey: "old-m1"}},
			{Role: convstore.RoleAssistant, Content: "a", Metadata: convstore.Metadata{convstore.LegacyMessageExternalIDKey: "old-m2"}},
		}})
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+e.DBPath+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`DELETE FROM message_external_ids WHERE conversation_id = ?`, conv.ID[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO message_ids_pending (tenant_id, conversation_id) VALUES (?, ?)`, e.TenantA[:], conv.ID[:]); err != nil {
		t.Fatal(err)
	}
	problem(t, e.c.Do("POST", "/feedback", map[string]any{"type": "positive", "messageId": "old-m2"}, bearer(e.KeyA)...), 422, "unprocessable_entity")

	backfill, ok := e.Store.(interface {
		BackfillMessageIDs(context.Context, int, func(int)) (int, error)
	})
	if !ok {
		t.Fatal("the store has no message-id backfill")
	}
	if n, err := backfill.BackfillMessageIDs(ctx, 0, nil); err != nil || n != 1 {
		t.Fatalf("BackfillMessageIDs = %d, %v", n, err)
	}
	fb := e.must(t, "POST", "/feedback", map[string]any{"type": "positive", "messageId": "old-m2"})
	if fb["messageId"] != stored[1].ID.Format(convstore.PrefixMessage) {
		t.Fatalf("feedback %v, want message %s", fb, stored[1].ID.Format(convstore.PrefixMessage))
	}
	ev := e.must(t, "POST", "/events", map[string]any{"entityType": "message", "type": "copied", "messageId": "old-m1"})
	if ev["messageId"] != stored[0].ID.Format(convstore.PrefixMessage) {
		t.Fatalf("event %v", ev)
	}
	// Re-logging the conversation with the same ids appends nothing.
	c := e.must(t, "POST", "/conversations", map[string]any{"id": "legacy", "type": "openai", "messages": []any{
		map[string]any{"id": "old-m1", "role": "user", "content": "q"}, map[string]any{"id": "old-m2", "role": "assistant", "content": "a"}}})
	if len(msgs(c)) != 2 {
		t.Fatalf("re-logged %v", c)
	}
	problem(t, e.c.Do("POST", "/feedback", map[string]any{"type": "positive", "messageId": "old-m1"}, bearer(e.KeyB)...), 422, "unprocessable_entity")
}
