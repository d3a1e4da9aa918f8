package symbl_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

const (
	msgNotFound     = "The conversationId is either invalid or does not exist."
	msgJobNotFound  = "The jobId is either invalid or does not exist."
	msgUnauthorized = "Unauthorized. Please generate a new access token."
	msgBadCreds     = "Unauthorized: invalid appId or appSecret."
)

// derived lists every GET route under a conversation.
var derived = []string{"", "/members", "/messages", "/topics", "/questions", "/action-items", "/follow-ups", "/insights", "/summary"}

// TestNotFound checks every conversation route: unknown, tenant B's and
// malformed ids answer byte-for-byte the same 404, and auth comes first.
func TestNotFound(t *testing.T) {
	t.Parallel()
	f := setup(t)
	cid, _ := f.create(t, f.env.KeyA, textBody("a"))
	cidB, _ := f.create(t, f.env.KeyB, textBody("b"))
	for _, sub := range append(derived, "DELETE") {
		method, path := "GET", sub
		if sub == "DELETE" {
			method, path = "DELETE", ""
		}
		unknown := f.do(method, "/v1/conversations/4549300882243584"+path, f.env.KeyA, nil)
		expectError(t, unknown, 404, msgNotFound)
		for _, id := range []string{cidB, "abc", "0", "01", "-1", "%20", "9223372036854775808", "1e5", strings.Repeat("9", 40)} {
			r := f.do(method, "/v1/conversations/"+id+path, f.env.KeyA, nil)
			if r.Status != 404 || !bytes.Equal(r.Body, unknown.Body) || r.ContentType() != "application/json" {
				t.Fatalf("%v, want %s", r, unknown.Body)
			}
		}
		if method == "GET" {
			doortest.Expect(t, f.do(method, "/v1/conversations/"+cid+path, f.env.KeyA, nil), 200, "application/json")
			expectError(t, f.do(method, "/v1/conversations/"+cid+path, f.env.Scoped[convstore.ScopeWrite], nil), 403, "")
		} else {
			expectError(t, f.do(method, "/v1/conversations/"+cid, f.env.Scoped[convstore.ScopeRead], nil), 403, "")
		}
		expectError(t, f.do(method, "/v1/conversations/"+cid+path, "", nil), 401, msgUnauthorized)
		expectError(t, f.do(method, "/v1/conversations/"+cid+path, "csk_wrongwrongwrongwrongwrong", nil), 401, msgUnauthorized)
	}
	// Tenant B's conversation is untouched.
	doortest.Expect(t, f.do("GET", "/v1/conversations/"+cidB, f.env.KeyB, nil), 200, "application/json")
}

// TestCompatMount runs the door under /compat/symbl beside the native door.
func TestCompatMount(t *testing.T) {
	t.Parallel()
	f := setup(t)
	const base = "/compat/symbl"
	r := f.main.Do("POST", base+"/oauth2/token:generate", map[string]any{"type": "application",
		"appId": f.env.KeyAID.Format(convstore.PrefixKey), "appSecret": f.env.KeyA})
	doortest.Expect(t, r, 200, "application/json")
	var tok struct{ AccessToken string }
	r.JSON(t, &tok)
	r = f.main.Do("POST", base+"/v1/process/text", textBody("hello"), bearer(tok.AccessToken)...)
	doortest.Expect(t, r, 201, "application/json")
	var created struct{ ConversationID, JobID string }
	r.JSON(t, &created)
	for _, sub := range derived {
		doortest.Expect(t, f.main.Do("GET", base+"/v1/conversations/"+created.ConversationID+sub, nil, bearer(tok.AccessToken)...), 200, "application/json")
	}
	doortest.Expect(t, f.main.Do("GET", base+"/v1/job/"+created.JobID, nil, bearer(tok.AccessToken)...), 200, "application/json")
	// The same conversation, seen by the native door.
	conv := f.conv(t, f.env.TenantA, created.ConversationID)
	doortest.Expect(t, f.main.Do("GET", "/v1/conversations/"+conv.ID.Format(convstore.PrefixConversation), nil, bearer(f.env.KeyA)...), 200, "application/json")
	// Errors under the mount are Symbl's; outside it, native problems.
	expectError(t, f.main.Do("GET", base+"/v1/conversations/1", nil, bearer(tok.AccessToken)...), 404, msgNotFound)
	expectError(t, f.main.Do("GET", base+"/v1/nothing-here", nil, bearer(tok.AccessToken)...), 404, "")
	expectError(t, f.main.Do("GET", base+"/v1/conversations", nil), 401, msgUnauthorized)
	r = f.main.Do("PATCH", base+"/v1/conversations/"+created.ConversationID, nil, bearer(tok.AccessToken)...)
	expectError(t, r, 405, "")
	if r.Header.Get("Allow") == "" {
		t.Fatalf("405 without Allow: %v", r)
	}
	doortest.Expect(t, f.main.Do("GET", "/v1/conversations/conv_x", nil, bearer(f.env.KeyA)...), 400, "application/problem+json")
	r = f.main.Do("DELETE", base+"/v1/conversations/"+created.ConversationID, nil, bearer(tok.AccessToken)...)
	doortest.Expect(t, r, 200, "application/json")
	expectError(t, f.main.Do("GET", base+"/v1/conversations/"+created.ConversationID, nil, bearer(tok.AccessToken)...), 404, msgNotFound)

	// The own listener answers unknown paths and methods in Symbl's format too.
	expectError(t, f.own.Do("GET", "/nope", nil), 404, "")
	expectError(t, f.own.Do("GET", "/oauth2/token:generate", nil), 405, "")
}
