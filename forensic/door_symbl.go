package forensic

import (
	"context"
	"fmt"
	"net/url"
)

// writeSymbl writes a conversation through Symbl's Async Text API (name,
// messages with speaker names and user ids), appends and renames it with
// PUT, adds the insights Symbl serves from artifacts (through the native
// API, as Symbl has no route to write them), reads them through the door,
// and deletes through the door.
func (w *Workload) writeSymbl(ctx context.Context, deleted bool) error {
	const door = "symbl"
	c := w.canaries(door, deleted)
	bearer := w.bearer() // a raw key is a valid Symbl access token
	userID := c("from.userId")
	message := func(content, name string) map[string]any {
		return map[string]any{
			"payload":  map[string]string{"content": content, "contentType": "text/plain"},
			"from":     map[string]string{"name": name, "userId": userID},
			"duration": map[string]string{"startTime": "2026-01-05T10:00:00Z", "endTime": "2026-01-05T10:00:04Z"},
		}
	}
	var job struct {
		ConversationID string `json:"conversationId"`
	}
	err := w.doJSON(ctx, request{method: "POST", path: "/compat/symbl/v1/process/text", header: bearer, want: 201, body: map[string]any{
		"name":     sentence(c("name (replaced by PUT)", Replaced)),
		"messages": []map[string]any{message(sentence(c("message content")), c("from.name"))},
	}}, &job)
	if err != nil {
		return err
	}
	base := "/compat/symbl/v1"
	if _, err := w.do(ctx, request{method: "PUT", path: base + "/process/text/" + job.ConversationID, header: bearer, want: 201, body: map[string]any{
		"name":     sentence(c("name")),
		"messages": []map[string]any{message(sentence(c("appended message content")), c("appended from.name"))},
	}}); err != nil {
		return err
	}
	// The native id, for the artifacts: every message shares one user
	// id, which became the conversation's.
	var list struct {
		Data []conversationID `json:"data"`
	}
	if err := w.doJSON(ctx, request{method: "GET", path: "/v1/conversations?" + url.Values{"user_id": {userID}}.Encode(), header: bearer, want: 200}, &list); err != nil {
		return err
	}
	if len(list.Data) != 1 {
		return fmt.Errorf("the native API lists %d conversations of the Symbl user, want 1", len(list.Data))
	}
	native := "/v1/conversations/" + list.Data[0].ID + "/artifacts"
	for _, a := range []map[string]any{
		{"type": "action_item", "text": sentence(c("action item text")), "data": map[string]any{"symbl": map[string]any{"assignee": map[string]string{"name": c("action item assignee")}}}},
		{"type": "topic", "text": sentence(c("topic text"))},
		{"type": "question", "text": sentence(c("question text"))},
		{"type": "follow_up", "text": sentence(c("follow-up text"))},
		{"type": "summary", "text": sentence(c("summary text"))},
	} {
		if _, err := w.do(ctx, request{method: "POST", path: native, header: bearer, want: 201, body: a}); err != nil {
			return err
		}
	}
	conv := base + "/conversations/" + job.ConversationID
	for _, read := range []string{"", "/messages", "/members", "/insights", "/topics", "/summary"} {
		if _, err := w.do(ctx, request{method: "GET", path: conv + read, header: bearer, want: 200}); err != nil {
			return err
		}
	}
	w.onDelete(deleted, door, func(ctx context.Context) error {
		_, err := w.do(ctx, request{method: "DELETE", path: conv, header: bearer, want: 200})
		return err
	})
	return nil
}
