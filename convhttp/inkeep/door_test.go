package inkeep_test

import (
	"context"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.must(t, "POST", "/conversations", map[string]any{"id": "auth", "type": "openai", "messages": []any{map[string]any{"role": "user", "content": "x"}}})
	msgID := msgs(c)[0]["id"].(string)
	fb := e.must(t, "POST", "/feedback", map[string]any{"type": "positive", "messageId": msgID})
	routes := []struct {
		method, path string
		body         any
		scope        convstore.Scope
	}{
		{"POST", "/conversations", `{"type":"openai","messages":[{"role":"user","content":"x"}]}`, convstore.ScopeWrite},
		{"GET", "/conversations", nil, convstore.ScopeRead},
		{"GET", "/conversations/auth", nil, convstore.ScopeRead},
		{"DELETE", "/conversations/auth", nil, convstore.ScopeDelete},
		{"POST", "/feedback", `{"type":"positive","messageId":"` + msgID + `"}`, convstore.ScopeWrite},
		{"GET", "/feedback/" + fb["id"].(string), nil, convstore.ScopeRead},
	}
	for _, rt := range routes {
		missing := e.c.Do(rt.method, rt.path, rt.body)
		problem(t, missing, 401, "unauthorized")
		if missing.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s: 401 without WWW-Authenticate", rt.method, rt.path)
		}
		wrong := e.c.Do(rt.method, rt.path, rt.body, bearer("csk_wrongwrongwrongwrongwrongwrong")...)
		problem(t, wrong, 401, "unauthorized")
		if withoutRequest(t, missing) != withoutRequest(t, wrong) {
			t.Errorf("%s %s: missing and wrong key differ", rt.method, rt.path)
		}
		other := convstore.ScopeRead
		if rt.scope == convstore.ScopeRead {
			other = convstore.ScopeWrite
		}
		problem(t, e.c.Do(rt.method, rt.path, rt.body, bearer(e.Scoped[other])...), 403, "forbidden")
	}
	// Nothing was deleted by the refused DELETEs.
	e.must(t, "GET", "/conversations/auth", nil)
}

func TestNotFoundUnknownAndForeignAlike(t *testing.T) {
	t.Parallel()
	e := setup(t)
	// Tenant B's conversation (logged with an id and without), its
	// feedback, and tenant A's non-feedback artifact.
	b := e.c.Do("POST", "/conversations", map[string]any{"id": "theirs", "type": "openai", "properties": map[string]any{"k": 1}, "messages": []any{map[string]any{"role": "user", "content": "x"}}}, bearer(e.KeyB)...)
	doortest.Expect(t, b, 200, "application/json")
	bNative := e.c.Do("POST", "/conversations", map[string]any{"type": "openai", "messages": []any{map[string]any{"role": "user", "content": "x"}}}, bearer(e.KeyB)...).Map(t)["id"].(string)
	bMsg := msgs(b.Map(t))[0]["id"].(string)
	bfb := e.c.Do("POST", "/feedback", map[string]any{"type": "negative", "messageId": bMsg}, bearer(e.KeyB)...).Map(t)["id"].(string)
	a := e.must(t, "POST", "/conversations", map[string]any{"id": "mine", "type": "openai", "properties": map[string]any{"k": 1}, "messages": []any{map[string]any{"role": "user", "content": "x"}}})
	conv, _ := e.Store.FindConversationByExternalID(context.Background(), e.TenantA, "inkeep:mine")
	arts, _, _ := e.Store.FindArtifacts(context.Background(), e.TenantA, conv.ID, convstore.ArtifactFilter{})
	fieldArt := arts[0].ID.Format(convstore.PrefixArtifact)
	_ = a

	unknownConv := "conv_" + convstore.NewID().Base32()
	for _, method := range []string{"GET", "DELETE"} {
		var want string
		for _, id := range []string{"nope", unknownConv, "theirs", bNative, "conv_zz", "%20", strings.Repeat("x", 300), "conv_" + strings.Repeat("z", 26)} {
			r := e.c.Do(method, "/conversations/"+id, nil, bearer(e.KeyA)...)
			p := problem(t, r, 404, "not_found")
			if p["instance"] != "/conversations/"+id {
				t.Errorf("instance %v", p["instance"])
			}
			if body := withoutRequest(t, r); want == "" {
				want = body
			} else if body != want {
				t.Errorf("%s %s: %s, want %s", method, id, body, want)
			}
		}
	}
	var want string
	for _, id := range []string{"art_" + convstore.NewID().Base32(), bfb, fieldArt, "nope", "art_"} {
		r := e.c.Do("GET", "/feedback/"+id, nil, bearer(e.KeyA)...)
		problem(t, r, 404, "not_found")
		if body := withoutRequest(t, r); want == "" {
			want = body
		} else if body != want {
			t.Errorf("feedback %s: %s, want %s", id, body, want)
		}
	}
	// A foreign or unknown messageId is the same 422.
	want = ""
	for _, id := range []string{bMsg, "msg_" + convstore.NewID().Base32(), "m1"} {
		r := e.c.Do("POST", "/feedback", map[string]any{"type": "positive", "messageId": id}, bearer(e.KeyA)...)
		problem(t, r, 422, "unprocessable_entity")
		if body := withoutRequest(t, r); want == "" {
			want = body
		} else if body != want {
			t.Errorf("feedback on %s: %s, want %s", id, body, want)
		}
	}
	// Tenant B's data is untouched and still answers B.
	doortest.Expect(t, e.c.Do("GET", "/conversations/theirs", nil, bearer(e.KeyB)...), 200, "application/json")
}

func TestCompatMount(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.compat.Do("POST", "/compat/inkeep/conversations", map[string]any{"id": "cm", "type": "openai", "messages": []any{map[string]any{"role": "user", "content": "x"}}}, bearer(e.KeyA)...)
	doortest.Expect(t, r, 200, "application/json")
	checkConversation(t, r.Map(t))
	doortest.Expect(t, e.compat.Do("GET", "/compat/inkeep/conversations/cm", nil, bearer(e.KeyA)...), 200, "application/json")
	doortest.Expect(t, e.compat.Do("GET", "/compat/inkeep/conversations", nil, bearer(e.KeyA)...), 200, "application/json")
	p := problem(t, e.compat.Do("GET", "/compat/inkeep/conversations/n%2Fo", nil, bearer(e.KeyA)...), 404, "not_found")
	if p["instance"] != "/compat/inkeep/conversations/n%2Fo" {
		t.Fatalf("instance %v", p["instance"])
	}
	p = problem(t, e.compat.Do("GET", "/compat/inkeep/nowhere", nil), 404, "not_found")
	if p["instance"] != "/compat/inkeep/nowhere" {
		t.Fatalf("instance %v", p["instance"])
	}
	r = e.compat.Do("PUT", "/compat/inkeep/conversations", nil, bearer(e.KeyA)...)
	problem(t, r, 405, "method_not_allowed")
	if r.Header.Get("Allow") == "" {
		t.Fatal("405 without Allow")
	}
	problem(t, e.compat.Do("GET", "/compat/inkeep/conversations", nil), 401, "unauthorized")
	r = e.compat.Do("DELETE", "/compat/inkeep/conversations/cm", nil, bearer(e.KeyA)...)
	doortest.Expect(t, r, 200, "application/json")
	problem(t, e.c.Do("GET", "/conversations/cm", nil, bearer(e.KeyA)...), 404, "not_found")
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	e := setup(t)
	big := `{"type":"openai","messages":[{"role":"user","content":"` + strings.Repeat("x", 9<<20) + `"}]}`
	problem(t, e.c.Do("POST", "/conversations", big, bearer(e.KeyA)...), 413, "payload_too_large")
}

func mustParse(tb testing.TB, prefix, s string) convstore.ID {
	tb.Helper()
	id, err := convstore.ParseID(prefix, "id", s)
	if err != nil {
		tb.Fatal(err)
	}
	return id
}
