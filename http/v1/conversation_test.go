package v1_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore/api"
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
