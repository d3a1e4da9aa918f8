package v1_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

func TestBadRequests(t *testing.T) {
	t.Parallel()
	e := setup(t)
	f := e.populate()
	c := "/v1/conversations/" + f.conv
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code, field        string
	}{
		// 400 invalid_json: the body is not the JSON it should be.
		{"syntax", "POST", "/v1/conversations", `{"title":`, 400, "invalid_json", ""},
		{"not json", "POST", "/v1/conversations", `title=x`, 400, "invalid_json", ""},
		{"empty body", "POST", "/v1/conversations", ``, 400, "invalid_json", ""},
		{"array body", "POST", "/v1/conversations", `[]`, 400, "invalid_json", ""},
		{"trailing data", "POST", "/v1/conversations", `{} {}`, 400, "invalid_json", ""},
		{"unknown field", "POST", "/v1/conversations", `{"titel":"x"}`, 400, "invalid_json", "titel"},
		{"wrong type", "POST", "/v1/conversations", `{"title":5}`, 400, "invalid_json", "title"},
		{"metadata type", "PATCH", c, `{"metadata":{"a":1}}`, 400, "invalid_json", "metadata"},
		{"nested unknown", "POST", c + "/messages", `{"messages":[{"role":"user","content":"x","colour":1}]}`, 400, "invalid_json", "colour"},
		{"single and batch", "POST", c + "/messages", `{"messages":[],"role":"user"}`, 400, "invalid_json", "role"},
		{"offset type", "POST", c + "/messages", `{"role":"user","content":"x","start_offset_ms":"1s"}`, 400, "invalid_json", "start_offset_ms"},
		{"score type", "POST", c + "/artifacts", `{"type":"topic","text":"x","score":"high"}`, 400, "invalid_json", "score"},
		{"scopes type", "POST", "/v1/keys", `{"scopes":"read"}`, 400, "invalid_json", "scopes"},
		// 400 invalid_parameter: malformed path ids and query parameters.
		{"conv id prefix", "GET", "/v1/conversations/msg_01jdq0000000000000000000000", nil, 400, "invalid_parameter", "conversation_id"},
		{"conv id garbage", "GET", "/v1/conversations/conv_xyz", nil, 400, "invalid_parameter", "conversation_id"},
		{"conv id zero", "GET", "/v1/conversations/conv_00000000000000000000000000", nil, 400, "invalid_parameter", "conversation_id"},
		{"msg id", "GET", c + "/messages/conv_x", nil, 400, "invalid_parameter", "message_id"},
		{"art id", "DELETE", c + "/artifacts/123", nil, 400, "invalid_parameter", "artifact_id"},
		{"attachment name", "PUT", c + "/attachments/.hidden", "x", 400, "invalid_parameter", "name"},
		{"attachment name chars", "GET", c + "/attachments/a%20b", nil, 400, "invalid_parameter", "name"},
		{"del id", "GET", "/v1/deletions/del_!", nil, 400, "invalid_parameter", "deletion_id"},
		{"key id", "DELETE", "/v1/keys/" + f.conv, nil, 400, "invalid_parameter", "key_id"},
		{"limit 0", "GET", "/v1/conversations?limit=0", nil, 400, "invalid_parameter", "limit"},
		{"limit 101", "GET", "/v1/conversations?limit=101", nil, 400, "invalid_parameter", "limit"},
		{"limit word", "GET", c + "/messages?limit=ten", nil, 400, "invalid_parameter", "limit"},
		{"order", "GET", "/v1/conversations?order=up", nil, 400, "invalid_parameter", "order"},
		{"cursor garbage", "GET", "/v1/conversations?after=abc", nil, 400, "invalid_parameter", "after"},
		{"cursor kind", "GET", c + "/messages?after=" + f.conv, nil, 400, "invalid_parameter", "after"},
		{"created_after", "GET", "/v1/conversations?created_after=yesterday", nil, 400, "invalid_parameter", "created_after"},
		{"created_before", "GET", "/v1/conversations?created_before=1e9", nil, 400, "invalid_parameter", "created_before"},
		{"artifact type", "GET", c + "/artifacts?type=poem", nil, 400, "invalid_parameter", "type"},
		{"deletion conv", "GET", "/v1/deletions?conversation_id=" + f.msg, nil, 400, "invalid_parameter", "conversation_id"},
		{"unknown param", "GET", "/v1/conversations?limt=5", nil, 400, "invalid_parameter", "limt"},
		{"repeated param", "GET", "/v1/conversations?limit=5&limit=6", nil, 400, "invalid_parameter", "limit"},
		{"param on get", "GET", c + "?expand=messages", nil, 400, "invalid_parameter", "expand"},
		{"bad escape", "GET", "/v1/conversations?agent_id=%zz", nil, 400, "invalid_parameter", ""},
		// 422 invalid: domain validation, naming the field.
		{"title long", "POST", "/v1/conversations", map[string]any{"title": strings.Repeat("t", 513)}, 422, "invalid", "title"},
		{"agent long", "PATCH", c, map[string]any{"agent_id": strings.Repeat("a", 257)}, 422, "invalid", "agent_id"},
		{"metadata pairs", "POST", "/v1/conversations", map[string]any{"metadata": manyPairs(17)}, 422, "invalid", "metadata"},
		{"initial role", "POST", "/v1/conversations", map[string]any{"messages": []map[string]any{{"role": "user", "content": "x"}, {"role": "bot", "content": "x"}}}, 422, "invalid", "messages[1].role"},
		{"role", "POST", c + "/messages", map[string]any{"role": "robot", "content": "x"}, 422, "invalid", "role"},
		{"no content", "POST", c + "/messages", map[string]any{"role": "user"}, 422, "invalid", "content"},
		{"negative offset", "POST", c + "/messages", map[string]any{"role": "user", "content": "x", "start_offset_ms": -1}, 422, "invalid", "start_offset_ms"},
		{"huge offset", "POST", c + "/messages", map[string]any{"role": "user", "content": "x", "end_offset_ms": int64(1) << 62}, 422, "invalid", "end_offset_ms"},
		{"end before start", "POST", c + "/messages", map[string]any{"messages": []map[string]any{{"role": "user", "content": "x", "start_offset_ms": 5, "end_offset_ms": 4}}}, 422, "invalid", "messages[0].end_offset_ms"},
		{"empty batch", "POST", c + "/messages", map[string]any{"messages": []any{}}, 422, "invalid", "messages"},
		{"null batch item", "POST", c + "/messages", `{"messages":[null]}`, 422, "invalid", "messages[0].role"},
		{"artifact type", "POST", c + "/artifacts", map[string]any{"type": "poem", "text": "x"}, 422, "invalid", "type"},
		{"artifact empty", "POST", c + "/artifacts", map[string]any{"type": "topic", "data": nil}, 422, "invalid", "text"},
		{"artifact ref", "POST", c + "/artifacts", map[string]any{"type": "topic", "text": "x", "message_ids": []string{f.msg, "msg_bad"}}, 422, "invalid", "message_ids[1]"},
		{"content type", "PUT", c + "/attachments/a.bin", "x", 422, "invalid", "content_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.name == "content type" {
				hdr = []string{"Content-Type", "not a type"}
			}
			r := e.do(tc.method, tc.path, e.KeyA, tc.body, hdr...)
			p := problem(t, r, tc.status, tc.code, tc.field)
			if d := p["detail"].(string); len(d) < 10 {
				t.Fatalf("detail %q says too little", d)
			}
		})
	}
}

func manyPairs(n int) map[string]string {
	m := map[string]string{}
	for i := range n {
		m[strings.Repeat("k", i+1)] = "v"
	}
	return m
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ids := randomFixture()
	headers := map[string]string{
		"missing":      "",
		"empty bearer": "Bearer ",
		"basic":        "Basic dXNlcjpwYXNz",
		"no scheme":    e.KeyA,
		"unknown key":  "Bearer csk_0000000000000000000000000000000000000000",
		"short key":    "Bearer abc",
		"two tokens":   "Bearer " + e.KeyA + " extra",
	}
	for _, rt := range e.routes() {
		if rt.Scope == "" {
			continue
		}
		path := ids.path(rt.Path)
		var want string
		for name, h := range headers {
			var hdr []string
			if h != "" {
				hdr = []string{"Authorization", h}
			}
			body, _ := validBody(rt)
			r := e.do(rt.Method, path, "", body, hdr...)
			problem(t, r, 401, "unauthorized", "")
			if got := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
				t.Fatalf("%s %v: WWW-Authenticate %q", name, r, got)
			}
			if n := normalized(t, r); want == "" {
				want = n
			} else if n != want {
				t.Fatalf("%s %s %s: 401 body differs:\n%s\n%s", name, rt.Method, rt.Path, n, want)
			}
		}
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ids := randomFixture()
	n := 0
	for _, rt := range e.routes() {
		if rt.Scope == "" {
			continue
		}
		for _, s := range allScopes {
			key := &convstore.APIKey{Scopes: []convstore.Scope{s}}
			body, hdr := validBody(rt)
			r := e.do(rt.Method, ids.path(rt.Path), e.Scoped[s], body, hdr...)
			if rt.Scope == convhttp.AnyScope || key.Has(rt.Scope) {
				if r.Status == 401 || r.Status == 403 {
					t.Errorf("%s key: %v", s, r)
				}
				continue
			}
			p := problem(t, r, 403, "forbidden", "")
			if !strings.Contains(p["detail"].(string), `"`+string(rt.Scope)+`"`) {
				t.Errorf("%s key: 403 must name the scope %s: %v", s, rt.Scope, r)
			}
			n++
		}
	}
	if n < 30 {
		t.Fatalf("only %d forbidden combinations checked", n)
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ids := randomFixture()
	// Every route with ids answers 404 for ids that never existed.
	for _, rt := range e.routes() {
		if !strings.Contains(rt.Path, "{") {
			continue
		}
		body, hdr := validBody(rt)
		problem(t, e.do(rt.Method, ids.path(rt.Path), e.KeyA, body, hdr...), 404, "not_found", "")
	}
	tests := []struct {
		method, path, allow string
	}{
		{"PUT", "/v1/conversations", "GET, HEAD, POST"},
		{"POST", "/v1/conversations/" + ids.conv, "DELETE, GET, HEAD, PATCH"},
		{"PATCH", "/v1/conversations/" + ids.conv + "/messages", "GET, HEAD, POST"},
		{"POST", "/v1/conversations/" + ids.conv + "/attachments/a.wav", "DELETE, GET, HEAD, PUT"},
		{"DELETE", "/v1/deletions/" + ids.del, "GET, HEAD"},
		{"GET", "/v1/keys/" + ids.key, "DELETE"},
		{"POST", "/v1/openapi.json", "GET, HEAD"},
		{"POST", "/healthz", "GET, HEAD"},
	}
	for _, tc := range tests {
		r := e.do(tc.method, tc.path, e.KeyA, nil)
		problem(t, r, 405, "method_not_allowed", "")
		if r.Header.Get("Allow") != tc.allow {
			t.Errorf("%v: Allow %q, want %q", r, r.Header.Get("Allow"), tc.allow)
		}
	}
	for _, p := range []string{"/", "/v1", "/v1/conversation", "/v2/conversations", "/v1/conversations/" + ids.conv + "/nope"} {
		r := e.do("GET", p, e.KeyA, nil)
		problem(t, r, 404, "not_found", "")
		if r.Header.Get("X-Request-Id") == "" {
			t.Errorf("%v: no X-Request-Id", r)
		}
	}
	// A trailing slash is another path, not a redirect.
	problem(t, e.do("GET", "/v1/conversations/", e.KeyA, nil), 404, "not_found", "")
}
