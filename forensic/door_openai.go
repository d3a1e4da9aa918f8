package forensic

import (
	"context"
	"net/url"
)

// writeOpenAI writes through the OpenAI Conversations API: a conversation
// with metadata (names and values) and an initial message; items of
// every kind the door stores (a message with text, image and audio parts,
// an assistant answer and a refusal, a reasoning item with its own id and
// encrypted content, a function call and its output); a metadata update;
// reads; an item deleted on its own; then deletes through the door.
func (w *Workload) writeOpenAI(ctx context.Context, deleted bool) error {
	const door = "openai"
	c := w.canaries(door, deleted)
	h := w.bearer()
	var created struct {
		ID string `json:"id"`
	}
	err := w.doJSON(ctx, request{method: "POST", path: "/compat/openai/v1/conversations", header: h, want: 200, body: map[string]any{
		"metadata": map[string]string{c("metadata name (replaced by an update)", Replaced): "x", "topic": sentence(c("metadata value (replaced by an update)", Replaced))},
		"items":    []map[string]any{{"type": "message", "role": "developer", "content": sentence(c("developer message content"))}},
	}}, &created)
	if err != nil {
		return err
	}
	one := "/compat/openai/v1/conversations/" + url.PathEscape(created.ID)
	reasoningID := "rs_" + c("reasoning item id (client's)")
	steps := []request{
		{method: "POST", path: one + "/items", want: 200, body: map[string]any{"items": []map[string]any{
			{"type": "message", "role": "user", "content": []map[string]any{
				{"type": "input_text", "text": sentence(c("input_text part"))},
				{"type": "input_image", "image_url": "https://example.com/" + c("input_image url"), "detail": "auto"},
				{"type": "input_audio", "input_audio": map[string]string{"data": c("input_audio data"), "format": "wav"}},
			}},
			{"type": "reasoning", "id": reasoningID, "summary": []map[string]string{{"type": "summary_text", "text": sentence(c("reasoning summary"))}},
				"encrypted_content": c("reasoning encrypted_content")},
			{"type": "function_call", "call_id": c("function_call call_id"), "name": "lookup", "arguments": `{"q":"` + c("function_call arguments") + `"}`},
			{"type": "function_call_output", "call_id": "call_1", "output": sentence(c("function_call_output output"))},
			{"type": "message", "role": "assistant", "content": []map[string]any{
				{"type": "output_text", "text": sentence(c("output_text part")), "annotations": []any{}},
				{"type": "refusal", "refusal": sentence(c("refusal part"))},
			}},
		}}},
		{method: "POST", path: one, want: 200, body: map[string]any{
			"metadata": map[string]string{c("metadata name set by update"): "x", "topic": sentence(c("metadata value set by update"))},
		}},
		{method: "GET", path: one + "/items?order=asc&limit=100", want: 200},
		{method: "GET", path: one + "/items/" + url.PathEscape(reasoningID), want: 200},
	}
	for _, r := range steps {
		r.header = h
		if _, err := w.do(ctx, r); err != nil {
			return err
		}
	}
	// An item deleted on its own, before the conversation: its content is
	// gone from the live database like a replaced value's.
	var added struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	err = w.doJSON(ctx, request{method: "POST", path: one + "/items", header: h, want: 200, body: map[string]any{"items": []map[string]any{
		{"role": "user", "content": sentence(c("item deleted on its own", Replaced))},
	}}}, &added)
	if err != nil {
		return err
	}
	if len(added.Data) != 1 {
		return errNoMessages
	}
	if _, err := w.do(ctx, request{method: "DELETE", path: one + "/items/" + url.PathEscape(added.Data[0].ID), header: h, want: 200}); err != nil {
		return err
	}
	w.onDelete(deleted, door, func(ctx context.Context) error {
		_, err := w.do(ctx, request{method: "DELETE", path: one, header: h, want: 200})
		return err
	})
	return nil
}
