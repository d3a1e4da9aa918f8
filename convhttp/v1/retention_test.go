package v1_test

import (
	"encoding/json"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

func TestRetention(t *testing.T) {
	t.Parallel()
	e := setup(t)

	var empty api.Retention
	r := e.must(200, "GET", "/v1/retention", e.KeyA, nil, &empty)
	hasKeys(t, "get", r.Body, "object", "policies", "restore_window_days")
	if empty.Object != "retention" || empty.Policies == nil || len(empty.Policies) != 0 {
		t.Fatalf("a new tenant's retention: %s", r.Body)
	}

	body := map[string]any{"policies": []any{
		map[string]any{"agent_id": "bot", "conversations": map[string]any{"after_days": 10, "since": "last_activity"}},
		map[string]any{"agent_id": nil, "conversations": map[string]any{"after_days": 30}, "attachments": map[string]any{"after_days": 7}},
	}}
	var set api.Retention
	r = e.must(200, "PUT", "/v1/retention", e.KeyA, body, &set)
	if len(set.Policies) != 2 || set.Policies[0].AgentID != nil || *set.Policies[1].AgentID != "bot" ||
		set.Policies[0].Conversations.AfterDays != 30 || set.Policies[0].Conversations.Since != "created" ||
		set.Policies[0].Attachments.AfterDays != 7 || set.Policies[0].Artifacts != nil || set.Policies[0].UpdatedAt == 0 {
		t.Fatalf("put: %s", r.Body)
	}
	hasKeys(t, "policy", mustItem(t, r.Body), "agent_id", "conversations", "attachments", "artifacts", "updated_at")
	var got api.Retention
	e.must(200, "GET", "/v1/retention", e.KeyA, nil, &got)
	if len(got.Policies) != 2 || *got.Policies[1].AgentID != "bot" || got.Policies[1].Conversations.Since != "last_activity" {
		t.Fatalf("get after put: %+v", got)
	}

	var pv api.RetentionPreview
	r = e.must(200, "GET", "/v1/retention/preview", e.KeyA, nil, &pv)
	hasKeys(t, "preview", r.Body, "object", "as_of", "conversations", "messages", "attachments", "attachment_bytes", "artifacts", "held")
	if pv.Object != "retention.preview" || pv.Conversations != 0 || pv.AsOf == 0 {
		t.Fatalf("preview of fresh data: %s", r.Body)
	}

	// Only admin keys change policies; read keys see them; tenant B has its own.
	problem(t, e.do("PUT", "/v1/retention", e.Scoped[convstore.ScopeDelete], body), 403, "forbidden", "")
	e.must(200, "GET", "/v1/retention", e.Scoped[convstore.ScopeRead], nil, nil)
	var theirs api.Retention
	e.must(200, "GET", "/v1/retention", e.KeyB, nil, &theirs)
	if len(theirs.Policies) != 0 {
		t.Fatalf("tenant B sees tenant A's policies: %+v", theirs)
	}

	bad := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"no policies member", map[string]any{}, 422, "policies"},
		{"zero days", map[string]any{"policies": []any{map[string]any{"artifacts": map[string]any{"after_days": 0}}}}, 422, "policies[0].artifacts.after_days"},
		{"two defaults", map[string]any{"policies": []any{
			map[string]any{"artifacts": map[string]any{"after_days": 1}}, map[string]any{"attachments": map[string]any{"after_days": 1}}}}, 422, "policies[1].agent_id"},
		{"no rule", map[string]any{"policies": []any{map[string]any{"agent_id": "x"}}}, 422, "policies[0]"},
		{"since on attachments", map[string]any{"policies": []any{map[string]any{"attachments": map[string]any{"after_days": 1, "since": "created"}}}}, 422, "policies[0].attachments.since"},
		{"updated_at sent", map[string]any{"policies": []any{map[string]any{"artifacts": map[string]any{"after_days": 1}, "updated_at": 5}}}, 422, "policies"},
		{"days as a string", map[string]any{"policies": []any{map[string]any{"artifacts": map[string]any{"after_days": "1"}}}}, 0, ""},
		{"unknown member", map[string]any{"policies": []any{}, "ttl": 3}, 0, ""},
	}
	for _, c := range bad {
		r := e.do("PUT", "/v1/retention", e.KeyA, c.body)
		if c.status == 0 {
			if r.Status != 400 && r.Status != 422 {
				t.Errorf("%s: status %d, want 400 or 422: %s", c.name, r.Status, r.Body)
			}
			continue
		}
		problem(t, r, c.status, "invalid", c.field)
	}
	e.must(200, "GET", "/v1/retention", e.KeyA, nil, &got)
	if len(got.Policies) != 2 {
		t.Fatalf("refused puts changed the policies: %+v", got)
	}
	e.must(200, "PUT", "/v1/retention", e.KeyA, map[string]any{"policies": []any{}}, &got)
	if len(got.Policies) != 0 {
		t.Fatalf("an empty list left policies: %+v", got)
	}
}

// mustItem returns the first policy of a retention answer, raw.
func mustItem(t *testing.T, raw []byte) []byte {
	t.Helper()
	var w struct {
		Policies []json.RawMessage `json:"policies"`
	}
	if err := json.Unmarshal(raw, &w); err != nil || len(w.Policies) == 0 {
		t.Fatalf("no policy in %s: %v", raw, err)
	}
	return w.Policies[0]
}

// TestRetentionPreviewDraft: POST /v1/retention/preview counts what a
// draft would erase and saves nothing; a bad draft is 422 naming the
// field; it needs the admin scope.
func TestRetentionPreviewDraft(t *testing.T) {
	t.Parallel()
	e := setup(t)
	saved := map[string]any{"policies": []any{map[string]any{"conversations": map[string]any{"after_days": 60}}}}
	e.must(200, "PUT", "/v1/retention", e.KeyA, saved, nil)
	var pv api.RetentionPreview
	draft := map[string]any{"policies": []any{map[string]any{"attachments": map[string]any{"after_days": 1}}}}
	e.must(200, "POST", "/v1/retention/preview", e.KeyA, draft, &pv)
	if pv.Object != "retention.preview" || pv.Conversations != 0 || pv.Attachments != 0 {
		t.Errorf("a draft's preview of fresh data: %+v", pv)
	}
	var got api.Retention
	e.must(200, "GET", "/v1/retention", e.KeyA, nil, &got)
	if len(got.Policies) != 1 || got.Policies[0].Conversations == nil || got.Policies[0].Conversations.AfterDays != 60 {
		t.Errorf("the policies after a draft's preview: %+v", got.Policies)
	}
	problem(t, e.do("POST", "/v1/retention/preview", e.KeyA, map[string]any{"policies": []any{map[string]any{"conversations": map[string]any{"after_days": 0}}}}),
		422, "invalid", "policies[0].conversations.after_days")
	problem(t, e.do("POST", "/v1/retention/preview", e.KeyA, map[string]any{}), 422, "invalid", "policies")
	problem(t, e.do("POST", "/v1/retention/preview", e.Scoped["read"], draft), 403, "forbidden", "")
}
