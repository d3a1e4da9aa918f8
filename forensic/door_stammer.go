package forensic

import (
	"context"
	"net/url"
)

// stammerChatbot is the chatbot (agent) of the Stammer conversations.
const stammerChatbot = "0f8fad5b-d9cb-469f-a165-70867728950e"

// writeStammer writes two queries of one end user through Stammer's
// message endpoint (the user key becomes the conversation's user id and
// part of its external id; a custom system prompt is kept in the message's
// parts), lists the conversations, and deletes by deactivating.
func (w *Workload) writeStammer(ctx context.Context, deleted bool) error {
	const door = "stammer"
	c := w.canaries(door, deleted)
	token := auth("Authorization", "Token "+w.Key)
	userKey := c("user_key")
	var answer struct {
		ConversationUUID string `json:"conversation_uuid"`
	}
	err := w.doJSON(ctx, request{method: "POST", path: "/compat/stammer/en/chatbot/api/v1/message/", header: token, want: 200, body: map[string]string{
		"chatbot_uuid": stammerChatbot, "user_key": userKey,
		"query":                     sentence(c("query")),
		"custom_base_system_prompt": sentence(c("custom_base_system_prompt")),
	}}, &answer)
	if err != nil {
		return err
	}
	if _, err := w.do(ctx, request{method: "POST", path: "/compat/stammer/en/chatbot/api/v1/message/", header: token, want: 200, body: map[string]string{
		"chatbot_uuid": stammerChatbot, "user_key": userKey, "query": sentence(c("second query")),
	}}); err != nil {
		return err
	}
	list := "/compat/stammer/en/chatbot/api/v1/conversations/?" + url.Values{"onlyDeletedConversations": {"false"}, "chatbot_uuid": {stammerChatbot}}.Encode()
	if _, err := w.do(ctx, request{method: "GET", path: list, header: token, want: 200}); err != nil {
		return err
	}
	w.onDelete(deleted, door, func(ctx context.Context) error {
		_, err := w.do(ctx, request{method: "POST", path: "/compat/stammer/en/chatbot/api/v1/conversation/" + answer.ConversationUUID + "/deactivate/",
			header: token, want: 200})
		return err
	})
	return nil
}
