package stammer_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/stammer"
)

func TestRoutes(t *testing.T) {
	s := convhttp.NewServer(doortest.New(t).Config())
	d := stammer.New(s)
	if d.Name() != "stammer" || stammer.DoorName != "stammer" {
		t.Fatalf("name %q", d.Name())
	}
	want := map[string]convstore.Scope{
		"POST /en/chatbot/api/v1/message/{$}":                                     convstore.ScopeWrite,
		"GET /en/chatbot/api/v1/conversations/{$}":                                convstore.ScopeRead,
		"POST /en/chatbot/api/v1/conversation/{conversation_uuid}/deactivate/{$}": convstore.ScopeDelete,
	}
	routes := d.Routes()
	if len(routes) != len(want) {
		t.Fatalf("%d routes, want %d", len(routes), len(want))
	}
	for _, rt := range routes {
		if scope, ok := want[rt.Method+" "+rt.Path]; !ok || scope != rt.Scope || rt.Handler == nil {
			t.Errorf("unexpected route %s %s (%s)", rt.Method, rt.Path, rt.Scope)
		}
	}
}

func TestAuth(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		uuid := f.message(f.KeyA, bot1, "u", "q")["conversation_uuid"].(string)
		routes := []struct {
			method, path string
			body         any
			wrongScope   convstore.Scope
		}{
			{"POST", pathMessage, map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": "u"}, convstore.ScopeRead},
			{"GET", pathConversations + "?onlyDeletedConversations=false", nil, convstore.ScopeWrite},
			{"POST", pathDeactivate(uuid), nil, convstore.ScopeRead},
		}
		for _, rt := range routes {
			missing := f.do(rt.method, rt.path, rt.body, "")
			expectError(t, missing, 401, "not_authenticated")
			if missing.Header.Get("WWW-Authenticate") != "Token" {
				t.Fatalf("%v: WWW-Authenticate %q", missing, missing.Header.Get("WWW-Authenticate"))
			}
			sameAnswer(t, missing, f.do(rt.method, rt.path, rt.body, "cs_wrong_key"))
			sameAnswer(t, missing, f.c.Do(rt.method, f.prefix+rt.path, rt.body, "Authorization", "Bearer "+f.KeyA))
			sameAnswer(t, missing, f.c.Do(rt.method, f.prefix+rt.path, rt.body, "Authorization", "Token"))
			expectError(t, f.do(rt.method, rt.path, rt.body, f.Scoped[rt.wrongScope]), 403, "permission_denied")
		}
		// The scheme word is case-insensitive, and nothing above deleted it.
		r := f.c.Do("POST", f.prefix+pathDeactivate(uuid), nil, "Authorization", "token "+f.Scoped[convstore.ScopeDelete])
		doortest.Expect(t, r, 200, "application/json")
	})
}

func TestUnknownRoutes(t *testing.T) {
	mounts(t, func(t *testing.T, f *fixture) {
		expectError(t, f.do("GET", "/en/chatbot/api/v1/nope/", nil, f.KeyA), 404, "not_found")
		expectError(t, f.do("POST", pathMessage+"extra/", "{}", f.KeyA), 404, "not_found")
		r := f.do("GET", pathMessage, nil, f.KeyA)
		expectError(t, r, 405, "method_not_allowed")
		if !strings.Contains(r.Header.Get("Allow"), "POST") {
			t.Fatalf("%v: Allow %q", r, r.Header.Get("Allow"))
		}
		expectError(t, f.do("DELETE", pathDeactivate(convstore.NewID().UUID()), nil, f.KeyA), 405, "method_not_allowed")

		// Without the trailing slash: ServeMux redirects to the slashed path
		// with 307, which keeps the method and body (Django's APPEND_SLASH
		// would answer 301).
		noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, c := range []struct{ method, path string }{
			{"POST", strings.TrimSuffix(pathMessage, "/")},
			{"GET", strings.TrimSuffix(pathConversations, "/") + "?onlyDeletedConversations=false"},
		} {
			req, _ := http.NewRequest(c.method, f.c.URL+f.prefix+c.path, nil)
			req.Header.Set("Authorization", token(f.KeyA))
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			path, query, _ := strings.Cut(c.path, "?")
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusTemporaryRedirect || loc != f.prefix+path+"/"+strings.TrimSuffix("?"+query, "?") {
				t.Fatalf("%s %s: %d %q", c.method, c.path, resp.StatusCode, loc)
			}
		}
		// A client that follows the redirect re-sends the POST with its body.
		r = f.do("POST", strings.TrimSuffix(pathMessage, "/"), map[string]any{"chatbot_uuid": bot1, "query": "q", "user_key": "slashless"}, f.KeyA)
		doortest.Expect(t, r, 200, "application/json")
		if r.Map(t)["user_key"] != "slashless" {
			t.Fatalf("%v", r)
		}
	})
}

func TestErrorFormat(t *testing.T) {
	f := setupRoot(t)
	big := `{"query":"` + strings.Repeat("x", convhttp.DefaultMaxBodyBytes) + `"}`
	expectError(t, f.do("POST", pathMessage, big, f.KeyA), 413, "request_too_large")

	// A store fault is a 500 that shows nothing of it.
	e := doortest.New(t)
	e.Store = faultyStore{e.Store}
	c := e.Serve(func(s *convhttp.Server) { s.Mount("/", stammer.New(s)) })
	r := c.Do("GET", pathConversations+"?onlyDeletedConversations=false", nil, "Authorization", token(e.KeyA))
	if m := expectError(t, r, 500, "server_error"); m["message"] != "Internal error." || m["field"] != nil ||
		strings.Contains(string(r.Body), "disk") || !strings.Contains(e.Logs.String(), "disk on fire") {
		t.Fatalf("%v", r)
	}
}

// faultyStore fails CountConversations with an internal error.
type faultyStore struct{ convstore.Store }

func (faultyStore) CountConversations(context.Context, convstore.ID, convstore.ConversationFilter) (int, error) {
	return 0, errors.New("disk on fire")
}
