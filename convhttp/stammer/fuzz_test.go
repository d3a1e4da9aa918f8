package stammer_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/stammer"
)

// FuzzStammerIDs sends arbitrary ids through every route that takes one:
// the deactivate path (under both mounts), the list's chatbot_uuid and
// conversation_number, and the message body's chatbot_uuid and user_key.
// Whatever the id, the answer is never a 500 and every error is the door's
// JSON error with message and error.
func FuzzStammerIDs(f *testing.F) {
	e := doortest.New(f)
	fz := e.Fuzzer(func(s *convhttp.Server) {
		s.Mount("/", stammer.New(s))
		s.Mount("/compat/stammer", stammer.New(s))
	})
	fz.Auth = func(h http.Header, key string) { h.Set("Authorization", "Token "+key) }
	fz.Allowed = map[int]bool{200: true, 301: true, 307: true, 308: true, 400: true, 404: true, 405: true}
	fz.ErrorType = "application/json"
	fz.CheckError = func(tb testing.TB, r *doortest.Response) {
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			tb.Fatalf("%v: body is not a JSON object", r)
		}
		for _, k := range []string{"detail", "message", "error"} {
			if s, ok := m[k].(string); !ok || s == "" {
				tb.Fatalf("%v: no %q", r, k)
			}
		}
	}
	serve := func(method, target string, body []byte, key string) *doortest.Response {
		if body == nil {
			body = []byte{}
		}
		return fz.Serve(method, target, body, key)
	}
	own, foreign := make([]string, 0, 3), make([]string, 0, 2)
	for i := range 3 {
		body, _ := json.Marshal(map[string]string{"chatbot_uuid": bot1, "query": "q", "user_key": "u" + string(rune('a'+i))})
		r := serve("POST", pathMessage, body, e.KeyA)
		var m map[string]any
		if r.Status != 200 || json.Unmarshal(r.Body, &m) != nil {
			f.Fatalf("seed conversation: %v", r)
		}
		own = append(own, m["conversation_uuid"].(string))
	}
	for range 2 {
		body, _ := json.Marshal(map[string]string{"chatbot_uuid": bot1, "query": "q", "user_key": "b"})
		r := serve("POST", pathMessage, body, e.KeyB)
		var m map[string]any
		_ = json.Unmarshal(r.Body, &m)
		uuid, _ := m["conversation_uuid"].(string)
		foreign = append(foreign, uuid)
	}
	seeds := append(append(own, foreign...),
		"", " ", "0", "-1", "9223372036854775807", "9223372036854775808", "610",
		strings.ToUpper(own[0]), strings.ReplaceAll(own[0], "-", ""), "{"+own[0]+"}", "urn:uuid:"+own[0],
		"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
		"zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", own[0][:35], own[0]+"0", "../..", "..", ".", "a/b", "%2F", "%",
		"\x00", "\xff\xfe", "é", strings.Repeat("a", 300), "conv_01j00000000000000000000000", "?page=2", "#x",
	)
	for i, id := range seeds {
		f.Add(uint8(i), id)
	}
	f.Fuzz(func(t *testing.T, target uint8, id string) {
		var method, path string
		var body []byte
		list := pathConversations + "?onlyDeletedConversations=false&"
		switch target % 6 {
		case 0:
			method, path = "POST", pathDeactivate(url.PathEscape(id))
		case 1:
			method, path = "POST", "/compat/stammer"+pathDeactivate(url.PathEscape(id))
		case 2:
			method, path = "GET", list+"chatbot_uuid="+url.QueryEscape(id)
		case 3:
			method, path = "GET", "/compat/stammer"+list+"conversation_number="+url.QueryEscape(id)
		case 4:
			method, path = "GET", list+"chatbot_id="+url.QueryEscape(id)
		default:
			method, path = "POST", pathMessage
			body, _ = json.Marshal(map[string]string{"chatbot_uuid": id, "query": "q", "user_key": id})
		}
		if body == nil {
			body = []byte{}
		}
		r := fz.Check(t, method, path, body, e.KeyA)
		if r == nil || r.Status >= 300 && r.Status < 400 {
			return
		}
		var m map[string]any
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatalf("%v: body is not a JSON object", r)
		}
		if r.Status == 200 && target%6 < 2 {
			// Only the caller's own conversations can be deleted.
			uuid, _ := m["uuid"].(string)
			if id, ok := convstore.ParseUUID(uuid); !ok || !containsFold(own, id.UUID()) {
				t.Fatalf("%s %s deleted %q, not one of tenant A's", method, path, uuid)
			}
		}
		for _, uuid := range foreign {
			id, _ := convstore.ParseUUID(uuid)
			if _, err := e.Store.FindConversationByID(ctx, e.TenantB, id); err != nil {
				t.Fatalf("%s %s: tenant B's conversation %s: %v", method, path, uuid, err)
			}
		}
	})
}

// containsFold reports whether list holds s, ignoring case.
func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
