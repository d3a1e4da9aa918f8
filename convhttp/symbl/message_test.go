package symbl_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// decimal renders an id as the door does.
func decimal(id convstore.ID) string {
	return new(big.Int).SetBytes(id[:]).String()
}

func TestMessages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cid, _ := f.create(t, f.env.KeyA, map[string]any{"messages": []any{
		map[string]any{"payload": map[string]any{"content": "Best package"}, "from": map[string]any{"name": "Roger", "userId": "roger@example.com"},
			"duration": map[string]any{"startTime": "2020-07-10T11:16:21.024Z", "endTime": "2020-07-10T11:16:26.724Z"}},
		map[string]any{"payload": map[string]any{"content": "Okay"}, "from": map[string]any{"name": "John"},
			"duration": map[string]any{"startTime": "2020-07-10T11:16:27.024Z"}},
		map[string]any{"payload": map[string]any{"content": "Again"}, "from": map[string]any{"name": "Roger2", "userId": "roger@example.com"}},
	}})
	conv := f.conv(t, f.env.TenantA, cid)
	msgs := f.messages(t, f.env.TenantA, conv.ID)
	r := f.do("GET", "/v1/conversations/"+cid+"/messages?verbose=true&sentiment=true", f.env.KeyA, nil)
	doortest.Expect(t, r, 200, "application/json")
	var out struct{ Messages []json.RawMessage }
	hasKeys(t, "messages", r.Body, "messages")
	r.JSON(t, &out)
	if len(out.Messages) != 3 {
		t.Fatalf("messages: %s", r.Body)
	}
	first := hasKeys(t, "message", []byte(out.Messages[0]), "id", "text", "from", "startTime", "endTime", "timeOffset",
		"duration", "conversationId", "phrases", "words")
	roger := decimal(msgs[0].ID)
	want := fmt.Sprintf(`{"id":%q,"text":"Best package","from":{"id":%q,"name":"Roger","userId":"roger@example.com"},`+
		`"startTime":"2020-07-10T11:16:21.024Z","endTime":"2020-07-10T11:16:26.724Z","timeOffset":0,"duration":5.7,`+
		`"conversationId":%q,"phrases":[],"words":[]}`, roger, roger, cid)
	if string(out.Messages[0]) != want || first["id"] != roger {
		t.Fatalf("message 0:\n%s\nwant\n%s", out.Messages[0], want)
	}
	second := hasKeys(t, "message", []byte(out.Messages[1]))
	if second["timeOffset"] != 6.0 || second["duration"] != 0.0 || second["endTime"] != "2020-07-10T11:16:27.024Z" ||
		second["from"].(map[string]any)["id"] != decimal(msgs[1].ID) {
		t.Fatalf("message 1: %s", out.Messages[1])
	}
	third := hasKeys(t, "message", []byte(out.Messages[2]))
	if third["from"].(map[string]any)["id"] != roger || third["from"].(map[string]any)["name"] != "Roger2" {
		t.Fatalf("message 2: %s", out.Messages[2])
	}
}
