package elevenlabs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// tagOf creates a tag through the door with tenant key key and returns
// its JSON.
func (w *world) tagOf(key, title, desc string) map[string]any {
	w.TB.Helper()
	body := map[string]any{"title": title}
	if desc != "" {
		body["description"] = desc
	}
	r := w.own.Do("POST", "/v1/convai/tags", body, "xi-api-key", key)
	doortest.Expect(w.TB, r, 200, "application/json")
	return r.Map(w.TB)
}

// TestTagDefinitions: create, get, list (newest first, paged), update
// and delete a tenant's tags, with the wire's required keys.
func TestTagDefinitions(t *testing.T) {
	w := setup(t)
	a := w.tagOf(w.KeyA, "Billing", "Calls about bills")
	id, _ := a["tag_id"].(string)
	if !strings.HasPrefix(id, "tag_") || a["title"] != "Billing" || a["description"] != "Calls about bills" ||
		a["workspace_id"] != w.TenantA.Format(convstore.PrefixTenant) ||
		!strings.HasPrefix(a["owner_user_id"].(string), "key_") || a["created_at_unix_secs"].(float64) <= 0 {
		t.Fatalf("created %v", a)
	}
	b := w.tagOf(w.KeyA, "Billing", "") // titles need not be unique
	if b["tag_id"] == id {
		t.Fatalf("same id twice: %v", b)
	}
	if _, ok := b["description"]; ok {
		t.Fatalf("no description is left out: %v", b)
	}

	r := w.do("GET", "/v1/convai/tags/"+id)
	doortest.Expect(t, r, 200, "application/json")
	if got := r.Map(t); got["title"] != "Billing" || got["tag_id"] != id {
		t.Fatalf("get %v", got)
	}

	// List: newest first, paged by cursor.
	c := w.tagOf(w.KeyA, "Refund", "")
	r = w.do("GET", "/v1/convai/tags?page_size=2")
	page := r.Map(t)
	tags := page["conversation_tags"].([]any)
	if len(tags) != 2 || tags[0].(map[string]any)["tag_id"] != c["tag_id"] || tags[1].(map[string]any)["tag_id"] != b["tag_id"] ||
		page["has_more"] != true || page["next_cursor"] == nil {
		t.Fatalf("page 1 %v", page)
	}
	r = w.do("GET", "/v1/convai/tags?page_size=2&cursor="+page["next_cursor"].(string))
	page = r.Map(t)
	tags = page["conversation_tags"].([]any)
	if len(tags) != 1 || tags[0].(map[string]any)["tag_id"] != id || page["has_more"] != false || page["next_cursor"] != nil {
		t.Fatalf("page 2 %v", page)
	}

	// Update: the members given replace, the others stay.
	r = w.own.Do("PATCH", "/v1/convai/tags/"+id, map[string]any{"title": "Bills"}, "xi-api-key", w.KeyA)
	doortest.Expect(t, r, 200, "application/json")
	if got := r.Map(t); got["title"] != "Bills" || got["description"] != "Calls about bills" {
		t.Fatalf("update %v", got)
	}
	r = w.own.Do("PATCH", "/v1/convai/tags/"+id, map[string]any{"description": "", "title": nil}, "xi-api-key", w.KeyA)
	if got := r.Map(t); got["title"] != "Bills" || got["description"] != nil {
		t.Fatalf("update 2 %v", got)
	}

	// Delete: 200 null, then 404.
	r = w.do("DELETE", "/v1/convai/tags/"+id)
	doortest.Expect(t, r, 200, "application/json")
	if trimmed(r) != "null" {
		t.Fatalf("delete %v", r)
	}
	errorDetail(t, w.do("GET", "/v1/convai/tags/"+id), 404, "tag_not_found")
	errorDetail(t, w.do("DELETE", "/v1/convai/tags/"+id), 404, "tag_not_found")
	entries, _, err := w.Store.FindAuditEntries(context.Background(), w.TenantA, convstore.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || e.Action == convstore.AuditTagDelete && e.TargetID.Format(convstore.PrefixTag) == id && e.Door == "elevenlabs"
	}
	if !found {
		t.Fatalf("no audit entry of the tag's delete in %v", entries)
	}
}

// TestTagValidation: bad bodies and queries are the door's 422 list,
// validated before the id; bad media types are 415.
func TestTagValidation(t *testing.T) {
	w := setup(t)
	conv := w.seed(w.TenantA, &convstore.ConversationCreate{})
	tag := w.tagOf(w.KeyA, "x", "")["tag_id"].(string)
	post := func(path string, body any) *doortest.Response {
		return w.own.Do("POST", path, body, "xi-api-key", w.KeyA)
	}
	patch := func(path string, body any) *doortest.Response {
		return w.own.Do("PATCH", path, body, "xi-api-key", w.KeyA)
	}
	bodyItem(t, post("/v1/convai/tags", `{}`), "missing", "body", "title")
	bodyItem(t, post("/v1/convai/tags", `{"title":null}`), "string_type", "body", "title")
	bodyItem(t, post("/v1/convai/tags", `{"title":""}`), "string_too_short", "body", "title")
	bodyItem(t, post("/v1/convai/tags", `{"title":7}`), "string_type", "body", "title")
	bodyItem(t, post("/v1/convai/tags", map[string]any{"title": strings.Repeat("é", 257)}), "string_too_long", "body", "title")
	bodyItem(t, post("/v1/convai/tags", map[string]any{"title": "a", "description": strings.Repeat("x", 4001)}), "string_too_long", "body", "description")
	bodyItem(t, post("/v1/convai/tags", `{"title":"a\u0000b"}`), "value_error", "body", "title")
	bodyItem(t, post("/v1/convai/tags", `[1]`), "model_attributes_type", "body")
	bodyItem(t, post("/v1/convai/tags", `{"title":`), "json_invalid", "body")
	errorDetail(t, w.own.Do("POST", "/v1/convai/tags", `{"title":"a"}`, "xi-api-key", w.KeyA, "Content-Type", "text/plain"), 415, "unsupported_media_type")
	bodyItem(t, patch("/v1/convai/tags/"+tag, `{"title":""}`), "string_too_short", "body", "title")
	// The body before the id: a bad body is 422 even for an unknown tag.
	bodyItem(t, patch("/v1/convai/tags/tag_01m8pfgzpnepf8eew0phv59r57", `{"title":""}`), "string_too_short", "body", "title")

	assign := "/v1/convai/conversations/" + cid(conv) + "/tags"
	bodyItem(t, post(assign, `{}`), "missing", "body", "tag_ids")
	bodyItem(t, post(assign, `{"tag_ids":"x"}`), "list_type", "body", "tag_ids")
	bodyItem(t, post(assign, `{"tag_ids":[]}`), "too_short", "body", "tag_ids")
	if r := post(assign, `{"tag_ids":["a",1]}`); r.Status != 422 || doortest.Raw(t, r.Body, "detail") !=
		`[{"type":"string_type","loc":["body","tag_ids",1],"msg":"Input should be a valid string","input":1}]` {
		t.Fatalf("a number in tag_ids: %v", r)
	}
	many := make([]string, 101)
	for i := range many {
		many[i] = tag
	}
	bodyItem(t, post(assign, map[string]any{"tag_ids": many}), "too_long", "body", "tag_ids")
	bodyItem(t, post("/v1/convai/conversations/nope/tags", `{}`), "missing", "body", "tag_ids")

	validation(t, w.do("GET", "/v1/convai/tags?page_size=0"), "page_size", "greater_than_equal")
	validation(t, w.do("GET", "/v1/convai/tags?page_size=101"), "page_size", "less_than_equal")
	validation(t, w.do("GET", "/v1/convai/tags?cursor=nope"), "cursor", "value_error")
	validation(t, w.do("GET", "/v1/convai/conversations?tag_ids="+strings.Repeat("&tag_ids=x", 101)), "tag_ids", "too_long")
}

// TestConversationTags: assign and unassign, tag_ids in the list and the
// get, the list's tag filter, and what the vendor leaves undocumented.
func TestConversationTags(t *testing.T) {
	w := setup(t)
	c1 := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "a1"})
	c2 := w.seed(w.TenantA, &convstore.ConversationCreate{AgentID: "a1"})
	x := w.tagOf(w.KeyA, "x", "")["tag_id"].(string)
	y := w.tagOf(w.KeyA, "y", "")["tag_id"].(string)
	assign := func(c *convstore.Conversation, ids ...string) *doortest.Response {
		return w.own.Do("POST", "/v1/convai/conversations/"+cid(c)+"/tags", map[string]any{"tag_ids": ids}, "xi-api-key", w.KeyA)
	}
	tagsOfGet := func(c *convstore.Conversation) string {
		return doortest.Raw(t, w.do("GET", "/v1/convai/conversations/"+cid(c)).Body, "tag_ids")
	}
	if got := tagsOfGet(c1); got != "[]" {
		t.Fatalf("untagged get tag_ids %s", got)
	}
	r := assign(c1, x, y, x) // a repeated id is one
	doortest.Expect(t, r, 200, "application/json")
	if trimmed(r) != "null" {
		t.Fatalf("assign %v", r)
	}
	doortest.Expect(t, assign(c1, x), 200, "application/json") // assigned already: no-op
	doortest.Expect(t, assign(c2, y), 200, "application/json")
	if got := tagsOfGet(c1); got != `["`+x+`","`+y+`"]` {
		t.Fatalf("get tag_ids %s", got)
	}

	// The list: tag_ids on each summary; the filter keeps conversations
	// carrying every tag named.
	list := func(q string) map[string]string {
		r := w.do("GET", "/v1/convai/conversations"+q)
		doortest.Expect(t, r, 200, "application/json")
		out := map[string]string{}
		for _, s := range r.Map(t)["conversations"].([]any) {
			m := s.(map[string]any)
			var ids []string
			for _, v := range m["tag_ids"].([]any) {
				ids = append(ids, v.(string))
			}
			out[m["conversation_id"].(string)] = strings.Join(ids, ",")
		}
		return out
	}
	if got := list(""); len(got) != 2 || got[cid(c1)] != x+","+y || got[cid(c2)] != y {
		t.Fatalf("list %v", got)
	}
	if got := list("?tag_ids=" + y); len(got) != 2 {
		t.Fatalf("filter y %v", got)
	}
	if got := list("?tag_ids=" + x + "&tag_ids=" + y); len(got) != 1 || got[cid(c1)] == "" {
		t.Fatalf("filter x and y %v", got)
	}
	for _, q := range []string{"?tag_ids=nope", "?tag_ids=tag_01m8pfgzpnepf8eew0phv59r57"} {
		if got := list(q); len(got) != 0 {
			t.Fatalf("filter %s: %v", q, got)
		}
	}

	// An unknown tag id (well-formed or not) is 404 tag_not_found and
	// nothing is attached; an unknown conversation is checked first.
	for _, bad := range []string{"tag_01m8pfgzpnepf8eew0phv59r57", "nope"} {
		errorDetail(t, assign(c2, x, bad), 404, "tag_not_found")
		errorDetail(t, w.own.Do("POST", "/v1/convai/conversations/conv_01m8pfgzpnepf8eew0phv59r57/tags",
			map[string]any{"tag_ids": []string{bad}}, "xi-api-key", w.KeyA), 404, "conversation_not_found")
	}
	if got := tagsOfGet(c2); got != `["`+y+`"]` {
		t.Fatalf("a failed assign attached %s", got)
	}

	// Unassign: 200 null; a tag the conversation does not carry is no
	// error; an unknown tag is 404.
	r = w.do("DELETE", "/v1/convai/conversations/"+cid(c1)+"/tags/"+x)
	doortest.Expect(t, r, 200, "application/json")
	if trimmed(r) != "null" || tagsOfGet(c1) != `["`+y+`"]` {
		t.Fatalf("unassign %v, left %s", r, tagsOfGet(c1))
	}
	doortest.Expect(t, w.do("DELETE", "/v1/convai/conversations/"+cid(c1)+"/tags/"+x), 200, "application/json")
	errorDetail(t, w.do("DELETE", "/v1/convai/conversations/"+cid(c1)+"/tags/tag_01m8pfgzpnepf8eew0phv59r57"), 404, "tag_not_found")
	errorDetail(t, w.do("DELETE", "/v1/convai/conversations/"+cid(c1)+"/tags/nope"), 404, "tag_not_found")
	errorDetail(t, w.do("DELETE", "/v1/convai/conversations/nope/tags/"+x), 404, "conversation_not_found")

	// Deleting a tag still attached detaches it everywhere.
	doortest.Expect(t, w.do("DELETE", "/v1/convai/tags/"+y), 200, "application/json")
	if got := list(""); got[cid(c1)] != "" || got[cid(c2)] != "" {
		t.Fatalf("after the tag's delete %v", got)
	}

	// Deleting a conversation deletes its links.
	doortest.Expect(t, assign(c2, x), 200, "application/json")
	doortest.Expect(t, w.do("DELETE", "/v1/convai/conversations/"+cid(c2)), 200, "application/json")
	for table, n := range w.ConversationRows(c2.ID) {
		if n != 0 {
			t.Fatalf("%d rows left in %s", n, table)
		}
	}
}

// TestTagIsolation: another tenant's tag or conversation answers exactly
// as a missing one, and changes nothing.
func TestTagIsolation(t *testing.T) {
	w := setup(t)
	ca := w.seed(w.TenantA, &convstore.ConversationCreate{})
	cb := w.seed(w.TenantB, &convstore.ConversationCreate{})
	ta := w.tagOf(w.KeyA, "secret title", "")["tag_id"].(string)
	tb := w.tagOf(w.KeyB, "b", "")["tag_id"].(string)
	const missingTag = "tag_01m8pfgzpnepf8eew0phv59r57"
	const missingConv = "conv_01m8pfgzpnepf8eew0phv59r57"
	same := func(what string, foreign, missing *doortest.Response, status int, code string) {
		t.Helper()
		errorDetail(t, foreign, status, code)
		if string(foreign.Body) != string(missing.Body) || foreign.Status != missing.Status {
			t.Fatalf("%s: foreign %v, missing %v", what, foreign, missing)
		}
	}
	b := func(method, path string, body any) *doortest.Response {
		return w.own.Do(method, path, body, "xi-api-key", w.KeyB)
	}
	same("get", b("GET", "/v1/convai/tags/"+ta, nil), b("GET", "/v1/convai/tags/"+missingTag, nil), 404, "tag_not_found")
	same("patch", b("PATCH", "/v1/convai/tags/"+ta, `{"title":"z"}`), b("PATCH", "/v1/convai/tags/"+missingTag, `{"title":"z"}`), 404, "tag_not_found")
	same("delete", b("DELETE", "/v1/convai/tags/"+ta, nil), b("DELETE", "/v1/convai/tags/"+missingTag, nil), 404, "tag_not_found")
	// B's conversation with A's tag; A's conversation with B's tag.
	same("assign foreign tag", b("POST", "/v1/convai/conversations/"+cid(cb)+"/tags", map[string]any{"tag_ids": []string{ta}}),
		b("POST", "/v1/convai/conversations/"+cid(cb)+"/tags", map[string]any{"tag_ids": []string{missingTag}}), 404, "tag_not_found")
	same("assign foreign conversation", b("POST", "/v1/convai/conversations/"+cid(ca)+"/tags", map[string]any{"tag_ids": []string{tb}}),
		b("POST", "/v1/convai/conversations/"+missingConv+"/tags", map[string]any{"tag_ids": []string{tb}}), 404, "conversation_not_found")
	same("unassign foreign conversation", b("DELETE", "/v1/convai/conversations/"+cid(ca)+"/tags/"+tb, nil),
		b("DELETE", "/v1/convai/conversations/"+missingConv+"/tags/"+tb, nil), 404, "conversation_not_found")
	same("unassign foreign tag", b("DELETE", "/v1/convai/conversations/"+cid(cb)+"/tags/"+ta, nil),
		b("DELETE", "/v1/convai/conversations/"+cid(cb)+"/tags/"+missingTag, nil), 404, "tag_not_found")
	// B's list holds B's tag only; A's tag is unchanged.
	r := b("GET", "/v1/convai/tags", nil)
	if tags := r.Map(t)["conversation_tags"].([]any); len(tags) != 1 || tags[0].(map[string]any)["tag_id"] != tb {
		t.Fatalf("B's list %v", r)
	}
	if got := w.do("GET", "/v1/convai/tags/"+ta).Map(t); got["title"] != "secret title" {
		t.Fatalf("A's tag after B's calls %v", got)
	}
	// B's filter by A's tag finds nothing.
	if convs := b("GET", "/v1/convai/conversations?tag_ids="+ta, nil).Map(t)["conversations"].([]any); len(convs) != 0 {
		t.Fatalf("B's filter by A's tag: %v", convs)
	}
}

// TestTagAuth: a bad key is 401 invalid_api_key on every tag route; a key
// without the route's scope is 401 missing_permissions.
func TestTagAuth(t *testing.T) {
	w := setup(t)
	c := w.seed(w.TenantA, &convstore.ConversationCreate{})
	tag := w.tagOf(w.KeyA, "x", "")["tag_id"].(string)
	routes := []struct {
		method, path string
		body         any
		scope        convstore.Scope
	}{
		{"GET", "/v1/convai/tags", nil, convstore.ScopeRead},
		{"POST", "/v1/convai/tags", `{"title":"y"}`, convstore.ScopeWrite},
		{"GET", "/v1/convai/tags/" + tag, nil, convstore.ScopeRead},
		{"PATCH", "/v1/convai/tags/" + tag, `{"title":"y"}`, convstore.ScopeWrite},
		{"DELETE", "/v1/convai/tags/" + tag, nil, convstore.ScopeDelete},
		{"POST", "/v1/convai/conversations/" + cid(c) + "/tags", map[string]any{"tag_ids": []string{tag}}, convstore.ScopeWrite},
		{"DELETE", "/v1/convai/conversations/" + cid(c) + "/tags/" + tag, nil, convstore.ScopeWrite},
	}
	for _, rt := range routes {
		for _, key := range []string{"", "csk_wrongwrongwrongwrongwrongwrongwrongwrong"} {
			errorDetail(t, w.own.Do(rt.method, rt.path, rt.body, "xi-api-key", key), 401, "invalid_api_key")
		}
		for _, scope := range []convstore.Scope{convstore.ScopeRead, convstore.ScopeWrite, convstore.ScopeDelete} {
			if scope == rt.scope {
				continue
			}
			errorDetail(t, w.own.Do(rt.method, rt.path, rt.body, "xi-api-key", w.Scoped[scope]), 401, "missing_permissions")
		}
	}
	// Under /compat/elevenlabs on the main listener too.
	r := w.main.Do("GET", compat+"/v1/convai/tags/"+tag, nil, "xi-api-key", w.KeyA)
	doortest.Expect(t, r, 200, "application/json")
}
