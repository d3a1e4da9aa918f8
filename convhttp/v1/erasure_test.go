package v1_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
)

var erasureKeys = []string{"id", "object", "state", "dry_run", "include_new", "selector", "progress", "cancel_requested",
	"error", "created_by", "door", "request_id", "client_request_id", "snapshot_at", "created_at", "updated_at", "finished_at", "confirmations"}

func TestErasureValidation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"no selector", `{}`, 422, "invalid", "selector"},
		{"empty selector", `{"selector":{}}`, 422, "invalid", "selector"},
		{"empty dry run", `{"selector":{},"dry_run":true}`, 422, "invalid", "selector"},
		{"null selector", `{"selector":null}`, 422, "invalid", "selector"},
		{"empty external id", `{"selector":{"external_ids":["a",""]}}`, 422, "invalid", "selector.external_ids[1]"},
		{"negative created_before", `{"selector":{"created_before":-1}}`, 422, "invalid", "selector.created_before"},
		{"long user", map[string]any{"selector": map[string]any{"user_id": strings.Repeat("u", 257)}}, 422, "invalid", "selector.user_id"},
		{"metadata pairs", map[string]any{"selector": map[string]any{"metadata": manyPairs(17)}}, 422, "invalid", "selector.metadata"},
		{"unknown selector field", `{"selector":{"usr":"x"}}`, 400, "invalid_json", "usr"},
		{"user type", `{"selector":{"user_id":5}}`, 400, "invalid_json", "selector.user_id"},
		{"dry_run type", `{"selector":{"user_id":"x"},"dry_run":"yes"}`, 400, "invalid_json", "dry_run"},
		{"created_before type", `{"selector":{"created_before":"2024-01-01"}}`, 400, "invalid_json", "selector.created_before"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			problem(t, e.do("POST", "/v1/erasures", e.KeyA, tc.body), tc.status, tc.code, tc.field)
		})
	}
	var l api.List[api.Erasure]
	e.must(200, "GET", "/v1/erasures", e.KeyA, nil, &l)
	if len(l.Data) != 0 {
		t.Errorf("refused requests made %d jobs", len(l.Data))
	}
	problem(t, e.do("GET", "/v1/erasures/erasure_x", e.KeyA, nil), 400, "invalid_parameter", "erasure_id")
	problem(t, e.do("GET", "/v1/deletions?erasure_id=del_01jdq00000000000000000000", e.KeyA, nil), 400, "invalid_parameter", "erasure_id")
	problem(t, e.do("POST", "/v1/erasures", e.Scoped["delete"], `{"selector":{"user_id":"x"}}`), 403, "forbidden", "")
}

func TestErasureDryRunAndIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	f := e.populate()
	r := e.must(200, "GET", "/v1/erasures/"+f.erasure, e.KeyA, nil, nil)
	m := hasKeys(t, "erasure", r.Body, erasureKeys...)
	if strings.Contains(string(r.Body), "user-1") {
		t.Errorf("the job shows the user id it erases: %s", r.Body)
	}
	var job api.Erasure
	r.JSON(t, &job)
	want := api.ErasureCounts{Conversations: 1, Messages: 2, Artifacts: 1, Attachments: 1, Bytes: int64(len("RIFF-audio-bytes"))}
	if job.State != "succeeded" || !job.DryRun || job.Progress.Total != want || job.Progress.Done != (api.ErasureCounts{}) ||
		!job.Selector.HasUserID || job.Selector.AgentID != nil || job.FinishedAt == nil || m["object"] != "erasure" {
		t.Errorf("dry run: %s", r.Body)
	}
	// The conversation is still there.
	e.must(200, "GET", "/v1/conversations/"+f.conv, e.KeyA, nil, nil)

	// Another tenant's id answers as a missing one.
	missing := randomFixture().erasure
	for _, id := range []string{f.erasure, missing} {
		problem(t, e.do("GET", "/v1/erasures/"+id, e.KeyB, nil), 404, "not_found", "")
		problem(t, e.do("POST", "/v1/erasures/"+id+"/cancel", e.KeyB, nil), 404, "not_found", "")
	}
	var l api.List[api.Erasure]
	e.must(200, "GET", "/v1/erasures", e.KeyB, nil, &l)
	if len(l.Data) != 0 {
		t.Errorf("tenant B lists %d jobs of A", len(l.Data))
	}
	e.must(200, "GET", "/v1/erasures", e.KeyA, nil, &l)
	if len(l.Data) != 1 || l.Data[0].ID != f.erasure {
		t.Errorf("tenant A lists %v", l.Data)
	}
}

func TestErasureCancel(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var job api.Erasure
	e.must(201, "POST", "/v1/erasures", e.KeyA, map[string]any{"selector": map[string]any{"agent_id": "agent-x", "created_before": 1700000000}}, &job)
	if job.State != "queued" || job.Selector.AgentID == nil || *job.Selector.AgentID != "agent-x" ||
		job.Selector.CreatedBefore == nil || *job.Selector.CreatedBefore != 1700000000 {
		t.Fatalf("created: %+v", job)
	}
	var canceled api.Erasure
	e.must(200, "POST", "/v1/erasures/"+job.ID+"/cancel", e.KeyA, nil, &canceled)
	if canceled.State != "canceled" || !canceled.CancelRequested || canceled.FinishedAt == nil {
		t.Errorf("canceled: %+v", canceled)
	}
	if got := e.audit("erasure.cancel"); len(got) != 1 || got[0].TargetID != job.ID {
		t.Errorf("erasure.cancel entries: %+v", got)
	}
}

// TestErasureIdempotencyKey checks that a retried POST /v1/erasures with
// the same Idempotency-Key returns the first job, not a second one, and
// that the key sent with another selector is refused.
func TestErasureIdempotencyKey(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.populate()
	body := map[string]any{"selector": map[string]any{"user_id": "user-1"}, "dry_run": true}
	first := e.do("POST", "/v1/erasures", e.KeyA, body, "Idempotency-Key", `"erase-user-1"`)
	if first.Status != 201 {
		t.Fatalf("first: %v", first)
	}
	again := e.do("POST", "/v1/erasures", e.KeyA, body, "Idempotency-Key", `"erase-user-1"`)
	if again.Status != 201 || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %v, want the first answer replayed", again)
	}
	var l api.List[api.Erasure]
	e.must(200, "GET", "/v1/erasures", e.KeyA, nil, &l)
	if len(l.Data) != 2 { // the fixture's dry run and this one
		t.Errorf("%d jobs after a retried create, want 2", len(l.Data))
	}
	other := map[string]any{"selector": map[string]any{"user_id": "user-2"}, "dry_run": true}
	problem(t, e.do("POST", "/v1/erasures", e.KeyA, other, "Idempotency-Key", `"erase-user-1"`), 422, "idempotency_key_reused", "")
}
