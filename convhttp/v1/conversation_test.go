package v1_test

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp/doortest"
)

func TestConversationCRUD(t *testing.T) {
	t.Parallel()
	e := setup(t)
	before := time.Now().Unix()

	// Create with initial messages.
	r := e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{
		"title": "Support call", "agent_id": "bot-7", "user_id": "u-42", "metadata": map[string]string{"channel": "phone"},
		"messages": []map[string]any{
			{"role": "system", "content": "be nice"},
			{"role": "user", "content": "hi", "start_offset_ms": 0, "end_offset_ms": 1500, "author_name": "Ann"},
		},
	}, nil)
	m := hasKeys(t, "create", r.Body, conversationKeys...)
	id := m["id"].(string)
	if m["door"] != "native" {
		t.Errorf("a conversation created through the native API has door %v, want native", m["door"])
	}
	if !strings.HasPrefix(id, "conv_") || m["object"] != "conversation" || m["title"] != "Support call" ||
		m["agent_id"] != "bot-7" || m["user_id"] != "u-42" || m["message_count"] != float64(2) ||
		m["metadata"].(map[string]any)["channel"] != "phone" {
		t.Fatalf("create: %s", r.Body)
	}
	if _, err := strconv.ParseInt(m["seq"].(string), 10, 64); err != nil {
		t.Fatalf("seq %v is not a decimal string", m["seq"])
	}
	if c := int64(m["created_at"].(float64)); c < before-1 || c > time.Now().Unix()+1 {
		t.Fatalf("created_at %d is not now", c)
	}

	// Create without anything: nullable members are null, metadata {}.
	var bare api.Conversation
	r = e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &bare)
	m = hasKeys(t, "bare", r.Body, conversationKeys...)
	if m["agent_id"] != nil || m["user_id"] != nil || m["title"] != "" || len(m["metadata"].(map[string]any)) != 0 || m["message_count"] != float64(0) {
		t.Fatalf("bare create: %s", r.Body)
	}

	// Get.
	var got api.Conversation
	e.must(200, "GET", "/v1/conversations/"+id, e.KeyA, nil, &got)
	if got.ID != id || got.MessageCount != 2 {
		t.Fatalf("get: %+v", got)
	}

	// Patch: only the sent fields change; metadata is replaced.
	var upd api.Conversation
	r = e.must(200, "PATCH", "/v1/conversations/"+id, e.KeyA, map[string]any{"title": "Renamed", "metadata": map[string]string{"x": "y"}}, &upd)
	hasKeys(t, "patch", r.Body, conversationKeys...)
	if upd.Title != "Renamed" || upd.Metadata["x"] != "y" || upd.Metadata["channel"] != "" || *upd.AgentID != "bot-7" || *upd.UserID != "u-42" {
		t.Fatalf("patch: %s", r.Body)
	}
	e.must(200, "PATCH", "/v1/conversations/"+id, e.KeyA, map[string]any{}, &upd)
	if upd.Title != "Renamed" {
		t.Fatalf("empty patch changed the title: %+v", upd)
	}
	e.must(200, "PATCH", "/v1/conversations/"+id, e.KeyA, map[string]any{"agent_id": ""}, &upd)
	if upd.AgentID != nil {
		t.Fatalf("agent_id \"\" must clear it: %+v", upd)
	}

	// List: newest first by default, with filters.
	r = e.must(200, "GET", "/v1/conversations", e.KeyA, nil, nil)
	checkList(t, r, conversationKeys, []string{bare.ID, id}, false)
	r = e.must(200, "GET", "/v1/conversations?user_id=u-42", e.KeyA, nil, nil)
	checkList(t, r, conversationKeys, []string{id}, false)
	r = e.must(200, "GET", "/v1/conversations?agent_id=nobody", e.KeyA, nil, nil)
	checkList(t, r, conversationKeys, nil, false)
	r = e.must(200, "GET", "/v1/conversations?order=asc", e.KeyA, nil, nil)
	checkList(t, r, conversationKeys, []string{id, bare.ID}, false)
	r = e.must(200, "GET", fmt.Sprintf("/v1/conversations?created_after=%d", before-10), e.KeyA, nil, nil)
	checkList(t, r, conversationKeys, []string{bare.ID, id}, false)
	r = e.must(200, "GET", fmt.Sprintf("/v1/conversations?created_before=%d", before-10), e.KeyA, nil, nil)
	checkList(t, r, conversationKeys, nil, false)

	// Delete answers the receipt; the second delete is 404.
	r = e.must(200, "DELETE", "/v1/conversations/"+bare.ID, e.KeyA, nil, nil)
	d := hasKeys(t, "delete", r.Body, "id", "object", "deleted", "receipt")
	if d["id"] != bare.ID || d["object"] != "conversation.deleted" || d["deleted"] != true {
		t.Fatalf("delete: %s", r.Body)
	}
	problem(t, e.do("DELETE", "/v1/conversations/"+bare.ID, e.KeyA, nil), 404, "not_found", "")
	problem(t, e.do("GET", "/v1/conversations/"+bare.ID, e.KeyA, nil), 404, "not_found", "")
}

func TestConversationPagination(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var ids []string
	for i := range 5 {
		var c api.Conversation
		e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"title": fmt.Sprint(i)}, &c)
		ids = append(ids, c.ID)
	}
	// Newest first, two per page, following last_id.
	var got []string
	after := ""
	for page := 0; ; page++ {
		q := "/v1/conversations?limit=2"
		if after != "" {
			q += "&after=" + after
		}
		var l api.List[api.Conversation]
		r := e.must(200, "GET", q, e.KeyA, nil, &l)
		for _, c := range l.Data {
			got = append(got, c.ID)
		}
		if page < 2 != l.HasMore {
			t.Fatalf("page %d: has_more %v: %s", page, l.HasMore, r.Body)
		}
		if !l.HasMore {
			break
		}
		after = *l.LastID
	}
	want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pages %v, want %v", got, want)
	}
	// Ascending after the second conversation.
	var l api.List[api.Conversation]
	e.must(200, "GET", "/v1/conversations?order=asc&limit=100&after="+ids[1], e.KeyA, nil, &l)
	if len(l.Data) != 3 || l.Data[0].ID != ids[2] || l.HasMore {
		t.Fatalf("asc after: %+v", l)
	}
}

// TestConversationExternalID: external_id is stored, shown, unique per
// tenant (409 conflict) and free for another tenant.
func TestConversationExternalID(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"external_id": "crm:case-1"}, nil)
	m := hasKeys(t, "create", r.Body, conversationKeys...)
	if m["external_id"] != "crm:case-1" {
		t.Fatalf("external_id = %v, want crm:case-1", m["external_id"])
	}
	got := hasKeys(t, "get", e.must(200, "GET", "/v1/conversations/"+m["id"].(string), e.KeyA, nil, nil).Body, conversationKeys...)
	if got["external_id"] != "crm:case-1" {
		t.Errorf("GET external_id = %v", got["external_id"])
	}
	problem(t, e.do("POST", "/v1/conversations", e.KeyA, map[string]any{"external_id": "crm:case-1"}), 409, "conflict", "-")
	e.must(201, "POST", "/v1/conversations", e.KeyB, map[string]any{"external_id": "crm:case-1"}, nil)
	plain := hasKeys(t, "create", e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, nil).Body, conversationKeys...)
	if plain["external_id"] != nil {
		t.Errorf("external_id of a conversation without one = %v, want null", plain["external_id"])
	}
	problem(t, e.do("POST", "/v1/conversations", e.KeyA, map[string]any{"external_id": strings.Repeat("x", 257)}), 422, "invalid", "external_id")
}

func TestConversationLookup(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const ext = "crm:case 7/ü?&=#"
	var c api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"external_id": ext, "title": "found"}, &c)
	lookup := func(q string) string { return "/v1/conversations/lookup?" + q }

	for _, q := range []string{"external_id=" + url.QueryEscape(ext), "seq=" + c.Seq} {
		var got api.Conversation
		r := e.must(200, "GET", lookup(q), e.KeyA, nil, &got)
		hasKeys(t, q, r.Body, conversationKeys...)
		if got.ID != c.ID || got.Title != "found" {
			t.Errorf("lookup %s: %s", q, r.Body)
		}
	}
	// Missing keys are 404, and another tenant's key answers exactly like
	// a missing one.
	missing := e.do("GET", lookup("external_id=crm:nobody"), e.KeyA, nil)
	problem(t, missing, 404, "not_found", "")
	problem(t, e.do("GET", lookup("external_id="), e.KeyA, nil), 404, "not_found", "")
	for _, q := range []string{"external_id=" + url.QueryEscape(ext), "seq=" + c.Seq} {
		theirs := e.do("GET", lookup(q), e.KeyB, nil)
		problem(t, theirs, 404, "not_found", "")
		if a, b := normalized(t, theirs), normalized(t, missing); a != b {
			t.Errorf("tenant B looking up %s: %s, a missing key: %s", q, a, b)
		}
	}
	problem(t, e.do("GET", lookup(fmt.Sprint("seq=", convstore.NewSeq(convstore.NewID()))), e.KeyA, nil), 404, "not_found", "")
	// Malformed lookups are 400s naming the parameter.
	problem(t, e.do("GET", lookup("seq=twelve"), e.KeyA, nil), 400, "invalid_parameter", "seq")
	problem(t, e.do("GET", lookup("seq="+c.Seq+"&external_id=x"), e.KeyA, nil), 400, "invalid_parameter", "seq")
	problem(t, e.do("GET", "/v1/conversations/lookup", e.KeyA, nil), 400, "invalid_parameter", "external_id")
	problem(t, e.do("GET", lookup("external_id=%FF"), e.KeyA, nil), 400, "invalid_parameter", "external_id")
	problem(t, e.do("GET", lookup("title=found"), e.KeyA, nil), 400, "invalid_parameter", "title")
	for _, bad := range []string{"seq=0", "seq=-1", "seq=9223372036854775808"} {
		problem(t, e.do("GET", lookup(bad), e.KeyA, nil), 400, "invalid_parameter", "seq")
	}
}

// TestConversationSeqFilter checks that seq selects one conversation in
// lists and counts, of the caller's tenant only.
func TestConversationSeqFilter(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var c, mine, theirs api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &c)
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &mine)
	e.must(201, "POST", "/v1/conversations", e.KeyB, map[string]any{}, &theirs)
	for seq, want := range map[string][]string{c.Seq: {c.ID}, theirs.Seq: nil} {
		checkList(t, e.must(200, "GET", "/v1/conversations?seq="+seq, e.KeyA, nil, nil), conversationKeys, want, false)
		var n api.ConversationCount
		e.must(200, "GET", "/v1/conversations/count?seq="+seq, e.KeyA, nil, &n)
		if n.Count != len(want) {
			t.Errorf("count?seq=%s = %d, want %d", seq, n.Count, len(want))
		}
	}
	for _, bad := range []string{"seq=0", "seq=-1", "seq=x"} {
		problem(t, e.do("GET", "/v1/conversations?"+bad, e.KeyA, nil), 400, "invalid_parameter", "seq")
		problem(t, e.do("GET", "/v1/conversations/count?"+bad, e.KeyA, nil), 400, "invalid_parameter", "seq")
	}
}

func TestConversationCount(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, in := range []map[string]any{
		{"agent_id": "a1", "metadata": map[string]string{"tier": "gold", "a]b": "x"}},
		{"agent_id": "a1", "metadata": map[string]string{"tier": ""}},
		{"agent_id": "a2", "metadata": map[string]string{"tier": "gold"}},
	} {
		e.must(201, "POST", "/v1/conversations", e.KeyA, in, nil)
	}
	e.must(201, "POST", "/v1/conversations", e.KeyB, map[string]any{"agent_id": "a1"}, nil)
	for q, want := range map[string]int{
		"":                                     3,
		"?agent_id=a1":                         2,
		"?metadata[tier]=gold":                 2,
		"?metadata[tier]=gold&agent_id=a2":     1,
		"?metadata[tier]=":                     1, // an empty value, not a missing key
		"?metadata[a]b]=x":                     1, // the key runs to the last bracket
		"?metadata[tier]=gold&metadata[a]b]=x": 1,
		"?agent_id=a3":                         0,
		"?created_before=1":                    0,
	} {
		var n api.ConversationCount
		r := e.must(200, "GET", "/v1/conversations/count"+q, e.KeyA, nil, &n)
		hasKeys(t, q, r.Body, "object", "count")
		if n.Object != "conversation.count" || n.Count != want {
			t.Errorf("count%s = %s, want %d", q, r.Body, want)
		}
	}
	var theirs api.ConversationCount
	e.must(200, "GET", "/v1/conversations/count?agent_id=a1", e.KeyB, nil, &theirs)
	if theirs.Count != 1 {
		t.Errorf("tenant B counts %d of its conversations, want 1", theirs.Count)
	}
	// A count takes the filters, not the page.
	problem(t, e.do("GET", "/v1/conversations/count?limit=1", e.KeyA, nil), 400, "invalid_parameter", "limit")
	problem(t, e.do("GET", "/v1/conversations/count?metadata[]=x", e.KeyA, nil), 422, "invalid", "metadata")
	problem(t, e.do("GET", "/v1/conversations/count?metadata[k]=1&metadata[k]=2", e.KeyA, nil), 400, "invalid_parameter", "metadata[k]")
	problem(t, e.do("GET", "/v1/conversations/count?metadata=x", e.KeyA, nil), 400, "invalid_parameter", "metadata")
}

func TestConversationOffsetAndMetadata(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var ids []string
	for i := range 5 {
		var c api.Conversation
		e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"metadata": map[string]string{"n": fmt.Sprint(i % 2)}}, &c)
		ids = append(ids, c.ID)
	}
	list := func(q string) *doortest.Response { return e.must(200, "GET", "/v1/conversations?"+q, e.KeyA, nil, nil) }
	checkList(t, list("order=asc&limit=2&offset=2"), conversationKeys, ids[2:4], true)
	checkList(t, list("order=asc&limit=2&offset=4"), conversationKeys, ids[4:], false)
	checkList(t, list("limit=2&offset=1"), conversationKeys, []string{ids[3], ids[2]}, true)
	checkList(t, list("offset=5"), conversationKeys, nil, false)
	checkList(t, list("order=asc&metadata[n]=1"), conversationKeys, []string{ids[1], ids[3]}, false)
	checkList(t, list("order=asc&metadata[n]=0&offset=1&limit=1"), conversationKeys, []string{ids[2]}, true)
	for _, bad := range []string{"offset=-1", "offset=100001", "offset=two"} {
		problem(t, e.do("GET", "/v1/conversations?"+bad, e.KeyA, nil), 400, "invalid_parameter", "offset")
	}
	problem(t, e.do("GET", "/v1/conversations?offset=1&after="+ids[0], e.KeyA, nil), 422, "invalid", "offset")
}

// TestCreatedAfterWholeSeconds checks that the time filters work at the
// wire's resolution: a conversation listed with created_at T is not
// "created after T", though it was made some microseconds into second T.
func TestCreatedAfterWholeSeconds(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var c api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, &c)
	for q, want := range map[string][]string{
		fmt.Sprint("created_after=", c.CreatedAt):       nil,
		fmt.Sprint("created_after=", c.CreatedAt-1):     {c.ID},
		fmt.Sprint("created_before=", c.CreatedAt):      nil,
		fmt.Sprint("created_before=", c.CreatedAt+1):    {c.ID},
		fmt.Sprint("created_after=", c.CreatedAt) + "&": nil,
	} {
		checkList(t, e.must(200, "GET", "/v1/conversations?"+q, e.KeyA, nil, nil), conversationKeys, want, false)
		var n api.ConversationCount
		e.must(200, "GET", "/v1/conversations/count?"+q, e.KeyA, nil, &n)
		if n.Count != len(want) {
			t.Errorf("count?%s = %d, want %d", q, n.Count, len(want))
		}
	}
}

func TestCreateIncludeMessages(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var c api.ConversationWithMessages
	r := e.must(201, "POST", "/v1/conversations?include=messages", e.KeyA, map[string]any{
		"title": "with", "messages": []map[string]any{{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello", "start_offset_ms": 5}},
	}, &c)
	m := hasKeys(t, "create", r.Body, append(slices.Clone(conversationKeys), "messages")...)
	for _, msg := range m["messages"].([]any) {
		hasKeys(t, "create message", mustJSON(t, msg), messageKeys...)
	}
	var listed api.List[api.Message]
	e.must(200, "GET", "/v1/conversations/"+c.ID+"/messages", e.KeyA, nil, &listed)
	if len(c.Messages) != 2 || c.MessageCount != 2 || len(listed.Data) != 2 {
		t.Fatalf("create: %s", r.Body)
	}
	for i, msg := range c.Messages {
		if string(mustJSON(t, msg)) != string(mustJSON(t, listed.Data[i])) {
			t.Errorf("created message %d %s, listed %s", i, mustJSON(t, msg), mustJSON(t, listed.Data[i]))
		}
	}
	// Without initial messages the member is an empty list, and without
	// the parameter the answer is the conversation alone.
	r = e.must(201, "POST", "/v1/conversations?include=messages", e.KeyA, map[string]any{}, nil)
	if m := hasKeys(t, "empty", r.Body, append(slices.Clone(conversationKeys), "messages")...); len(m["messages"].([]any)) != 0 {
		t.Errorf("empty create: %s", r.Body)
	}
	hasKeys(t, "plain", e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, nil).Body, conversationKeys...)
	// Anything else is refused before anything is created.
	var before api.ConversationCount
	e.must(200, "GET", "/v1/conversations/count", e.KeyA, nil, &before)
	problem(t, e.do("POST", "/v1/conversations?include=artifacts", e.KeyA, map[string]any{}), 400, "invalid_parameter", "include")
	problem(t, e.do("POST", "/v1/conversations?titel=x", e.KeyA, map[string]any{}), 400, "invalid_parameter", "titel")
	var after api.ConversationCount
	e.must(200, "GET", "/v1/conversations/count", e.KeyA, nil, &after)
	if after.Count != before.Count {
		t.Errorf("refused creates left %d conversations", after.Count-before.Count)
	}
}
