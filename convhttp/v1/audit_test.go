package v1_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp/doortest"
)

// audit returns the tenant A's audit entries (at most 100, newest first)
// with the given action, or all of them for "".
func (e *env) audit(action string) []api.AuditEntry {
	e.TB.Helper()
	var l api.List[api.AuditEntry]
	e.must(200, "GET", "/v1/audit?limit=100", e.KeyA, nil, &l)
	var out []api.AuditEntry
	for _, a := range l.Data {
		if action == "" || a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

// TestAuditAdministrativeActions checks that creating and revoking a key
// and replacing an attachment through the native door are audited with
// the door, the acting key, the server's request id and the client's.
func TestAuditAdministrativeActions(t *testing.T) {
	t.Parallel()
	e := setup(t)
	admin := e.KeyAID.Format("key")
	check := func(what string, a api.AuditEntry, r *doortest.Response, clientID, conv, target string) {
		t.Helper()
		if a.Door != "native" || a.ActorKeyID == nil || *a.ActorKeyID != admin || a.RequestID != r.Header.Get("X-Request-Id") ||
			a.ClientRequestID == nil || *a.ClientRequestID != clientID || a.TargetID != target ||
			(conv == "") != (a.ConversationID == nil) || a.ConversationID != nil && *a.ConversationID != conv {
			t.Errorf("%s audit entry %s: want door native, actor %s, request %s, client request %q, conversation %q, target %s",
				what, mustJSON(t, a), admin, r.Header.Get("X-Request-Id"), clientID, conv, target)
		}
	}

	r := e.do("POST", "/v1/keys", e.KeyA, map[string]any{"name": "ci", "scopes": []string{"read"}}, "X-Request-Id", "mk-key-1")
	var key api.APIKey
	if r.Status != 201 || json.Unmarshal(r.Body, &key) != nil {
		t.Fatalf("%v", r)
	}
	created := e.audit("key.create")
	check("key.create", created[0], r, "mk-key-1", "", key.ID)

	r = e.do("DELETE", "/v1/keys/"+key.ID, e.KeyA, nil, "X-Request-Id", "rm-key-1")
	if r.Status != 200 {
		t.Fatalf("%v", r)
	}
	revoked := e.audit("key.revoke")
	if len(revoked) != 1 {
		t.Fatalf("%d key.revoke entries, want 1", len(revoked))
	}
	check("key.revoke", revoked[0], r, "rm-key-1", "", key.ID)

	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"title": "call"}, &conv)
	path := "/v1/conversations/" + conv.ID + "/attachments/call.wav"
	r = e.do("PUT", path, e.KeyA, "first take", "Content-Type", "audio/wav")
	var first api.Attachment
	if r.Status != 201 || json.Unmarshal(r.Body, &first) != nil {
		t.Fatalf("%v", r)
	}
	if n := len(e.audit("attachment.replace")); n != 0 {
		t.Fatalf("a first put wrote %d attachment.replace entries", n)
	}
	r = e.do("PUT", path, e.KeyA, "second take", "Content-Type", "audio/wav", "X-Request-Id", "retake")
	if r.Status != 200 {
		t.Fatalf("%v", r)
	}
	replaced := e.audit("attachment.replace")
	if len(replaced) != 1 {
		t.Fatalf("%d attachment.replace entries, want 1", len(replaced))
	}
	check("attachment.replace", replaced[0], r, "retake", conv.ID, first.ID)

	// The tenant's creation is the oldest entry: an operator's, no conversation.
	all := e.audit("")
	oldest := all[len(all)-1]
	if oldest.Action != "tenant.create" || oldest.ActorKeyID != nil || oldest.ConversationID != nil ||
		oldest.Door != "test" || oldest.TargetID[:4] != "ten_" {
		t.Errorf("oldest audit entry %s, want the tenant's creation by an operator", mustJSON(t, oldest))
	}
	for _, a := range all {
		hasKeys(t, "audit entry", mustJSON(t, a), auditKeys...)
	}
}

// TestAuditFilters: GET /v1/audit filters in the store: by action or a
// family, key, conversation, target, door and time; a malformed filter
// is a 400 naming it.
func TestAuditFilters(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var key api.APIKey
	r := e.do("POST", "/v1/keys", e.KeyA, map[string]any{"name": "ci", "scopes": []string{"read"}})
	if r.Status != 201 || json.Unmarshal(r.Body, &key) != nil {
		t.Fatalf("%v", r)
	}
	if r := e.do("DELETE", "/v1/keys/"+key.ID, e.KeyA, nil); r.Status != 200 {
		t.Fatalf("%v", r)
	}
	list := func(query string) []api.AuditEntry {
		t.Helper()
		var l api.List[api.AuditEntry]
		e.must(200, "GET", "/v1/audit?limit=100&"+query, e.KeyA, nil, &l)
		return l.Data
	}
	all := list("")
	for _, c := range []struct {
		query string
		keep  func(a api.AuditEntry) bool
	}{
		{"action=key.revoke", func(a api.AuditEntry) bool { return a.Action == "key.revoke" }},
		{"action=key.", func(a api.AuditEntry) bool { return a.Action == "key.revoke" || a.Action == "key.create" }},
		{"target_id=" + key.ID, func(a api.AuditEntry) bool { return a.TargetID == key.ID }},
		{"actor_key_id=" + e.KeyAID.Format("key"), func(a api.AuditEntry) bool {
			return a.ActorKeyID != nil && *a.ActorKeyID == e.KeyAID.Format("key")
		}},
		{"door=native&action=key.create", func(a api.AuditEntry) bool { return a.Door == "native" && a.Action == "key.create" }},
		{"created_after=4000000000", func(api.AuditEntry) bool { return false }},
		{"created_before=4000000000&created_after=0", func(api.AuditEntry) bool { return true }},
	} {
		var want []string
		for _, a := range all {
			if c.keep(a) {
				want = append(want, a.ID)
			}
		}
		var got []string
		for _, a := range list(c.query) {
			got = append(got, a.ID)
		}
		if len(want) == 0 && c.query != "created_after=4000000000" {
			t.Errorf("%s: the test expects some entries", c.query)
		}
		if len(got) != len(want) || len(got) > 0 && (got[0] != want[0] || got[len(got)-1] != want[len(want)-1]) {
			t.Errorf("%s: %v, want %v", c.query, got, want)
		}
	}
	for _, q := range []string{"actor_key_id=conv_x", "conversation_id=nope", "target_id=msg_bad", "created_after=soon", "action=" + strings.Repeat("a", 65)} {
		if r := e.do("GET", "/v1/audit?"+q, e.KeyA, nil); r.Status != 400 {
			t.Errorf("%s: %v, want 400", q, r)
		}
	}
}
