package forensic

import (
	"context"
)

// botpressBot is the bot (x-bot-id, the conversations' agent).
const botpressBot = "bot_forensic"

// writeBotpress writes through Botpress's chat API: a get-or-create with
// tags and properties (names and values), a PUT adding more, a message
// with payload, user id and tags, and a user (an end-user record, sealed
// under a key of its own) with a name, picture URL and tags; then lists
// and deletes through the door (the conversation and the user).
func (w *Workload) writeBotpress(ctx context.Context, deleted bool) error {
	const door = "botpress"
	c := w.canaries(door, deleted)
	h := auth("Authorization", "Bearer "+w.Key, "x-bot-id", botpressBot)
	var created struct {
		Conversation conversationID `json:"conversation"`
	}
	err := w.doJSON(ctx, request{method: "POST", path: "/compat/botpress/v1/chat/conversations/get-or-create", header: h, want: 200, body: map[string]any{
		"channel":    "web",
		"tags":       map[string]string{c("conversation tag name"): "x", "topic": sentence(c("conversation tag value"))},
		"properties": map[string]string{"plan": sentence(c("conversation property value")), c("conversation property name"): "x"},
	}}, &created)
	if err != nil {
		return err
	}
	id := created.Conversation.ID
	steps := []request{
		{method: "PUT", path: "/compat/botpress/v1/chat/conversations/" + id, want: 200, body: map[string]any{
			"tags": map[string]string{"added": sentence(c("tag value added by PUT"))},
		}},
		{method: "POST", path: "/compat/botpress/v1/chat/messages", want: 200, body: map[string]any{
			"conversationId": id,
			"userId":         c("message userId"),
			"type":           "text",
			"payload":        map[string]string{"text": sentence(c("message payload.text")), "caption": sentence(c("message payload, other member"))},
			"tags":           map[string]string{"mood": sentence(c("message tag value"))},
		}},
		{method: "GET", path: "/compat/botpress/v1/chat/messages?conversationId=" + id, want: 200},
	}
	var user struct {
		User conversationID `json:"user"`
	}
	if err := w.doJSON(ctx, request{method: "POST", path: "/compat/botpress/v1/chat/users", header: h, want: 200, body: map[string]any{
		"name":       c("user name"),
		"pictureUrl": "https://example.com/" + c("user picture URL"),
		"tags":       map[string]string{"crm": c("user tag value")},
	}}, &user); err != nil {
		return err
	}
	for _, r := range steps {
		r.header = h
		if _, err := w.do(ctx, r); err != nil {
			return err
		}
	}
	w.onDelete(deleted, door, func(ctx context.Context) error {
		if _, err := w.do(ctx, request{method: "DELETE", path: "/compat/botpress/v1/chat/users/" + user.User.ID, header: h, want: 200}); err != nil {
			return err
		}
		_, err := w.do(ctx, request{method: "DELETE", path: "/compat/botpress/v1/chat/conversations/" + id, header: h, want: 200, body: map[string]any{}})
		return err
	})
	return nil
}
