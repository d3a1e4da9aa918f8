package forensic

import (
	"context"
	"net/http"
)

// Sizes of the large values: past PostgreSQL's 2 KB TOAST threshold, so
// they land in TOAST tables and SQLite overflow pages, and (attachments)
// past one SQLite page.
const (
	largeMessageBytes = 12 << 10
	attachmentBytes   = 64 << 10
)

// bearer is the native API's authorization header.
func (w *Workload) bearer() http.Header { return auth("Authorization", "Bearer "+w.Key) }

// conversationID is the id member of a native answer.
type conversationID struct {
	ID string `json:"id"`
}

// writeNative writes every content field of the native API: a
// conversation with title (then replaced), metadata, user and external
// ids and messages, a large message, an artifact and an attachment; and a
// second create with the same external id, which must be a conflict that
// leaves no trace.
func (w *Workload) writeNative(ctx context.Context, deleted bool) error {
	const door = "native"
	c := w.canaries(door, deleted)
	externalID := c("external_id")
	var conv conversationID
	err := w.doJSON(ctx, request{method: "POST", path: "/v1/conversations", header: w.bearer(), want: 201, body: map[string]any{
		"title":       sentence(c("title (replaced by an update)", Replaced)),
		"user_id":     c("user_id"),
		"external_id": externalID,
		"metadata":    map[string]string{"topic": sentence(c("metadata value")), c("metadata key"): "x"},
		"messages": []map[string]any{{
			"role":        "user",
			"content":     sentence(c("message content")),
			"author_name": c("message author_name"),
			"metadata":    map[string]string{"channel": c("message metadata value")},
			"parts":       []map[string]string{{"type": "text", "text": sentence(c("message parts"))}},
		}},
	}}, &conv)
	if err != nil {
		return err
	}
	base := "/v1/conversations/" + conv.ID
	steps := []request{
		{method: "PATCH", path: base, want: 200, body: map[string]any{"title": sentence(c("title"))}},
		// A duplicate external id is a conflict: its value must not
		// reach a log on the way (a unique violation's DETAIL line).
		{method: "POST", path: "/v1/conversations", want: 409, body: map[string]any{"external_id": externalID}},
		{method: "POST", path: base + "/messages", want: 201, body: map[string]any{"messages": []map[string]any{{
			"role": "assistant", "content": largeText(c("message content, 12 KiB", LargeText), largeMessageBytes),
		}}}},
		{method: "POST", path: base + "/artifacts", want: 201, body: map[string]any{
			"type": "summary", "text": sentence(c("artifact text")),
			"data": map[string]any{"notes": sentence(c("artifact data"))},
		}},
		{method: "PUT", path: base + "/attachments/" + c("attachment name") + ".bin", want: 201,
			contentType: "application/octet-stream", body: randomBytes(c("attachment bytes", AttachmentBytes), attachmentBytes)},
	}
	for _, r := range steps {
		r.header = w.bearer()
		if _, err := w.do(ctx, r); err != nil {
			return err
		}
	}
	w.onDelete(deleted, door, func(ctx context.Context) error {
		_, err := w.do(ctx, request{method: "DELETE", path: base, header: w.bearer(), want: 200})
		return err
	})
	return nil
}

// writeElevenLabs writes a call as ElevenLabs conversations arrive (the
// door has no create: through the native API, with the agent, offsets,
// recording and analysis the door serves), tags it with a workspace tag
// through the door, reads it through the door and deletes it (and the
// tag) through the door.
func (w *Workload) writeElevenLabs(ctx context.Context, deleted bool) error {
	const door = "elevenlabs"
	c := w.canaries(door, deleted)
	var conv conversationID
	err := w.doJSON(ctx, request{method: "POST", path: "/v1/conversations", header: w.bearer(), want: 201, body: map[string]any{
		"agent_id": "agent_forensic",
		"user_id":  c("user_id"),
		"title":    sentence(c("title")),
		"metadata": map[string]string{"elevenlabs.agent_name": c("metadata elevenlabs.agent_name")},
		"messages": []map[string]any{
			{"role": "assistant", "content": sentence(c("transcript, agent turn")), "start_offset_ms": 0, "end_offset_ms": 1200},
			{"role": "user", "content": sentence(c("transcript, user turn")), "start_offset_ms": 1500, "end_offset_ms": 4200},
		},
	}}, &conv)
	if err != nil {
		return err
	}
	base := "/v1/conversations/" + conv.ID
	steps := []request{
		{method: "PUT", path: base + "/attachments/audio.mp3", want: 201, contentType: "audio/mpeg",
			body: randomBytes(c("audio bytes", AttachmentBytes), attachmentBytes)},
		{method: "POST", path: base + "/artifacts", want: 201, body: map[string]any{"type": "summary", "text": sentence(c("summary text"))}},
		{method: "POST", path: base + "/artifacts", want: 201, body: map[string]any{"type": "analysis", "data": map[string]any{
			"call_successful":    "success",
			"call_summary_title": sentence(c("analysis data")),
		}}},
	}
	for _, r := range steps {
		r.header = w.bearer()
		if _, err := w.do(ctx, r); err != nil {
			return err
		}
	}
	xi := auth("xi-api-key", w.Key)
	path := "/compat/elevenlabs/v1/convai/conversations/" + conv.ID
	// A workspace tag, its title renamed, attached to the conversation.
	var tag struct {
		ID string `json:"tag_id"`
	}
	if err := w.doJSON(ctx, request{method: "POST", path: "/compat/elevenlabs/v1/convai/tags", header: xi, want: 200, body: map[string]any{
		"title":       sentence(c("tag title (replaced by an update)", Replaced)),
		"description": sentence(c("tag description")),
	}}, &tag); err != nil {
		return err
	}
	tagPath := "/compat/elevenlabs/v1/convai/tags/" + tag.ID
	for _, r := range []request{
		{method: "PATCH", path: tagPath, want: 200, body: map[string]any{"title": sentence(c("tag title"))}},
		{method: "POST", path: path + "/tags", want: 200, body: map[string]any{"tag_ids": []string{tag.ID}}},
		{method: "GET", path: path, want: 200},
	} {
		r.header = xi
		if _, err := w.do(ctx, r); err != nil {
			return err
		}
	}
	w.onDelete(deleted, door, func(ctx context.Context) error {
		if _, err := w.do(ctx, request{method: "DELETE", path: tagPath, header: xi, want: 200}); err != nil {
			return err
		}
		_, err := w.do(ctx, request{method: "DELETE", path: path, header: xi, want: 200})
		return err
	})
	return nil
}
