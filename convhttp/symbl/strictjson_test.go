package symbl_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/convhttp/doortest"
)

// TestStrictJSON: the door ignores members it does not read (Symbl's SDKs
// send options it does not use) but refuses, with Symbl's 400, a key sent
// twice or a case variant of a member it reads, at any depth, a null body,
// and a body without Symbl's mandatory Content-Type: application/json.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	f := setup(t)
	key := f.env.KeyA
	conv, _ := f.create(t, key, textBody("first"))
	refused := []struct{ method, path, body, names string }{
		{"POST", "/v1/process/text", `{"messages":[{"payload":{"content":"a","content":"b"}}]}`, "messages[0].payload.content"},
		{"POST", "/v1/process/text", `{"messages":[{"payload":{"content":"a","Content":"b"}}]}`, "messages[0].payload.Content"},
		{"POST", "/v1/process/text", `{"name":"a","NAME":"b","messages":[{"payload":{"content":"a"}}]}`, "NAME"},
		{"POST", "/v1/process/text", `{"messages":[{"payload":{"content":"a"}}],"detectPhrases":true,"detectPhrases":false}`, "detectPhrases"},
		{"PUT", "/v1/process/text/" + conv, `{"messages":[{"from":{"name":"a","Name":"b"},"payload":{"content":"a"}}]}`, "messages[0].from.Name"},
		{"POST", "/oauth2/token:generate", `{"type":"application","appId":"x","appSecret":"` + key + `","appsecret":"y"}`, "appsecret"},
	}
	for _, tc := range refused {
		r := f.do(tc.method, tc.path, key, tc.body)
		expectError(t, r, 400, "")
		if !strings.Contains(string(r.Body), tc.names) {
			t.Errorf("%s: the message does not name %s: %s", tc.body, tc.names, r.Body)
		}
	}
	for _, path := range []string{"/v1/process/text", "/oauth2/token:generate"} {
		expectError(t, f.do("POST", path, key, `null`), 400, "")
		for _, ct := range []string{"text/plain", ""} {
			r := f.own.Do("POST", path, `{"messages":[{"payload":{"content":"a"}}]}`, "Authorization", "Bearer "+key, "Content-Type", ct)
			expectError(t, r, 400, "")
			if !strings.Contains(string(r.Body), "application/json") {
				t.Errorf("%s with Content-Type %q: %s", path, ct, r.Body)
			}
		}
	}
	// Unknown members are still ignored, and nothing above was stored.
	r := f.do("POST", "/v1/process/text", key, `{"messages":[{"payload":{"content":"b"}}],"enableSummary":true,"trackers":[{"name":"t"}]}`)
	doortest.Expect(t, r, 201, "application/json")
	msgs := f.messages(t, f.env.TenantA, f.conv(t, f.env.TenantA, conv).ID)
	if len(msgs) != 1 || msgs[0].Content != "first" {
		t.Fatalf("a refused append wrote: %+v", msgs)
	}
}
