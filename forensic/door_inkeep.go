package forensic

import (
	"context"
	"net/url"
)

// writeInkeep logs a conversation through Inkeep Analytics with the
// client's own id, conversation strings, properties, user properties and
// tags, messages with names, client ids, links and properties; logs it
// again with one more message (an upsert); submits feedback on a message;
// reads it back; and deletes through the door.
func (w *Workload) writeInkeep(ctx context.Context, deleted bool) error {
	const door = "inkeep"
	c := w.canaries(door, deleted)
	h := w.bearer()
	clientID := c("conversation id (client's)")
	messages := []map[string]any{
		{
			"id": c("message id (client's)"), "role": "user", "content": sentence(c("message content")), "name": c("message name"),
			"properties": map[string]string{"locale": sentence(c("message properties"))},
		},
		{
			"role": "assistant", "content": sentence(c("assistant message content")),
			"links": []map[string]string{{"url": "https://example.com/" + c("message link url"), "title": sentence(c("message link title"))}},
		},
	}
	body := map[string]any{
		"id": clientID, "type": "openai",
		"externalId":     c("externalId"),
		"externalUrl":    "https://example.com/" + c("externalUrl"),
		"properties":     map[string]string{"source": sentence(c("properties"))},
		"userProperties": map[string]string{"userId": c("userProperties.userId"), "email": c("userProperties.email") + "@example.com"},
		"tags":           []string{c("tags")},
		"messages":       messages,
	}
	path := "/compat/inkeep/conversations"
	var logged struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if err := w.doJSON(ctx, request{method: "POST", path: path, header: h, want: 200, body: body}, &logged); err != nil {
		return err
	}
	// Inkeep's upsert: the whole conversation again, with one more message.
	body["messages"] = append(messages, map[string]any{"role": "user", "content": sentence(c("message content added by upsert"))})
	if _, err := w.do(ctx, request{method: "POST", path: path, header: h, want: 200, body: body}); err != nil {
		return err
	}
	if len(logged.Messages) == 0 {
		return errNoMessages
	}
	if _, err := w.do(ctx, request{method: "POST", path: "/compat/inkeep/feedback", header: h, want: 200, body: map[string]any{
		"type": "negative", "messageId": logged.Messages[0].ID,
		"details": sentence(c("feedback details")),
		"reasons": []map[string]string{{"label": c("feedback reason label"), "details": sentence(c("feedback reason details"))}},
	}}); err != nil {
		return err
	}
	one := path + "/" + url.PathEscape(clientID)
	if _, err := w.do(ctx, request{method: "GET", path: one, header: h, want: 200}); err != nil {
		return err
	}
	w.onDelete(deleted, door, func(ctx context.Context) error {
		_, err := w.do(ctx, request{method: "DELETE", path: one, header: h, want: 200})
		return err
	})
	return nil
}
