package stammer_test

import (
	"testing"

	"github.com/convstore/convstore/convhttp/doortest"
)

// TestStrictJSON: the message body may not repeat a key or send a case
// variant of a field the door reads (encoding/json would take the last or
// the variant), nor be null; unknown members are still ignored, as DRF
// does. A body that is not application/json is DRF's 415.
func TestStrictJSON(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		refused := []struct{ body, field string }{
			{`{"chatbot_uuid":"` + bot1 + `","query":"a","query":"b","user_key":"u"}`, "query"},
			{`{"chatbot_uuid":"` + bot1 + `","query":"a","USER_KEY":"v","user_key":"u"}`, "USER_KEY"},
			{`{"Chatbot_uuid":"` + bot2 + `","chatbot_uuid":"` + bot1 + `","query":"a","user_key":"u"}`, "Chatbot_uuid"},
			{`{"chatbot_uuid":"` + bot1 + `","query":"a","user_key":"u","extra":{"x":1,"x":2}}`, "extra.x"},
		}
		for _, tc := range refused {
			m := expectError(t, f.do("POST", pathMessage, tc.body, f.KeyA), 400, "parse_error")
			if m["field"] != tc.field {
				t.Errorf("%s: field %v, want %q", tc.body, m["field"], tc.field)
			}
		}
		expectError(t, f.do("POST", pathMessage, `null`, f.KeyA), 400, "parse_error")
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
			m := expectError(t, f.do("POST", pathMessage, `{"chatbot_uuid":"`+bot1+`","query":"a","user_key":"u"}`, f.KeyA,
				"Content-Type", ct), 415, "unsupported_media_type")
			if m["field"] != "Content-Type" {
				t.Errorf("Content-Type %q: field %v", ct, m["field"])
			}
		}
		// Nothing was stored by the refused bodies; a clean one with an
		// unknown member still works.
		r := f.do("POST", pathMessage, `{"chatbot_uuid":"`+bot1+`","query":"a","user_key":"u","extra":1}`, f.KeyA)
		doortest.Expect(t, r, 200, "application/json")
		if r.Map(t)["new_conversation"] != true {
			t.Fatalf("a refused body created the conversation: %v", r)
		}
	})
}
