package botpress_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/botpress"
	"github.com/convstore/convstore/convhttp/doortest"
)

// route is one request of the door, for the per-route tables.
type route struct {
	method, path string
	body         any
}

// routes returns one valid request per route, over conversation conv,
// message msg and user of tenant A's bot.
func routes(conv, msg, user string) []route {
	return []route{
		{"POST", "/v1/chat/users", map[string]any{"tags": map[string]string{}}},
		{"POST", "/v1/chat/users/get-or-create", map[string]any{"tags": map[string]string{"k": "v"}}},
		{"GET", "/v1/chat/users", nil},
		{"GET", "/v1/chat/users/" + user, nil},
		{"PUT", "/v1/chat/users/" + user, map[string]any{"name": "n"}},
		{"POST", "/v1/chat/conversations/" + conv + "/participants", map[string]any{"userId": user}},
		{"GET", "/v1/chat/conversations/" + conv + "/participants", nil},
		{"GET", "/v1/chat/conversations/" + conv + "/participants/" + user, nil},
		{"DELETE", "/v1/chat/conversations/" + conv + "/participants/" + user, nil},
		{"POST", "/v1/chat/messages/get-or-create", map[string]any{"conversationId": conv, "userId": "u", "type": "text", "tags": map[string]string{"k": "v"}, "payload": map[string]string{"text": "x"}}},
		{"PUT", "/v1/chat/messages/" + msg, map[string]any{"tags": map[string]string{"a": "b"}}},
		{"POST", "/v1/chat/initialize-incoming-message", map[string]any{"userId": user, "conversationId": conv}},
		{"POST", "/v1/chat/messages/import-messages", map[string]any{"messages": []any{map[string]any{"conversationId": conv, "userId": "u", "type": "text",
			"tags": map[string]string{"i": "1"}, "payload": map[string]string{"text": "x"}, "createdAt": "2024-01-31T12:00:00.000Z", "discriminateByTags": []string{"i"}}}}},
		{"DELETE", "/v1/chat/users/" + user, nil},
		{"POST", "/v1/chat/conversations", map[string]any{"channel": "c", "tags": map[string]string{}}},
		{"POST", "/v1/chat/conversations/get-or-create", map[string]any{"channel": "c", "tags": map[string]string{"k": "v"}}},
		{"GET", "/v1/chat/conversations", nil},
		{"GET", "/v1/chat/conversations/" + conv, nil},
		{"PUT", "/v1/chat/conversations/" + conv, map[string]any{"tags": map[string]string{"a": "b"}}},
		{"DELETE", "/v1/chat/conversations/" + conv, "{}"},
		{"POST", "/v1/chat/messages", map[string]any{"conversationId": conv, "userId": "u", "type": "text", "tags": map[string]string{}, "payload": map[string]string{"text": "x"}}},
		{"GET", "/v1/chat/messages?conversationId=" + conv, nil},
		{"GET", "/v1/chat/messages/" + msg, nil},
		{"DELETE", "/v1/chat/messages/" + msg, nil},
	}
}

func TestRoutesAreTheDocumentedOnes(t *testing.T) {
	e := setup(t)
	var got []string
	for _, ri := range e.c.Server.Routes() {
		if ri.Door == botpress.DoorName {
			got = append(got, ri.Pattern)
		}
	}
	want := []string{
		"POST /v1/chat/users", "POST /v1/chat/users/get-or-create", "GET /v1/chat/users", "GET /v1/chat/users/{id}",
		"PUT /v1/chat/users/{id}", "DELETE /v1/chat/users/{id}",
		"POST /v1/chat/conversations", "POST /v1/chat/conversations/get-or-create", "GET /v1/chat/conversations",
		"GET /v1/chat/conversations/{id}", "PUT /v1/chat/conversations/{id}", "DELETE /v1/chat/conversations/{id}",
		"POST /v1/chat/conversations/{id}/participants", "GET /v1/chat/conversations/{id}/participants",
		"GET /v1/chat/conversations/{id}/participants/{userId}", "DELETE /v1/chat/conversations/{id}/participants/{userId}",
		"POST /v1/chat/messages", "POST /v1/chat/messages/get-or-create", "POST /v1/chat/messages/import-messages", "PUT /v1/chat/messages/{id}",
		"GET /v1/chat/messages", "GET /v1/chat/messages/{id}", "DELETE /v1/chat/messages/{id}",
		"POST /v1/chat/initialize-incoming-message",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("routes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestAuthEveryRoute: a missing or wrong key is 401 Unauthorized, a key
// without the scope 403 Forbidden, and a missing x-bot-id 400
// InvalidPayload, on every route, before anything is read or written.
func TestAuthEveryRoute(t *testing.T) {
	e := setup(t)
	conv := e.createConversation(t, e.KeyA, bot, nil)["id"].(string)
	msg := e.createMessage(t, e.KeyA, bot, conv, "u", "hi")["id"].(string)
	user := e.createUser(t, e.KeyA, bot, nil)["id"].(string)
	for _, rt := range routes(conv, msg, user) {
		name := rt.method + " " + rt.path
		r := e.c.Do(rt.method, rt.path, rt.body, as("", bot)...)
		wantError(t, r, 401, "Unauthorized")
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", name)
		}
		r = e.c.Do(rt.method, rt.path, rt.body, as("csk_wrongwrongwrongwrongwrongwrongwrongwrong", bot)...)
		wantError(t, r, 401, "Unauthorized")
		r = e.c.Do(rt.method, rt.path, rt.body, "Authorization", "Token "+e.KeyA, "x-bot-id", bot)
		wantError(t, r, 401, "Unauthorized")
		r = e.c.Do(rt.method, rt.path, rt.body, as(e.KeyA, "")...)
		wantError(t, r, 400, "InvalidPayload")
		if !strings.Contains(r.Map(t)["message"].(string), "x-bot-id") {
			t.Errorf("%s: missing x-bot-id message: %s", name, r.Body)
		}
		r = e.c.Do(rt.method, rt.path, rt.body, as(e.KeyA, strings.Repeat("b", 257))...)
		wantError(t, r, 400, "InvalidPayload")
		need := convstore.ScopeRead
		switch rt.method {
		case "POST", "PUT":
			need = convstore.ScopeWrite
		case "DELETE":
			need = convstore.ScopeDelete
			if strings.Contains(rt.path, "/participants/") {
				need = convstore.ScopeWrite // removing a participant deletes no data
			}
		}
		for _, s := range []convstore.Scope{convstore.ScopeRead, convstore.ScopeWrite, convstore.ScopeDelete} {
			if s != need {
				r = e.c.Do(rt.method, rt.path, rt.body, as(e.Scoped[s], bot)...)
				wantError(t, r, 403, "Forbidden")
			}
		}
	}
	// Nothing was deleted by the refused requests.
	r := e.c.Do("GET", "/v1/chat/messages/"+msg, nil, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	// Each scope alone suffices where it is the one needed.
	r = e.c.Do("GET", "/v1/chat/conversations/"+conv, nil, as(e.Scoped[convstore.ScopeRead], bot)...)
	doortest.Expect(t, r, 200, "application/json")
}

// TestCompatMount serves the door under /compat/botpress next to the
// native API: routes, fallbacks and errors are the door's there too.
func TestCompatMount(t *testing.T) {
	e := doortest.New(t)
	c := e.Serve(func(s *convhttp.Server) { s.Mount("/compat/botpress", botpress.New(s)) })
	base := "/compat/botpress/v1/chat"
	r := c.Do("POST", base+"/conversations", `{"channel":"c","tags":{}}`, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	id := r.Map(t)["conversation"].(map[string]any)["id"].(string)
	r = c.Do("POST", base+"/messages", `{"conversationId":"`+id+`","userId":"u","type":"text","tags":{},"payload":{"text":"x"}}`, as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	doortest.Expect(t, c.Do("GET", base+"/conversations/"+id, nil, as(e.KeyA, bot)...), 200, "application/json")
	wantError(t, c.Do("GET", base+"/conversations/"+id, nil, as("", bot)...), 401, "Unauthorized")
	r = c.Do("DELETE", base+"/conversations/"+id, "{}", as(e.KeyA, bot)...)
	doortest.Expect(t, r, 200, "application/json")
	sameNotFound(t, c.Do("GET", base+"/conversations/"+id, nil, as(e.KeyA, bot)...), c.Do("GET", base+"/messages?conversationId="+id, nil, as(e.KeyA, bot)...))
	dels, _, _ := e.Store.FindDeletions(context.Background(), e.TenantA, convstore.DeletionFilter{})
	if len(dels) != 1 || dels[0].Door != botpress.DoorName {
		t.Errorf("receipts %+v", dels)
	}
	// The root is not the door's.
	if r := c.Do("GET", "/v1/chat/conversations/"+id, nil, as(e.KeyA, bot)...); r.Status != 404 || r.ContentType() == "application/json" {
		t.Errorf("outside the mount: %v", r)
	}
	wantError(t, c.Do("GET", "/compat/botpress/nope", nil), 404, "ResourceNotFound")
	r = c.Do("PATCH", base+"/conversations/"+id, "{}", as(e.KeyA, bot)...)
	wantError(t, r, 405, "MethodNotFound")
	if r.Header.Get("Allow") == "" {
		t.Error("405 without Allow")
	}
}

func TestFallbacksAtRoot(t *testing.T) {
	e := setup(t)
	wantError(t, e.c.Do("GET", "/v1/chat/nothing", nil), 404, "ResourceNotFound")
	wantError(t, e.c.Do("POST", "/v1/chat/conversations/conv_x", "{}", as(e.KeyA, bot)...), 405, "MethodNotFound")
	wantError(t, e.c.Do("DELETE", "/v1/chat/users", nil, as(e.KeyA, bot)...), 405, "MethodNotFound")
	// HEAD answers like GET, without a body.
	r := e.c.Do("HEAD", "/v1/chat/conversations", nil, as(e.KeyA, bot)...)
	if r.Status != http.StatusOK || len(r.Body) != 0 {
		t.Errorf("HEAD: %v", r)
	}
	// Error ids are unique.
	a := e.c.Do("GET", "/v1/chat/nothing", nil).Map(t)["id"]
	b := e.c.Do("GET", "/v1/chat/nothing", nil).Map(t)["id"]
	if a == b {
		t.Errorf("error ids repeat: %v", a)
	}
}
