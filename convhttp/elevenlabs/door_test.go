package elevenlabs_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/elevenlabs"
)

func TestRoutes(t *testing.T) {
	d := elevenlabs.New(convhttp.NewServer(convhttp.Config{}))
	if d.Name() != "elevenlabs" || elevenlabs.DoorName != "elevenlabs" {
		t.Fatalf("name %q", d.Name())
	}
	var got []string
	for _, rt := range d.Routes() {
		got = append(got, rt.Method+" "+rt.Path+" "+string(rt.Scope))
	}
	want := []string{
		"GET /v1/convai/conversations read",
		"GET /v1/convai/conversations/{conversation_id} read",
		"DELETE /v1/convai/conversations/{conversation_id} delete",
		"GET /v1/convai/conversations/{conversation_id}/audio read",
		"GET /v1/convai/conversations/{conversation_id}/summary read",
		"POST /v1/convai/conversations/{conversation_id}/feedback write",
		"GET /v1/convai/conversations/{conversation_id}/sip-messages read",
		"POST /v1/convai/conversations/{conversation_id}/files write",
		"DELETE /v1/convai/conversations/{conversation_id}/files/{file_id} delete",
		"GET /v1/convai/conversations/messages/text-search read",
		"GET /v1/convai/users read",
		// Tags (tags.go).
		"GET /v1/convai/tags read",
		"POST /v1/convai/tags write",
		"GET /v1/convai/tags/{tag_id} read",
		"PATCH /v1/convai/tags/{tag_id} write",
		"DELETE /v1/convai/tags/{tag_id} delete",
		"POST /v1/convai/conversations/{conversation_id}/tags write",
		"DELETE /v1/convai/conversations/{conversation_id}/tags/{tag_id} write",
		// Methods convstore cannot serve by nature: 501 for any valid key.
		"GET /v1/convai/conversation/get-signed-url any",
		"GET /v1/convai/conversation/token any",
		"GET /v1/convai/conversations/resolve any",
		"GET /v1/convai/conversations/messages/smart-search any",
		"POST /v1/convai/conversations/{conversation_id}/analysis/run any",
		"POST /v1/convai/conversations/{conversation_id}/analysis/evaluations/run any",
		"GET /v1/convai/agents/{agent_id}/topics any",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAuth(t *testing.T) {
	w := setup(t)
	c := w.seed(w.TenantA, &convstore.ConversationCreate{})
	routes := []struct{ method, path string }{
		{"GET", "/v1/convai/conversations"},
		{"GET", "/v1/convai/conversations/" + cid(c)},
		{"GET", "/v1/convai/conversations/" + cid(c) + "/audio"},
		{"DELETE", "/v1/convai/conversations/" + cid(c)},
		{"GET", "/v1/convai/conversations/" + cid(c) + "/summary"},
		{"GET", "/v1/convai/conversations/" + cid(c) + "/sip-messages"},
		{"POST", "/v1/convai/conversations/" + cid(c) + "/feedback"},
		{"POST", "/v1/convai/conversations/" + cid(c) + "/files"},
		{"DELETE", "/v1/convai/conversations/" + cid(c) + "/files/file_01m8pfgzpnepf8eew0phv59r57"},
	}
	const invalid = `{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}`
	for _, rt := range routes {
		for _, key := range []string{"", "csk_wrongwrongwrongwrongwrongwrongwrongwrong", "x"} {
			r := w.own.Do(rt.method, rt.path, nil, "xi-api-key", key)
			errorDetail(t, r, 401, "invalid_api_key")
			if trimmed(r) != invalid {
				t.Fatalf("%v", r)
			}
		}
		// The right key in the wrong header is no key.
		r := w.own.Do(rt.method, rt.path, nil, "Authorization", "Bearer "+w.KeyA)
		errorDetail(t, r, 401, "invalid_api_key")
	}
	// Scope failures: 401 missing_permissions.
	errorDetail(t, w.own.Do("DELETE", routes[3].path, nil, "xi-api-key", w.Scoped[convstore.ScopeRead]), 401, "missing_permissions")
	for _, rt := range append(routes[:3:3], routes[4:6]...) {
		errorDetail(t, w.own.Do(rt.method, rt.path, nil, "xi-api-key", w.Scoped[convstore.ScopeWrite]), 401, "missing_permissions")
	}
	errorDetail(t, w.own.Do("POST", routes[6].path, map[string]any{"feedback": "like"}, "xi-api-key", w.Scoped[convstore.ScopeRead]), 401, "missing_permissions")
	errorDetail(t, w.own.Do("POST", routes[7].path, nil, "xi-api-key", w.Scoped[convstore.ScopeRead]), 401, "missing_permissions")
	errorDetail(t, w.own.Do("DELETE", routes[8].path, nil, "xi-api-key", w.Scoped[convstore.ScopeWrite]), 401, "missing_permissions")
	// Nothing was deleted by the failures.
	doortest.Expect(t, w.own.Do("GET", routes[1].path, nil, "xi-api-key", w.Scoped[convstore.ScopeRead]), 200, "application/json")
}

func TestNotFoundIsUniform(t *testing.T) {
	w := setup(t)
	mine := w.seed(w.TenantA, &convstore.ConversationCreate{})
	foreign := w.seed(w.TenantB, &convstore.ConversationCreate{})
	w.attach(w.TenantB, foreign.ID, "audio.mp3", "audio/mpeg", []byte("B"))
	unknown := convstore.NewID().Format(convstore.PrefixConversation)
	for _, suffix := range []string{"", "/audio"} {
		for _, method := range []string{"GET", "DELETE"} {
			if method == "DELETE" && suffix != "" {
				continue
			}
			var first string
			for _, id := range []string{unknown, cid(foreign), "21m00Tcm4TlvDq8ikWAM", "conv_" + strings.Repeat("z", 26), "conv_%20"} {
				r := w.do(method, "/v1/convai/conversations/"+id+suffix)
				errorDetail(t, r, 404, "conversation_not_found")
				if first == "" {
					first = string(r.Body)
				} else if string(r.Body) != first {
					t.Fatalf("%s %s: %s differs from %s", method, id, r.Body, first)
				}
			}
		}
	}
	// Tenant B's conversation is untouched and A's still there.
	if _, err := w.Store.FindConversationByID(context.Background(), w.TenantB, foreign.ID); err != nil {
		t.Fatal(err)
	}
	doortest.Expect(t, w.do("GET", "/v1/convai/conversations/"+cid(mine)), 200, "application/json")
}

func TestCompatMount(t *testing.T) {
	w := setup(t)
	c := w.richConversation()
	key := []string{"xi-api-key", w.KeyA}
	r := w.main.Do("GET", compat+"/v1/convai/conversations", nil, key...)
	doortest.Expect(t, r, 200, "application/json")
	if !strings.Contains(string(r.Body), cid(c)) {
		t.Fatalf("%v", r)
	}
	keys(t, "conversation", w.main.Do("GET", compat+"/v1/convai/conversations/"+cid(c), nil, key...).Map(t), conversationKeys)
	doortest.Expect(t, w.main.Do("GET", compat+"/v1/convai/conversations/"+cid(c)+"/audio", nil, key...), 200, "audio/mpeg")
	errorDetail(t, w.main.Do("GET", compat+"/v1/convai/conversations", nil), 401, "invalid_api_key")
	validation(t, w.main.Do("GET", compat+"/v1/convai/conversations?page_size=0", nil, key...), "page_size", "greater_than_equal")
	errorDetail(t, w.main.Do("GET", compat+"/v1/convai/nothing", nil, key...), 404, "not_found")
	r = w.main.Do("POST", compat+"/v1/convai/conversations", map[string]any{}, key...)
	errorDetail(t, r, 405, "method_not_allowed")
	if r.Header.Get("Allow") == "" {
		t.Fatalf("%v: no Allow", r)
	}
	// The own listener answers unknown paths in this door's format too.
	errorDetail(t, w.do("GET", "/v1/text-to-speech"), 404, "not_found")

	r = w.main.Do("DELETE", compat+"/v1/convai/conversations/"+cid(c), nil, key...)
	if r.Status != 200 || trimmed(r) != "null" || r.ContentType() != "application/json" {
		t.Fatalf("%v", r)
	}
	errorDetail(t, w.main.Do("GET", compat+"/v1/convai/conversations/"+cid(c), nil, key...), 404, "conversation_not_found")
	dels, _, err := w.Store.FindDeletions(context.Background(), w.TenantA, convstore.DeletionFilter{ConversationID: c.ID})
	if err != nil || len(dels) != 1 || dels[0].Door != "elevenlabs" {
		t.Fatalf("%v %v", dels, err)
	}
}

// TestNativeSeeding walks the documented path: the native API writes, this
// door reads and deletes.
func TestNativeSeeding(t *testing.T) {
	w := setup(t)
	bearer := []string{"Authorization", "Bearer " + w.KeyA}
	var conv api.Conversation
	r := w.main.Do("POST", "/v1/conversations", map[string]any{
		"agent_id": "agent_9", "user_id": "u9",
		"messages": []map[string]any{
			{"role": "assistant", "content": "Hi!", "start_offset_ms": 0, "end_offset_ms": 1200},
			{"role": "user", "content": "Help", "start_offset_ms": 2500, "end_offset_ms": 9800},
		},
	}, bearer...)
	doortest.Expect(t, r, 201, "application/json")
	r.JSON(t, &conv)
	doortest.Expect(t, w.main.Do("PUT", "/v1/conversations/"+conv.ID+"/attachments/audio.mp3", "MP3DATA",
		"Authorization", "Bearer "+w.KeyA, "Content-Type", "audio/mpeg"), 201, "application/json")
	doortest.Expect(t, w.main.Do("POST", "/v1/conversations/"+conv.ID+"/artifacts",
		map[string]any{"type": "summary", "text": "Asked for help."}, bearer...), 201, "application/json")
	doortest.Expect(t, w.main.Do("POST", "/v1/conversations/"+conv.ID+"/artifacts",
		map[string]any{"type": "analysis", "data": map[string]any{"call_successful": "success"}}, bearer...), 201, "application/json")

	m := w.do("GET", "/v1/convai/conversations/"+conv.ID).Map(t)
	an := m["analysis"].(map[string]any)
	if m["agent_id"] != "agent_9" || m["has_audio"] != true || an["transcript_summary"] != "Asked for help." ||
		an["call_successful"] != "success" || m["metadata"].(map[string]any)["call_duration_secs"] != 9.0 {
		t.Fatalf("%v", m)
	}
	if tr := m["transcript"].([]any); len(tr) != 2 || tr[1].(map[string]any)["time_in_call_secs"] != 2.0 {
		t.Fatalf("transcript %v", tr)
	}
	r = w.do("GET", "/v1/convai/conversations/"+conv.ID+"/audio")
	if r.Status != 200 || string(r.Body) != "MP3DATA" {
		t.Fatalf("%v", r)
	}
	if r = w.do("DELETE", "/v1/convai/conversations/"+conv.ID); r.Status != 200 {
		t.Fatalf("%v", r)
	}
	if r = w.main.Do("GET", "/v1/conversations/"+conv.ID, nil, bearer...); r.Status != 404 {
		t.Fatalf("native still sees it: %v", r)
	}
}

// TestWriteError covers the answers no route produces on its own.
func TestWriteError(t *testing.T) {
	d := elevenlabs.New(convhttp.NewServer(convhttp.Config{}))
	for _, tc := range []struct {
		err    error
		status int
		body   string
	}{
		{errString("database on fire: secret dsn"), 500, `{"detail":{"status":"internal_error","message":"Internal error."}}`},
		{&convstore.Error{Code: convstore.EINTERNAL, Message: "leak"}, 500, `{"detail":{"status":"internal_error","message":"Internal error."}}`},
		{&convstore.Error{Code: convstore.ETOOLARGE, Message: "too big"}, 413, `{"detail":{"status":"payload_too_large","message":"too big"}}`},
		{&convstore.Error{Code: convstore.EUNAVAILABLE, Message: "down"}, 503, `{"detail":{"status":"service_unavailable","message":"down"}}`},
		{&convstore.Error{Code: convstore.EFORBIDDEN, Message: "no scope"}, 401, `{"detail":{"status":"missing_permissions","message":"no scope"}}`},
		{&convstore.Error{Code: convhttp.CodeInvalidJSON, Message: "bad json"}, 422, `{"detail":[{"type":"value_error","loc":["body"],"msg":"bad json"}]}`},
		{&convstore.Error{Code: convstore.EINVALID, Field: "agent_id", Message: "too long"}, 422, `{"detail":[{"type":"value_error","loc":["query","agent_id"],"msg":"too long"}]}`},
	} {
		rec := httptest.NewRecorder()
		d.WriteError(rec, httptest.NewRequest("GET", "/v1/convai/conversations", nil), tc.err)
		if rec.Code != tc.status || rec.Header().Get("Content-Type") != "application/json" || strings.TrimSpace(rec.Body.String()) != tc.body {
			t.Fatalf("%v: %d %q %s", tc.err, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }
