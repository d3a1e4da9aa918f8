package inkeep_test

import (
	"strings"
	"testing"
)

// TestStrictJSON: members are read by their exact names (a case variant is
// an unknown member, ignored like any other), but a key repeated in any
// object of the body, which encoding/json would collapse to its last
// value, is a 400 bad_request naming it; so is a null body and a body that
// is not application/json (Inkeep documents no 415).
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	e := setup(t)
	refused := []struct{ path, body, names string }{
		{"/conversations", `{"type":"openai","messages":[{"role":"user","content":"a"}],"id":"c1","id":"c2"}`, "id"},
		{"/conversations", `{"type":"openai","messages":[{"role":"user","content":"a","role":"system"}]}`, "messages[0].role"},
		{"/conversations", `{"type":"openai","messages":[{"role":"user","content":"a"}],"properties":{"p":1,"p":2}}`, "properties.p"},
		{"/feedback", `{"type":"positive","messageId":"m","type":"negative"}`, "type"},
	}
	for _, tc := range refused {
		r := e.c.Do("POST", tc.path, tc.body, bearer(e.KeyA)...)
		p := problem(t, r, 400, "bad_request")
		if !strings.Contains(p["detail"].(string), tc.names) {
			t.Errorf("%s: detail does not name %s: %v", tc.body, tc.names, p["detail"])
		}
	}
	problem(t, e.c.Do("POST", "/conversations", `null`, bearer(e.KeyA)...), 400, "bad_request")
	for _, ct := range []string{"text/plain", ""} {
		r := e.c.Do("POST", "/conversations", `{"type":"openai","messages":[{"role":"user","content":"a"}]}`,
			append(bearer(e.KeyA), "Content-Type", ct)...)
		p := problem(t, r, 400, "bad_request")
		if !strings.Contains(p["detail"].(string), "application/json") {
			t.Errorf("Content-Type %q: %v", ct, p["detail"])
		}
	}
	if l := e.must(t, "GET", "/conversations", nil); l["total"] != float64(0) {
		t.Fatalf("refused bodies stored conversations: %v", l)
	}
}
