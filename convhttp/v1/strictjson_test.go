package v1_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
)

// TestKeyCreateCaseAttack is issue 8's attack: encoding/json matches keys
// case-insensitively and keeps the last duplicate, so this body used to
// create an admin key. It must be a 400 that creates nothing.
func TestKeyCreateCaseAttack(t *testing.T) {
	t.Parallel()
	e := setup(t)
	count := func() int {
		var l api.List[api.APIKey]
		e.must(200, "GET", "/v1/keys", e.KeyA, nil, &l)
		return len(l.Data)
	}
	before := count()
	attacks := []struct{ body, field string }{
		{`{"name":"x","scopes":["read"],"SCOPES":["admin"]}`, "SCOPES"},
		{`{"name":"x","scopes":["read"],"scopes":["admin"]}`, "scopes"},
		{`{"name":"x","Scopes":["admin"]}`, "Scopes"},
		{`{"name":"x","ſcopes":["admin"]}`, "ſcopes"}, // U+017F folds to s in encoding/json
		{`{"NAME":"x","scopes":["read"]}`, "NAME"},
	}
	for _, a := range attacks {
		r := e.do("POST", "/v1/keys", e.KeyA, a.body)
		p := problem(t, r, 400, "invalid_json", a.field)
		if !strings.Contains(p["detail"].(string), a.field) {
			t.Errorf("%s: detail does not name the key: %v", a.body, p["detail"])
		}
	}
	if n := count(); n != before {
		t.Fatalf("%d keys after the attacks, want %d", n, before)
	}
}

// TestStrictJSONEveryNativeBody sends the same malformed shapes to every
// native route that takes a JSON body: each is a 400 naming the key's
// path, at any depth, and nothing is written.
func TestStrictJSONEveryNativeBody(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"title": "t"}, &conv)
	c := "/v1/conversations/" + conv.ID
	tests := []struct {
		method, path, body, field string
	}{
		{"POST", "/v1/conversations", `{"title":"a","title":"b"}`, "title"},
		{"POST", "/v1/conversations", `{"Title":"a"}`, "Title"},
		{"POST", "/v1/conversations", `{"messages":[{"role":"user","content":"a"},{"role":"user","ROLE":"system","content":"b"}]}`, "messages[1].ROLE"},
		{"POST", "/v1/conversations", `{"metadata":{"k":"1","k":"2"}}`, "metadata.k"},
		{"POST", "/v1/conversations", `{"messages":[{"role":"tool","parts":{"a":{"b":1,"b":2}}}]}`, "messages[0].parts.a.b"},
		{"PATCH", c, `{"user_id":"u","USER_ID":"v"}`, "USER_ID"},
		{"POST", c + "/messages", `{"role":"user","content":"a","Content":"b"}`, "Content"},
		{"POST", c + "/messages", `{"messages":[{"role":"user","content":"a"}],"messages":[]}`, "messages"},
		{"POST", c + "/messages", `{"Messages":[{"role":"user","content":"a"}]}`, "Messages"},
		{"POST", c + "/artifacts", `{"type":"summary","text":"a","data":{"x":1,"x":2}}`, "data.x"},
		{"POST", c + "/artifacts", `{"type":"summary","text":"a","TYPE":"topic"}`, "TYPE"},
		{"POST", "/v1/keys", `{"name":"k","scopes":["read"],"name":"k2"}`, "name"},
	}
	for _, tc := range tests {
		problem(t, e.do(tc.method, tc.path, e.KeyA, tc.body), 400, "invalid_json", tc.field)
	}
	// Map keys that differ only in case are different keys: accepted.
	var ok api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"metadata": map[string]string{"k": "1", "K": "2"}}, &ok)
	if ok.Metadata["k"] != "1" || ok.Metadata["K"] != "2" {
		t.Fatalf("metadata keys differing in case: %+v", ok.Metadata)
	}
	var got api.Conversation
	e.must(200, "GET", c, e.KeyA, nil, &got)
	if got.Title != "t" || got.MessageCount != 0 || got.UserID != nil {
		t.Fatalf("a refused body changed the conversation: %+v", got)
	}
}

// TestNullBodies: a null (or empty) body where an object is required is a
// 400, not a zero-valued create.
func TestNullBodies(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &conv)
	c := "/v1/conversations/" + conv.ID
	for _, tc := range []struct{ method, path string }{
		{"POST", "/v1/conversations"}, {"PATCH", c}, {"POST", c + "/messages"},
		{"POST", c + "/artifacts"}, {"POST", "/v1/keys"},
	} {
		for _, body := range []string{"null", " null ", ""} {
			r := e.do(tc.method, tc.path, e.KeyA, body, "Content-Type", "application/json")
			p := problem(t, r, 400, "invalid_json", "")
			if d := p["detail"].(string); !strings.Contains(d, "null") && !strings.Contains(d, "empty") {
				t.Errorf("%s %s %q: detail %q", tc.method, tc.path, body, d)
			}
		}
	}
	var l api.List[api.Conversation]
	e.must(200, "GET", "/v1/conversations", e.KeyA, nil, &l)
	if len(l.Data) != 1 {
		t.Fatalf("%d conversations, want only the fixture's", len(l.Data))
	}
}

// TestJSONContentType: JSON bodies need a JSON Content-Type; anything
// else is 415 unsupported_media_type, and nothing is written.
func TestJSONContentType(t *testing.T) {
	t.Parallel()
	e := setup(t)
	body := `{"title":"x"}`
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8",
		"application/merge-patch+json", "APPLICATION/JSON"} {
		e.must(201, "POST", "/v1/conversations", e.KeyA, body, nil) // default label
		if r := e.do("POST", "/v1/conversations", e.KeyA, body, "Content-Type", ct); r.Status != 201 {
			t.Errorf("Content-Type %q refused: %v", ct, r)
		}
	}
	var before api.List[api.Conversation]
	e.must(200, "GET", "/v1/conversations?limit=100", e.KeyA, nil, &before)
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
		"application/json; charset=latin1", "application/jsonx", "text/json", "not a type"} {
		r := e.do("POST", "/v1/conversations", e.KeyA, body, "Content-Type", ct)
		p := problem(t, r, 415, "unsupported_media_type", "Content-Type")
		if !strings.Contains(p["detail"].(string), "application/json") && !strings.Contains(p["detail"].(string), "UTF-8") {
			t.Errorf("Content-Type %q: detail %q does not say what to send", ct, p["detail"])
		}
	}
	// Every JSON route checks it.
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &conv)
	c := "/v1/conversations/" + conv.ID
	for _, tc := range []struct{ method, path, body string }{
		{"PATCH", c, `{"title":"y"}`}, {"POST", c + "/messages", `{"role":"user","content":"x"}`},
		{"POST", c + "/artifacts", `{"type":"summary","text":"x"}`}, {"POST", "/v1/keys", `{"scopes":["read"]}`},
	} {
		problem(t, e.do(tc.method, tc.path, e.KeyA, tc.body, "Content-Type", "text/plain"), 415, "unsupported_media_type", "Content-Type")
	}
	var after api.List[api.Conversation]
	e.must(200, "GET", "/v1/conversations?limit=100", e.KeyA, nil, &after)
	if len(after.Data) != len(before.Data)+1 || after.Data[0].Title != "" || after.Data[0].MessageCount != 0 {
		t.Fatalf("a refused body wrote something: %d conversations, newest %+v", len(after.Data), after.Data[0])
	}
}

// TestControlCharactersRefused: control characters that would reach an
// admin's terminal are refused at the API with 422 naming the field; tab,
// newline and CR stay allowed in message content.
func TestControlCharactersRefused(t *testing.T) {
	t.Parallel()
	e := setup(t)
	p := problem(t, e.do("POST", "/v1/keys", e.KeyA, map[string]any{"name": "\x1b[2J\nadmin", "scopes": []string{"read"}}), 422, "invalid", "name")
	if !strings.Contains(p["detail"].(string), "control characters") {
		t.Fatalf("detail: %v", p["detail"])
	}
	problem(t, e.do("POST", "/v1/conversations", e.KeyA, map[string]any{"title": "ok\x1b]0;pwned\x07"}), 422, "invalid", "title")
	problem(t, e.do("POST", "/v1/conversations", e.KeyA, map[string]any{"metadata": map[string]string{"k": "v\n"}}), 422, "invalid", "metadata")
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &conv)
	problem(t, e.do("POST", "/v1/conversations/"+conv.ID+"/messages", e.KeyA,
		map[string]any{"role": "user", "content": "hi \x1b[31mred"}), 422, "invalid", "content")
	problem(t, e.do("POST", "/v1/conversations/"+conv.ID+"/messages", e.KeyA,
		map[string]any{"role": "user", "content": "hi", "author_name": "a\tb"}), 422, "invalid", "author_name")
	var l api.List[api.Message]
	e.must(201, "POST", "/v1/conversations/"+conv.ID+"/messages", e.KeyA,
		map[string]any{"role": "user", "content": "line 1\r\n\tline 2\n"}, &l)
	if len(l.Data) != 1 || l.Data[0].Content != "line 1\r\n\tline 2\n" {
		t.Fatalf("multi-line content: %+v", l.Data)
	}
}
