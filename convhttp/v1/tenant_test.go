package v1_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp/doortest"
)

// lastUsed matches the one member that changes when a key is merely used.
var lastUsed = regexp.MustCompile(`"last_used_at":(null|\d+)`)

// asOf matches the time a retention preview was computed at.
var asOf = regexp.MustCompile(`"as_of":\d+`)

// snapshot returns tenant A's view of every GET route filled with the
// fixture's ids, keyed by path.
func (e *env) snapshot(f *fixture) map[string]string {
	e.TB.Helper()
	out := map[string]string{}
	for _, rt := range e.routes() {
		if rt.Method != http.MethodGet || rt.Scope == "" {
			continue
		}
		p := f.path(rt.Path)
		if rt.Path == "/v1/conversations/lookup" {
			p += "?seq=" + f.seq // it needs a key to look up
		}
		r := e.do("GET", p, e.KeyA, nil)
		if r.Status != 200 {
			e.TB.Fatalf("snapshot: %v", r)
		}
		// What moves with the clock alone: a key's last use, a preview's as_of.
		body := lastUsed.ReplaceAllString(string(r.Body), `"last_used_at":0`)
		out[p] = asOf.ReplaceAllString(body, `"as_of":0`)
	}
	return out
}

// sameHeaders compares two responses' headers, except Date and X-Request-Id.
func sameHeaders(a, b *doortest.Response) bool {
	strip := func(h http.Header) string {
		var lines []string
		for k, v := range h {
			if k != "Date" && k != "X-Request-Id" {
				lines = append(lines, k+": "+strings.Join(v, ","))
			}
		}
		slices.Sort(lines)
		return strings.Join(lines, "\n")
	}
	return strip(a.Header) == strip(b.Header)
}

func TestCrossTenant(t *testing.T) {
	t.Parallel()
	e := setup(t)
	f := e.populate()
	before := e.snapshot(f)
	never := randomFixture()

	// Every route with ids: tenant B with A's ids answers exactly as with
	// ids that never existed.
	checked := 0
	for _, rt := range e.routes() {
		if !strings.Contains(rt.Path, "{") {
			continue
		}
		body, hdr := validBody(rt)
		theirs := e.do(rt.Method, f.path(rt.Path), e.KeyB, body, hdr...)
		missing := e.do(rt.Method, never.path(rt.Path), e.KeyB, body, hdr...)
		problem(t, theirs, 404, "not_found", "")
		if a, b := normalized(t, theirs), normalized(t, missing); a != b {
			t.Errorf("%s %s: another tenant's id answers\n%s\nbut a missing id\n%s", rt.Method, rt.Path, a, b)
		}
		if !sameHeaders(theirs, missing) {
			t.Errorf("%s %s: headers differ:\n%v\n%v", rt.Method, rt.Path, theirs.Header, missing.Header)
		}
		checked++
	}
	if checked < 17 {
		t.Fatalf("only %d routes with ids checked", checked)
	}

	// Lists and filters show B nothing of A's.
	var receipt api.Deletion
	e.must(200, "GET", "/v1/deletions/"+f.del, e.KeyA, nil, &receipt)
	for _, p := range []string{"/v1/conversations", "/v1/deletions",
		"/v1/deletions?conversation_id=" + receipt.ConversationID, "/v1/conversations?user_id=user-1"} {
		r := e.must(200, "GET", p, e.KeyB, nil, nil)
		checkList(t, r, nil, nil, false)
	}
	// B's audit log holds only B's creation.
	var audit api.List[api.AuditEntry]
	e.must(200, "GET", "/v1/audit", e.KeyB, nil, &audit)
	if len(audit.Data) != 2 || audit.Data[0].Action != "key.create" || audit.Data[1].Action != "tenant.create" ||
		audit.Data[0].ConversationID != nil || audit.Data[0].TargetID == e.KeyAID.Format("key") {
		t.Fatalf("tenant B's audit log: %s", mustJSON(t, audit))
	}
	var keys api.List[api.APIKey]
	e.must(200, "GET", "/v1/keys", e.KeyB, nil, &keys)
	if len(keys.Data) != 1 {
		t.Fatalf("tenant B sees %d keys", len(keys.Data))
	}

	// A's data is unchanged.
	after := e.snapshot(f)
	for p, b := range before {
		if after[p] != b {
			t.Errorf("GET %s changed:\nbefore %s\nafter  %s", p, b, after[p])
		}
	}
	r := e.do("GET", f.path("/v1/conversations/{conversation_id}/attachments/{name}"), e.KeyA, nil)
	if string(r.Body) != "RIFF-audio-bytes" {
		t.Errorf("attachment bytes changed: %q", r.Body)
	}
}
