package inkeep_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

// TestEvents logs conversation and message events (by the client's ids)
// and refuses what it cannot keep with a conversation of the tenant.
func TestEvents(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.must(t, "POST", "/conversations", map[string]any{"id": "ev", "type": "openai", "messages": []any{
		map[string]any{"id": "cm1", "role": "user", "content": "q"}}})
	msgID := msgs(c)[0]["id"].(string)
	r := e.c.Do("POST", "/conversations", map[string]any{"id": "ev-b", "type": "openai", "messages": []any{
		map[string]any{"id": "cmb", "role": "user", "content": "b"}}}, bearer(e.KeyB)...)
	if r.Status != 200 {
		t.Fatal(r)
	}
	ev := e.must(t, "POST", "/events", map[string]any{"entityType": "conversation", "type": "opened", "conversationId": "ev",
		"projectId": "p1", "properties": map[string]any{"page": "/x"}, "createdAt": "2024-03-01T10:00:00+01:00"})
	keysOf(t, "event", ev, "id", "type", "entityType", "conversationId", "createdAt", "projectId", "integrationId", "properties", "userProperties")
	if !strings.HasPrefix(ev["id"].(string), "art_") || ev["conversationId"] != "ev" || ev["projectId"] != "p1" || ev["integrationId"] != nil ||
		ev["createdAt"] != "2024-03-01T09:00:00.000Z" || ev["type"] != "opened" {
		t.Fatalf("conversation event %v", ev)
	}
	mev := e.must(t, "POST", "/events", map[string]any{"entityType": "message", "type": "copied", "messageId": "cm1"})
	keysOf(t, "event", mev, "id", "type", "entityType", "messageId", "createdAt", "projectId", "integrationId", "properties", "userProperties")
	if mev["messageId"] != msgID {
		t.Fatalf("message event %v", mev)
	}
	a, err := e.Store.FindArtifactByID(context.Background(), e.TenantA, convstore.ID{}, mustParse(t, convstore.PrefixArtifact, mev["id"].(string)))
	if err != nil || a.Type != convstore.ArtifactOther || a.Text != "copied" || len(a.MessageIDs) != 1 || a.MessageIDs[0].Format(convstore.PrefixMessage) != msgID {
		t.Fatalf("event artifact %+v %v", a, err)
	}
	var data map[string]map[string]any
	if json.Unmarshal(a.Data, &data) != nil || data["inkeep_event"]["entityType"] != "message" {
		t.Fatalf("event data %s", a.Data)
	}
	// The conversation's answers do not show events.
	if got := e.must(t, "GET", "/conversations/ev", nil); len(msgs(got)) != 1 || got["properties"] != nil {
		t.Fatalf("conversation after events %v", got)
	}
	for _, body := range []string{
		`{"type":"x","conversationId":"ev"}`,
		`{"entityType":"user","type":"x","conversationId":"ev"}`,
		`{"entityType":"search","type":"x","searchQuery":"q"}`,
		`{"entityType":"conversation","conversationId":"ev"}`,
		`{"entityType":"conversation","type":"x"}`,
		`{"entityType":"conversation","type":"x","conversationId":"ev-b"}`,
		`{"entityType":"conversation","type":"x","conversationId":"nope"}`,
		`{"entityType":"message","type":"x","messageId":"cmb"}`,
		`{"entityType":"message","type":"x","messageId":"msg_nope"}`,
		`{"entityType":"conversation","type":"x","conversationId":"ev","properties":[1]}`,
		`{"entityType":"conversation","type":"x","conversationId":"ev","createdAt":"yesterday"}`,
		`{"entityType":"conversation","type":7,"conversationId":"ev"}`,
	} {
		problem(t, e.c.Do("POST", "/events", body, bearer(e.KeyA)...), 422, "unprocessable_entity")
	}
	problem(t, e.c.Do("POST", "/events", `[1]`, bearer(e.KeyA)...), 400, "bad_request")
	// Deleting the conversation deletes its events.
	e.must(t, "DELETE", "/conversations/ev", nil)
	if _, err := e.Store.FindArtifactByID(context.Background(), e.TenantA, convstore.ID{}, a.ID); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("event after the delete: %v", err)
	}
}

// TestFeedbackList pages the tenant's feedback newest first and counts all
// of it; another tenant sees none.
func TestFeedbackList(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.must(t, "POST", "/conversations", map[string]any{"id": "fl", "type": "openai", "messages": []any{
		map[string]any{"id": "q", "role": "user", "content": "q"}, map[string]any{"id": "a", "role": "assistant", "content": "a"}}})
	var ids []string
	for _, typ := range []string{"positive", "negative", "positive"} {
		ids = append(ids, e.must(t, "POST", "/feedback", map[string]any{"type": typ, "messageId": "a"})["id"].(string))
	}
	e.must(t, "POST", "/events", map[string]any{"entityType": "message", "type": "x", "messageId": "a"}) // not feedback
	all := e.must(t, "GET", "/feedback", nil)
	keysOf(t, "feedback list", all, "positiveFeedbackCount", "negativeFeedbackCount", "positiveFeedback", "negativeFeedback")
	pos, neg := all["positiveFeedback"].([]any), all["negativeFeedback"].([]any)
	if all["positiveFeedbackCount"] != 2.0 || all["negativeFeedbackCount"] != 1.0 || len(pos) != 2 || len(neg) != 1 ||
		pos[0].(map[string]any)["id"] != ids[2] || pos[1].(map[string]any)["id"] != ids[0] {
		t.Fatalf("feedback list %v", all)
	}
	f0 := pos[0].(map[string]any)
	checkConversation(t, f0["conversation"].(map[string]any))
	if f0["message"].(map[string]any)["id"] != msgs(c)[1]["id"] || f0["messageId"] != msgs(c)[1]["id"] {
		t.Fatalf("embedded message %v", f0)
	}
	page := e.must(t, "GET", "/feedback?limit=1&offset=1", nil)
	if page["positiveFeedbackCount"] != 2.0 || len(page["positiveFeedback"].([]any)) != 0 || len(page["negativeFeedback"].([]any)) != 1 {
		t.Fatalf("second page %v", page)
	}
	if empty := e.must(t, "GET", "/feedback?limit=0", nil); len(empty["positiveFeedback"].([]any)) != 0 || empty["negativeFeedbackCount"] != 1.0 {
		t.Fatalf("limit 0 %v", empty)
	}
	for _, q := range []string{"limit=101", "limit=x", "offset=-1"} {
		problem(t, e.c.Do("GET", "/feedback?"+q, nil, bearer(e.KeyA)...), 400, "bad_request")
	}
	b := e.c.Do("GET", "/feedback", nil, bearer(e.KeyB)...)
	if b.Status != 200 || b.Map(t)["positiveFeedbackCount"] != 0.0 || len(b.Map(t)["positiveFeedback"].([]any)) != 0 {
		t.Fatalf("tenant B's list %v", b)
	}
}

// TestGetByExternalID finds a conversation by its externalId member: the
// newest of the tenant's; another tenant's answers like a missing one.
func TestGetByExternalID(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.must(t, "POST", "/conversations", map[string]any{"id": "x1", "type": "openai", "externalId": "ticket-1", "messages": []any{
		map[string]any{"role": "user", "content": "one"}}})
	e.must(t, "POST", "/conversations", map[string]any{"id": "x2", "type": "openai", "externalId": "ticket-1", "messages": []any{
		map[string]any{"role": "user", "content": "two"}}})
	r := e.c.Do("POST", "/conversations", map[string]any{"id": "xb", "type": "openai", "externalId": "ticket-b", "messages": []any{
		map[string]any{"role": "user", "content": "b"}}}, bearer(e.KeyB)...)
	if r.Status != 200 {
		t.Fatal(r)
	}
	got := e.must(t, "GET", "/conversations/external/ticket-1", nil)
	checkConversation(t, got)
	if got["id"] != "x2" || got["externalId"] != "ticket-1" {
		t.Fatalf("by external id %v", got)
	}
	if got := e.compat.Do("GET", "/compat/inkeep/conversations/external/ticket-1", nil, bearer(e.KeyA)...); got.Status != 200 {
		t.Fatalf("compat %v", got)
	}
	missing := e.c.Do("GET", "/conversations/external/nope", nil, bearer(e.KeyA)...)
	foreign := e.c.Do("GET", "/conversations/external/ticket-b", nil, bearer(e.KeyA)...)
	problem(t, missing, 404, "not_found")
	problem(t, foreign, 404, "not_found")
	if withoutRequest(t, missing) != withoutRequest(t, foreign) {
		t.Fatalf("foreign %s vs missing %s", foreign.Body, missing.Body)
	}
	// Deleted: gone from the lookup too.
	e.must(t, "DELETE", "/conversations/x2", nil)
	if got := e.must(t, "GET", "/conversations/external/ticket-1", nil); got["id"] != "x1" {
		t.Fatalf("after deleting the newest %v", got)
	}
}
