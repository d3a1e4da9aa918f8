package v1_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// These tests cover the routes and parameters that let the Go client
// implement the domain's services over HTTP: who am I, lookups by
// external id and seq, counts, offsets, metadata filters, finds by id
// alone and the initial messages of a create.

func TestMe(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	tenantA, err := e.store.Authenticate(ctx, e.admin)
	if err != nil {
		t.Fatal(err)
	}
	// Every key may ask, whatever its scopes, and learns its own id,
	// scopes and tenant, never its secret.
	for _, s := range allScopes {
		var me api.Identity
		r := e.must(200, "GET", "/v1/me", e.keys[s], nil, &me)
		m := hasKeys(t, "me", r.body, "object", "tenant_id", "key")
		hasKeys(t, "me.key", mustJSON(t, m["key"]), keyKeys...)
		want, err := e.store.Authenticate(ctx, e.keys[s])
		if err != nil {
			t.Fatal(err)
		}
		if me.Object != "identity" || me.TenantID != tenantA.TenantID.Format("ten") || me.Key.ID != want.ID.Format("key") ||
			!slices.Equal(me.Key.Scopes, []string{string(s)}) || me.Key.LastUsedAt == nil {
			t.Errorf("%s key: %s", s, r.body)
		}
	}
	var b api.Identity
	e.must(200, "GET", "/v1/me", e.other, nil, &b)
	if b.TenantID == tenantA.TenantID.Format("ten") || b.Key.Scopes[0] != "admin" {
		t.Errorf("tenant B's key: %+v", b)
	}
	problem(t, e.do("GET", "/v1/me?verbose=1", e.admin, nil), 400, "invalid_parameter", "verbose")
	problem(t, e.do("GET", "/v1/me", "", nil), 401, "unauthorized", "")

	// Every answer to an authenticated request names the caller's
	// tenant, errors included; an unauthenticated one names none.
	for key, tenant := range map[string]string{e.admin: tenantA.TenantID.Format("ten"), e.other: b.TenantID} {
		for _, r := range []*response{
			e.do("GET", "/v1/conversations", key, nil),
			e.do("GET", "/v1/conversations/"+convstore.NewID().Format("conv"), key, nil),
			e.do("POST", "/v1/conversations", key, map[string]any{"title": strings.Repeat("t", 600)}),
		} {
			if got := r.header.Get(api.TenantHeader); got != tenant {
				t.Errorf("%v: %s %q, want %q", r, api.TenantHeader, got, tenant)
			}
		}
	}
	for _, r := range []*response{e.do("GET", "/v1/conversations", "", nil), e.do("GET", "/v1/openapi.json", "", nil), e.do("GET", "/v1/conversations", "csk_nobody", nil)} {
		if got := r.header.Get(api.TenantHeader); got != "" {
			t.Errorf("%v: %s %q, want none", r, api.TenantHeader, got)
		}
	}

	// A revoked key is no one.
	var k api.APIKey
	e.must(201, "POST", "/v1/keys", e.admin, map[string]any{"name": "brief", "scopes": []string{"write"}}, &k)
	e.must(200, "GET", "/v1/me", k.Secret, nil, nil)
	e.must(200, "DELETE", "/v1/keys/"+k.ID, e.admin, nil, nil)
	problem(t, e.do("GET", "/v1/me", k.Secret, nil), 401, "unauthorized", "")
}

func TestConversationLookup(t *testing.T) {
	t.Parallel()
	e := setup(t)
	const ext = "crm:case 7/ü?&=#"
	var c api.Conversation
	e.must(201, "POST", "/v1/conversations", e.admin, map[string]any{"external_id": ext, "title": "found"}, &c)
	lookup := func(q string) string { return "/v1/conversations/lookup?" + q }

	for _, q := range []string{"external_id=" + url.QueryEscape(ext), "seq=" + c.Seq} {
		var got api.Conversation
		r := e.must(200, "GET", lookup(q), e.admin, nil, &got)
		hasKeys(t, q, r.body, conversationKeys...)
		if got.ID != c.ID || got.Title != "found" {
			t.Errorf("lookup %s: %s", q, r.body)
		}
	}
	// Missing keys are 404, and another tenant's key answers exactly like
	// a missing one.
	missing := e.do("GET", lookup("external_id=crm:nobody"), e.admin, nil)
	problem(t, missing, 404, "not_found", "")
	problem(t, e.do("GET", lookup("external_id="), e.admin, nil), 404, "not_found", "")
	for _, q := range []string{"external_id=" + url.QueryEscape(ext), "seq=" + c.Seq} {
		theirs := e.do("GET", lookup(q), e.other, nil)
		problem(t, theirs, 404, "not_found", "")
		if a, b := normalized(t, theirs), normalized(t, missing); a != b {
			t.Errorf("tenant B looking up %s: %s, a missing key: %s", q, a, b)
		}
	}
	problem(t, e.do("GET", lookup(fmt.Sprint("seq=", convstore.NewSeq(convstore.NewID()))), e.admin, nil), 404, "not_found", "")
	// Malformed lookups are 400s naming the parameter.
	problem(t, e.do("GET", lookup("seq=twelve"), e.admin, nil), 400, "invalid_parameter", "seq")
	problem(t, e.do("GET", lookup("seq="+c.Seq+"&external_id=x"), e.admin, nil), 400, "invalid_parameter", "seq")
	problem(t, e.do("GET", "/v1/conversations/lookup", e.admin, nil), 400, "invalid_parameter", "external_id")
	problem(t, e.do("GET", lookup("external_id=%FF"), e.admin, nil), 400, "invalid_parameter", "external_id")
	problem(t, e.do("GET", lookup("title=found"), e.admin, nil), 400, "invalid_parameter", "title")
}

func TestConversationCount(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, in := range []map[string]any{
		{"agent_id": "a1", "metadata": map[string]string{"tier": "gold", "a]b": "x"}},
		{"agent_id": "a1", "metadata": map[string]string{"tier": ""}},
		{"agent_id": "a2", "metadata": map[string]string{"tier": "gold"}},
	} {
		e.must(201, "POST", "/v1/conversations", e.admin, in, nil)
	}
	e.must(201, "POST", "/v1/conversations", e.other, map[string]any{"agent_id": "a1"}, nil)
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
		r := e.must(200, "GET", "/v1/conversations/count"+q, e.admin, nil, &n)
		hasKeys(t, q, r.body, "object", "count")
		if n.Object != "conversation.count" || n.Count != want {
			t.Errorf("count%s = %s, want %d", q, r.body, want)
		}
	}
	var theirs api.ConversationCount
	e.must(200, "GET", "/v1/conversations/count?agent_id=a1", e.other, nil, &theirs)
	if theirs.Count != 1 {
		t.Errorf("tenant B counts %d of its conversations, want 1", theirs.Count)
	}
	// A count takes the filters, not the page.
	problem(t, e.do("GET", "/v1/conversations/count?limit=1", e.admin, nil), 400, "invalid_parameter", "limit")
	problem(t, e.do("GET", "/v1/conversations/count?metadata[]=x", e.admin, nil), 422, "invalid", "metadata")
	problem(t, e.do("GET", "/v1/conversations/count?metadata[k]=1&metadata[k]=2", e.admin, nil), 400, "invalid_parameter", "metadata[k]")
	problem(t, e.do("GET", "/v1/conversations/count?metadata=x", e.admin, nil), 400, "invalid_parameter", "metadata")
}

func TestConversationOffsetAndMetadata(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var ids []string
	for i := range 5 {
		var c api.Conversation
		e.must(201, "POST", "/v1/conversations", e.admin, map[string]any{"metadata": map[string]string{"n": fmt.Sprint(i % 2)}}, &c)
		ids = append(ids, c.ID)
	}
	list := func(q string) *response { return e.must(200, "GET", "/v1/conversations?"+q, e.admin, nil, nil) }
	checkList(t, list("order=asc&limit=2&offset=2"), conversationKeys, ids[2:4], true)
	checkList(t, list("order=asc&limit=2&offset=4"), conversationKeys, ids[4:], false)
	checkList(t, list("limit=2&offset=1"), conversationKeys, []string{ids[3], ids[2]}, true)
	checkList(t, list("offset=5"), conversationKeys, nil, false)
	checkList(t, list("order=asc&metadata[n]=1"), conversationKeys, []string{ids[1], ids[3]}, false)
	checkList(t, list("order=asc&metadata[n]=0&offset=1&limit=1"), conversationKeys, []string{ids[2]}, true)
	for _, bad := range []string{"offset=-1", "offset=100001", "offset=two"} {
		problem(t, e.do("GET", "/v1/conversations?"+bad, e.admin, nil), 400, "invalid_parameter", "offset")
	}
	problem(t, e.do("GET", "/v1/conversations?offset=1&after="+ids[0], e.admin, nil), 422, "invalid", "offset")
}

// TestCreatedAfterWholeSeconds checks that the time filters work at the
// wire's resolution: a conversation listed with created_at T is not
// "created after T", though it was made some microseconds into second T.
func TestCreatedAfterWholeSeconds(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var c api.Conversation
	e.must(201, "POST", "/v1/conversations", e.admin, map[string]any{}, &c)
	for q, want := range map[string][]string{
		fmt.Sprint("created_after=", c.CreatedAt):       nil,
		fmt.Sprint("created_after=", c.CreatedAt-1):     {c.ID},
		fmt.Sprint("created_before=", c.CreatedAt):      nil,
		fmt.Sprint("created_before=", c.CreatedAt+1):    {c.ID},
		fmt.Sprint("created_after=", c.CreatedAt) + "&": nil,
	} {
		checkList(t, e.must(200, "GET", "/v1/conversations?"+q, e.admin, nil, nil), conversationKeys, want, false)
		var n api.ConversationCount
		e.must(200, "GET", "/v1/conversations/count?"+q, e.admin, nil, &n)
		if n.Count != len(want) {
			t.Errorf("count?%s = %d, want %d", q, n.Count, len(want))
		}
	}
}

func TestCreateIncludeMessages(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var c api.ConversationWithMessages
	r := e.must(201, "POST", "/v1/conversations?include=messages", e.admin, map[string]any{
		"title": "with", "messages": []map[string]any{{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello", "start_offset_ms": 5}},
	}, &c)
	m := hasKeys(t, "create", r.body, append(slices.Clone(conversationKeys), "messages")...)
	for _, msg := range m["messages"].([]any) {
		hasKeys(t, "create message", mustJSON(t, msg), messageKeys...)
	}
	var listed api.List[api.Message]
	e.must(200, "GET", "/v1/conversations/"+c.ID+"/messages", e.admin, nil, &listed)
	if len(c.Messages) != 2 || c.MessageCount != 2 || len(listed.Data) != 2 {
		t.Fatalf("create: %s", r.body)
	}
	for i, msg := range c.Messages {
		if string(mustJSON(t, msg)) != string(mustJSON(t, listed.Data[i])) {
			t.Errorf("created message %d %s, listed %s", i, mustJSON(t, msg), mustJSON(t, listed.Data[i]))
		}
	}
	// Without initial messages the member is an empty list, and without
	// the parameter the answer is the conversation alone.
	r = e.must(201, "POST", "/v1/conversations?include=messages", e.admin, map[string]any{}, nil)
	if m := hasKeys(t, "empty", r.body, append(slices.Clone(conversationKeys), "messages")...); len(m["messages"].([]any)) != 0 {
		t.Errorf("empty create: %s", r.body)
	}
	hasKeys(t, "plain", e.must(201, "POST", "/v1/conversations", e.admin, map[string]any{}, nil).body, conversationKeys...)
	// Anything else is refused before anything is created.
	var before api.ConversationCount
	e.must(200, "GET", "/v1/conversations/count", e.admin, nil, &before)
	problem(t, e.do("POST", "/v1/conversations?include=artifacts", e.admin, map[string]any{}), 400, "invalid_parameter", "include")
	problem(t, e.do("POST", "/v1/conversations?titel=x", e.admin, map[string]any{}), 400, "invalid_parameter", "titel")
	var after api.ConversationCount
	e.must(200, "GET", "/v1/conversations/count", e.admin, nil, &after)
	if after.Count != before.Count {
		t.Errorf("refused creates left %d conversations", after.Count-before.Count)
	}
}

func TestFindByIDAlone(t *testing.T) {
	t.Parallel()
	e := setup(t)
	f := e.populate()
	var m api.Message
	r := e.must(200, "GET", "/v1/messages/"+f.msg, e.admin, nil, &m)
	hasKeys(t, "message", r.body, messageKeys...)
	if m.ID != f.msg || m.ConversationID != f.conv {
		t.Errorf("message by id: %s", r.body)
	}
	var a api.Artifact
	r = e.must(200, "GET", "/v1/artifacts/"+f.art, e.admin, nil, &a)
	hasKeys(t, "artifact", r.body, artifactKeys...)
	if a.ID != f.art || a.ConversationID != f.conv {
		t.Errorf("artifact by id: %s", r.body)
	}
	problem(t, e.do("GET", "/v1/messages/"+f.art, e.admin, nil), 400, "invalid_parameter", "message_id")
	problem(t, e.do("GET", "/v1/artifacts/"+f.msg, e.admin, nil), 400, "invalid_parameter", "artifact_id")
	// Gone with their conversation.
	e.must(200, "DELETE", "/v1/conversations/"+f.conv, e.admin, nil, nil)
	problem(t, e.do("GET", "/v1/messages/"+f.msg, e.admin, nil), 404, "not_found", "")
	problem(t, e.do("GET", "/v1/artifacts/"+f.art, e.admin, nil), 404, "not_found", "")
}
