package openai_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doortest"
)

// items adds items to a conversation and returns the answer's data.
func (e *env) items(tb testing.TB, conv string, items ...string) []json.RawMessage {
	tb.Helper()
	r := e.c.Do("POST", "/v1/conversations/"+conv+"/items", `{"items":[`+strings.Join(items, ",")+`]}`, bearer(e.KeyA)...)
	doortest.Expect(tb, r, 200, "application/json")
	var l struct{ Data []json.RawMessage }
	r.JSON(tb, &l)
	return l.Data
}

// TestItemsStoredFaithfully: items of types other than message come back
// JSON-equal to what was sent, with an id of the type's prefix and a
// status added where they had none (and the SDK type requires one); a
// client's id is kept; the native API sees each as a message of the
// right role whose parts are the item.
func TestItemsStoredFaithfully(t *testing.T) {
	t.Parallel()
	e := setup(t)
	conv := e.createConversation(t)
	in := []string{
		`{"type":"function_call","call_id":"call_9","name":"lookup","arguments":"{\"q\":\"<b>&\"}","namespace":"tools","future_member":{"n":1.50}}`,
		`{"type":"function_call_output","call_id":"call_9","output":[{"type":"input_text","text":"found"}],"status":"incomplete"}`,
		`{"type":"reasoning","id":"rs_client_1","summary":[],"encrypted_content":"gAAA"}`,
		`{"type":"mcp_call","server_label":"s","name":"n","arguments":"{}"}`,
		`{"type":"brand_new_type","payload":[1,2,3]}`,
	}
	out := e.items(t, conv, in...)
	wantPrefix := []string{"fc_", "fco_", "rs_client_1", "mcp_", "item_"}
	for i, raw := range out {
		var got, sent map[string]any
		_ = json.Unmarshal(raw, &got)
		_ = json.Unmarshal([]byte(in[i]), &sent)
		id, _ := got["id"].(string)
		if !strings.HasPrefix(id, wantPrefix[i]) {
			t.Errorf("item %d: id %q, want prefix %s", i, id, wantPrefix[i])
		}
		if sent["id"] == nil {
			sent["id"] = id
		}
		if i == 0 {
			sent["status"] = "completed" // function_call items declare one
		}
		a, _ := json.Marshal(sent)
		if !jsonEqual(t, raw, a) {
			t.Errorf("item %d: %s\nsent %s", i, raw, in[i])
		}
		// Retrieve gives the same item.
		r := e.c.Do("GET", "/v1/conversations/"+conv+"/items/"+id, nil, bearer(e.KeyA)...)
		doortest.Expect(t, r, 200, "application/json")
		if !jsonEqual(t, r.Body, raw) {
			t.Errorf("retrieve %s: %s, created %s", id, r.Body, raw)
		}
	}
	if !strings.Contains(string(out[0]), `{"n":1.50}`) {
		t.Errorf("the number is not kept as sent: %s", out[0])
	}
	msgs, _, err := e.Store.FindMessages(context.Background(), e.TenantA, nativeID(t, conv), convstore.MessageFilter{})
	if err != nil || len(msgs) != len(in) {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	roles := []convstore.Role{convstore.RoleAssistant, convstore.RoleTool, convstore.RoleAssistant, convstore.RoleAssistant, convstore.RoleAssistant}
	for i, m := range msgs {
		if m.Role != roles[i] || m.Content != "" || !jsonEqual(t, m.Parts, []byte(in[i])) {
			t.Errorf("message %d: role %s content %q parts %s", i, m.Role, m.Content, m.Parts)
		}
	}
}

// TestMessageItems: message items of each role and content form map onto
// messages (text content, parts as given) and come back as given.
func TestMessageItems(t *testing.T) {
	t.Parallel()
	e := setup(t)
	conv := e.createConversation(t)
	in := []string{
		`{"role":"user","content":"plain text"}`,
		`{"type":"message","role":"developer","content":[{"type":"input_text","text":"rules"}]}`,
		`{"type":"message","role":"system","content":"sys"}`,
		`{"type":"message","role":"user","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"https://x.test/a.png","detail":"high"},{"type":"input_image","file_id":"file-1","detail":"auto"},{"type":"input_audio","input_audio":{"data":"AAAA","format":"mp3"}},{"type":"input_file","file_id":"file-2"}]}`,
		`{"type":"message","id":"msg_client_7","role":"assistant","status":"incomplete","phase":"final_answer","content":[{"type":"output_text","text":"part one","annotations":[{"type":"url_citation","url":"https://x.test","start_index":0,"end_index":4,"title":"t"}]},{"type":"refusal","refusal":"no more"}]}`,
	}
	out := e.items(t, conv, in...)
	want := []struct {
		role    convstore.Role
		content string
		item    string
	}{
		{convstore.RoleUser, "plain text", `{"type":"message","role":"user","status":"completed","content":[{"type":"input_text","text":"plain text"}]}`},
		{convstore.RoleSystem, "rules", `{"type":"message","role":"developer","status":"completed","content":[{"type":"input_text","text":"rules"}]}`},
		{convstore.RoleSystem, "sys", `{"type":"message","role":"system","status":"completed","content":[{"type":"input_text","text":"sys"}]}`},
		{convstore.RoleUser, "look", `{"type":"message","role":"user","status":"completed","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"https://x.test/a.png","detail":"high"},{"type":"input_image","file_id":"file-1","detail":"auto"},{"type":"input_audio","input_audio":{"data":"AAAA","format":"mp3"}},{"type":"input_file","file_id":"file-2"}]}`},
		{convstore.RoleAssistant, "part one\nno more", `{"type":"message","id":"msg_client_7","role":"assistant","status":"incomplete","phase":"final_answer","content":[{"type":"output_text","text":"part one","annotations":[{"type":"url_citation","url":"https://x.test","start_index":0,"end_index":4,"title":"t"}]},{"type":"refusal","refusal":"no more"}]}`},
	}
	msgs, _, err := e.Store.FindMessages(context.Background(), e.TenantA, nativeID(t, conv), convstore.MessageFilter{})
	if err != nil || len(msgs) != len(in) {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	for i, w := range want {
		var got map[string]any
		_ = json.Unmarshal(out[i], &got)
		var wantItem map[string]any
		_ = json.Unmarshal([]byte(w.item), &wantItem)
		if wantItem["id"] == nil {
			wantItem["id"] = msgs[i].ID.Format(convstore.PrefixMessage)
		}
		b, _ := json.Marshal(wantItem)
		if !jsonEqual(t, out[i], b) {
			t.Errorf("item %d: %s\nwant %s", i, out[i], b)
		}
		if m := msgs[i]; m.Role != w.role || m.Content != w.content {
			t.Errorf("message %d: role %s content %q, want %s %q", i, m.Role, m.Content, w.role, w.content)
		}
	}
	// The client's own message id finds the item.
	doortest.Expect(t, e.c.Do("GET", "/v1/conversations/"+conv+"/items/msg_client_7", nil, bearer(e.KeyA)...), 200, "application/json")
}

// TestItemsRefused: every malformed item or batch is a 400 naming the
// parameter at fault, and nothing of the batch is stored.
func TestItemsRefused(t *testing.T) {
	t.Parallel()
	e := setup(t)
	conv := e.createConversation(t)
	many := make([]string, 21)
	for i := range many {
		many[i] = `{"role":"user","content":"m` + strconv.Itoa(i) + `"}`
	}
	ok := `{"role":"user","content":"fine"}`
	for _, tc := range []struct{ body, param string }{
		{`{}`, "items"},
		{`{"items":null}`, "items"},
		{`{"items":[]}`, "items"},
		{`{"items":"x"}`, "items"},
		{`{"items":[` + strings.Join(many, ",") + `]}`, "items"},
		{`{"items":[` + ok + `,1]}`, "items[1]"},
		{`{"items":[` + ok + `,{"content":"no role or type"}]}`, "items[1].type"},
		{`{"items":[{"type":"Message","role":"user","content":"x"}]}`, "items[0].type"},
		{`{"items":[{"type":"item_reference","id":"msg_1"}]}`, "items[0].type"},
		{`{"items":[{"type":"message","role":"critic","content":"x"}]}`, "items[0].role"},
		{`{"items":[{"type":"message","role":"user","content":7}]}`, "items[0].content"},
		{`{"items":[{"type":"message","role":"user","content":[{"text":"no type"}]}]}`, "items[0].content"},
		{`{"items":[{"type":"message","role":"user","content":[{"type":"input_text","text":5}]}]}`, "items[0].content"},
		{`{"items":[{"type":"message","role":"user","status":"done!","content":"x"}]}`, "items[0].status"},
		{`{"items":[{"type":"function_call","id":"has space","call_id":"c","name":"n","arguments":"{}"}]}`, "items[0].id"},
		{`{"items":[{"type":"function_call","id":7}]}`, "items[0].id"},
		{`{"items":[{"type":"message","role":"user","content":"nul \u0000 inside"}]}`, "items[0].content"},
	} {
		r := e.c.Do("POST", "/v1/conversations/"+conv+"/items", tc.body, bearer(e.KeyA)...)
		if got := wantError(t, r, 400, "invalid_request_error", "-"); got["param"] != tc.param {
			t.Errorf("%s: param %v, want %s (%s)", tc.body, got["param"], tc.param, got["message"])
		}
		if tc.param != "items" || strings.HasPrefix(tc.body, `{"items":[`) {
			r = e.c.Do("POST", "/v1/conversations", tc.body, bearer(e.KeyA)...)
			if tc.body != `{}` && tc.body != `{"items":null}` && tc.body != `{"items":[]}` {
				wantError(t, r, 400, "invalid_request_error", "-")
			}
		}
	}
	c, err := e.Store.FindConversationByID(context.Background(), e.TenantA, nativeID(t, conv))
	if err != nil || c.MessageCount != 0 {
		t.Fatalf("after refused batches: %+v, %v", c, err)
	}
}

// TestListItems: defaults (20, desc), limit, order, after (an id this
// door gave, a client's own id, a deleted one), has_more, first_id and
// last_id, include, and the refused parameters.
func TestListItems(t *testing.T) {
	t.Parallel()
	e := setup(t)
	conv := e.createConversation(t)
	var ids []string
	for batch := range 3 {
		var items []string
		for i := range 10 {
			n := batch*10 + i
			if n == 15 {
				items = append(items, `{"type":"function_call","id":"fc_client_15","call_id":"c","name":"n","arguments":"{}"}`)
				continue
			}
			items = append(items, `{"role":"user","content":"m`+strconv.Itoa(n)+`"}`)
		}
		for _, raw := range e.items(t, conv, items...) {
			var it struct{ ID string }
			_ = json.Unmarshal(raw, &it)
			ids = append(ids, it.ID)
		}
	}
	page := func(query string) (got []string, m map[string]any) {
		t.Helper()
		r := e.c.Do("GET", "/v1/conversations/"+conv+"/items"+query, nil, bearer(e.KeyA)...)
		doortest.Expect(t, r, 200, "application/json")
		m = r.Map(t)
		for _, it := range m["data"].([]any) {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		return got, m
	}
	rev := func(s []string) []string {
		out := make([]string, len(s))
		for i, v := range s {
			out[len(s)-1-i] = v
		}
		return out
	}
	same := func(what string, got, want []string) {
		t.Helper()
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: %v\nwant %v", what, got, want)
		}
	}
	got, m := page("")
	same("default page", got, rev(ids)[:20])
	if m["has_more"] != true || m["first_id"] != got[0] || m["last_id"] != got[19] || m["object"] != "list" {
		t.Fatalf("default page members %v %v %v", m["has_more"], m["first_id"], m["last_id"])
	}
	got, m = page("?order=asc&limit=100")
	same("all asc", got, ids)
	if m["has_more"] != false {
		t.Fatal("has_more on the last page")
	}
	got, _ = page("?order=asc&limit=5&after=" + ids[3])
	same("after a given id", got, ids[4:9])
	got, _ = page("?order=desc&limit=3&after=fc_client_15")
	same("after a client id", got, rev(ids[12:15]))
	got, _ = page("?limit=2&include[]=reasoning.encrypted_content&include[]=message.output_text.logprobs&include=web_search_call.results")
	same("include", got, rev(ids)[:2])
	// A deleted item this door named keeps its place.
	doortest.Expect(t, e.c.Do("DELETE", "/v1/conversations/"+conv+"/items/"+ids[20], nil, bearer(e.KeyA)...), 200, "application/json")
	got, _ = page("?order=asc&limit=2&after=" + ids[20])
	same("after a deleted item", got, ids[21:23])
	// An empty page.
	empty := e.createConversation(t)
	r := e.c.Do("GET", "/v1/conversations/"+empty+"/items", nil, bearer(e.KeyA)...)
	if string(r.Body) != `{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}`+"\n" {
		t.Fatalf("empty list: %s", r.Body)
	}
	for _, q := range []struct{ query, param string }{
		{"?limit=0", "limit"}, {"?limit=101", "limit"}, {"?limit=x", "limit"}, {"?limit=1&limit=2", "limit"},
		{"?order=up", "order"}, {"?include=everything", "include"}, {"?include[]=reasoning.encrypted_content,bogus", "include"},
		{"?after=no_such_client_id", "after"}, {"?after=bad%20id", "after"},
	} {
		r := e.c.Do("GET", "/v1/conversations/"+conv+"/items"+q.query, nil, bearer(e.KeyA)...)
		if got := wantError(t, r, 400, "invalid_request_error", "-"); got["param"] != q.param {
			t.Errorf("%s: param %v, want %s", q.query, got["param"], q.param)
		}
	}
}

// TestDeleteItem: an item delete answers the conversation, removes just
// that message with an audit entry naming the door, and a second delete
// is a 404.
func TestDeleteItem(t *testing.T) {
	t.Parallel()
	e := setup(t)
	conv := e.createConversation(t, map[string]any{"role": "user", "content": "keep"})
	out := e.items(t, conv, `{"type":"reasoning","id":"rs_mine","summary":[]}`, `{"role":"assistant","content":"bye"}`)
	for _, id := range []string{"rs_mine", func() string { var v struct{ ID string }; _ = json.Unmarshal(out[1], &v); return v.ID }()} {
		r := e.c.Do("DELETE", "/v1/conversations/"+conv+"/items/"+id, nil, bearer(e.KeyA)...)
		doortest.Expect(t, r, 200, "application/json")
		if m := r.Map(t); m["object"] != "conversation" || m["id"] != conv {
			t.Fatalf("%v: not the conversation", r)
		}
		wantError(t, e.c.Do("DELETE", "/v1/conversations/"+conv+"/items/"+id, nil, bearer(e.KeyA)...), 404, "invalid_request_error", "")
		wantError(t, e.c.Do("GET", "/v1/conversations/"+conv+"/items/"+id, nil, bearer(e.KeyA)...), 404, "invalid_request_error", "")
	}
	ctx := context.Background()
	msgs, _, err := e.Store.FindMessages(ctx, e.TenantA, nativeID(t, conv), convstore.MessageFilter{})
	if err != nil || len(msgs) != 1 || msgs[0].Content != "keep" {
		t.Fatalf("left %d messages, %v", len(msgs), err)
	}
	entries, _, err := e.Store.FindAuditEntries(ctx, e.TenantA, convstore.AuditFilter{})
	n := 0
	for _, a := range entries {
		if a.Action == convstore.AuditMessageDelete && a.Door == "openai" && a.ConversationID == nativeID(t, conv) {
			n++
		}
	}
	if err != nil || n != 2 {
		t.Fatalf("%d message.delete audit entries by openai, %v", n, err)
	}
}
