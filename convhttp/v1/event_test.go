package v1_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// TestEvents checks GET /v1/events: a delete through the native door is
// one conversation.deleted event naming the door and the key, pages by
// sequence, filters by type, answers another tenant with nothing of A's,
// refuses a key without the admin scope and bad parameters with 400.
func TestEvents(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var ids []string
	for range 3 {
		var c api.Conversation
		e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"title": "secret title"}, &c)
		e.must(200, "DELETE", "/v1/conversations/"+c.ID, e.KeyA, nil, nil)
		ids = append(ids, c.ID)
	}
	var l api.List[api.Event]
	e.must(200, "GET", "/v1/events?limit=2", e.KeyA, nil, &l)
	if len(l.Data) != 2 || !l.HasMore || l.LastID == nil || *l.LastID != "2" {
		t.Fatalf("first page: %s; want 2 events, has_more, last_id 2", mustJSON(t, l))
	}
	first := l.Data[0]
	if first.Type != convstore.EventConversationDeleted || first.Sequence != 1 || first.ConversationID == nil ||
		*first.ConversationID != ids[0] || !strings.HasPrefix(first.ID, "evt_") || first.DeliveredAt != nil ||
		first.TenantID != e.TenantA.Format(convstore.PrefixTenant) {
		t.Errorf("first event %s", mustJSON(t, first))
	}
	want := fmt.Sprintf(`"door":"native","actor_key_id":%q`, e.KeyAID.Format(convstore.PrefixKey))
	if !strings.Contains(string(first.Data), want) || strings.Contains(string(first.Data), "secret") {
		t.Errorf("payload %s; want %s and no content", first.Data, want)
	}
	e.must(200, "GET", "/v1/events?after="+*l.LastID, e.KeyA, nil, &l)
	if len(l.Data) != 1 || l.HasMore || l.Data[0].Sequence != 3 {
		t.Errorf("second page: %s; want the third event alone", mustJSON(t, l))
	}
	e.must(200, "GET", "/v1/events?type=hold.placed", e.KeyA, nil, &l)
	if len(l.Data) != 0 {
		t.Errorf("type filter: %s; want none", mustJSON(t, l))
	}
	e.must(200, "GET", "/v1/events", e.KeyB, nil, &l)
	if len(l.Data) != 0 {
		t.Errorf("tenant B reads %s; want none of A's", mustJSON(t, l))
	}
	problem(t, e.do("GET", "/v1/events", e.Scoped[convstore.ScopeRead], nil), 403, "forbidden", "-")
	problem(t, e.do("GET", "/v1/events", e.Scoped[convstore.ScopeDelete], nil), 403, "forbidden", "-")
	problem(t, e.do("GET", "/v1/events?type=conversation.created", e.KeyA, nil), 400, "invalid_parameter", "type")
	problem(t, e.do("GET", "/v1/events?after=-1", e.KeyA, nil), 400, "invalid_parameter", "after")
	problem(t, e.do("GET", "/v1/events?after="+ids[0], e.KeyA, nil), 400, "invalid_parameter", "after")
	problem(t, e.do("GET", "/v1/events?order=asc", e.KeyA, nil), 400, "invalid_parameter", "order")
}
