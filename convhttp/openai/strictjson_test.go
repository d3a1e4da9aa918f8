package openai_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/convhttp/doortest"
)

// TestStrictJSON: unknown members are ignored, but a repeated key at any
// depth, a case variant of a member the door reads, and a null body are
// 400 invalid_request_error naming the key; nothing of them is stored.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	e := setup(t)
	conv := e.createConversation(t)
	refused := []struct{ method, path, body, names string }{
		{"POST", "/v1/conversations", `{"metadata":{"a":"1","a":"2"}}`, "metadata.a"},
		{"POST", "/v1/conversations", `{"metadata":{},"Metadata":{"a":"1"}}`, "Metadata"},
		{"POST", "/v1/conversations", `{"items":[{"role":"user","content":"x","content":"y"}]}`, "content"},
		{"POST", "/v1/conversations/" + conv, `{"metadata":{"a":"1"},"METADATA":{"a":"2"}}`, "METADATA"},
		{"POST", "/v1/conversations/" + conv + "/items", `{"items":[{"type":"function_call","name":"a","name":"b"}]}`, "name"},
		{"POST", "/v1/conversations/" + conv + "/items", `{"items":[],"Items":[{"role":"user","content":"x"}]}`, "Items"},
	}
	for _, tc := range refused {
		r := e.c.Do(tc.method, tc.path, tc.body, bearer(e.KeyA)...)
		wantError(t, r, 400, "invalid_request_error", "-")
		if !strings.Contains(string(r.Body), tc.names) {
			t.Errorf("%s: message does not name %s: %s", tc.body, tc.names, r.Body)
		}
	}
	wantError(t, e.c.Do("POST", "/v1/conversations", `null`, bearer(e.KeyA)...), 400, "invalid_request_error", "-")
	items := e.must(t, "GET", "/v1/conversations/"+conv+"/items", nil)["data"].([]any)
	if len(items) != 0 {
		t.Fatalf("%d items after refused bodies", len(items))
	}
	if m := e.must(t, "GET", "/v1/conversations/"+conv, nil)["metadata"].(map[string]any); len(m) != 0 {
		t.Fatalf("metadata %v after refused bodies", m)
	}
	r := e.c.Do("POST", "/v1/conversations", `{"metadata":{},"futureOption":{"x":1}}`, bearer(e.KeyA)...)
	doortest.Expect(t, r, 200, "application/json")
}
