package inkeep_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

func TestFeedback(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.must(t, "POST", "/conversations", map[string]any{"id": "fb", "type": "openai", "messages": []any{
		map[string]any{"role": "user", "content": "q"}, map[string]any{"role": "assistant", "content": "a"}}})
	msgID := msgs(c)[1]["id"].(string)
	fb := e.must(t, "POST", "/feedback", map[string]any{
		"id": "client-fb", "type": "negative", "messageId": msgID, "createdAt": "2024-02-01T00:00:00Z",
		"reasons": []any{map[string]any{"label": "wrong", "details": "it was wrong"}}, "userProperties": map[string]any{"id": "u1"},
	})
	keysOf(t, "feedback", fb, "id", "type", "messageId", "createdAt", "updatedAt", "reasons", "details", "properties", "userProperties", "sources")
	if !strings.HasPrefix(fb["id"].(string), "art_") || fb["type"] != "negative" || fb["messageId"] != msgID ||
		fb["createdAt"] != "2024-02-01T00:00:00.000Z" || fb["updatedAt"] != "2024-02-01T00:00:00.000Z" || fb["details"] != "" || fb["properties"] != nil || fb["sources"] != nil {
		t.Fatalf("feedback %v", fb)
	}
	if r, _ := json.Marshal(fb["reasons"]); string(r) != `[{"details":"it was wrong","label":"wrong"}]` {
		t.Fatalf("reasons %s", r)
	}
	g := e.must(t, "GET", "/feedback/"+fb["id"].(string), nil)
	keysOf(t, "feedback", g, "id", "type", "messageId", "createdAt", "updatedAt", "reasons", "details", "properties", "userProperties", "sources", "conversation", "message")
	checkConversation(t, g["conversation"].(map[string]any))
	if g["message"].(map[string]any)["id"] != msgID || g["message"].(map[string]any)["content"] != "a" || g["conversation"].(map[string]any)["id"] != "fb" {
		t.Fatalf("embedded %v", g)
	}
	a, err := e.Store.FindArtifactByID(context.Background(), e.TenantA, convstore.ID{}, mustParse(t, convstore.PrefixArtifact, fb["id"].(string)))
	if err != nil || a.Type != convstore.ArtifactOther || len(a.MessageIDs) != 1 || a.MessageIDs[0].Format(convstore.PrefixMessage) != msgID || *a.Score != -1 {
		t.Fatalf("artifact %+v %v", a, err)
	}
	for _, body := range []string{
		`{"messageId":"` + msgID + `"}`,
		`{"type":"meh","messageId":"` + msgID + `"}`,
		`{"type":"positive"}`,
		`{"type":"positive","messageId":"` + msgID + `","reasons":[{"label":"x"}]}`,
		`{"type":"positive","messageId":"` + msgID + `","sources":[{"type":"old"}]}`,
		`{"type":"positive","messageId":7}`,
	} {
		problem(t, e.c.Do("POST", "/feedback", body, bearer(e.KeyA)...), 422, "unprocessable_entity")
	}
	problem(t, e.c.Do("POST", "/feedback", `nope`, bearer(e.KeyA)...), 400, "bad_request")
}
