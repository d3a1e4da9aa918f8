package v1_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
)

// setupClock is setup over a store whose clock the test moves.
func setupClock(t *testing.T) (*env, *servicetest.Clock, *service.Service) {
	t.Helper()
	clock := &servicetest.Clock{}
	de := doortest.NewWithOptions(t, service.Options{Now: clock.Now, PurgeInterval: -1})
	c := de.ServeConfig(de.Config(), func(s *convhttp.Server) { s.Mount("/", v1.New(s)) })
	return &env{Env: de, c: c, srv: c.Server}, clock, de.Store.(*service.Service)
}

// deleteConv creates a conversation and deletes it through the API,
// returning the receipt.
func (e *env) deleteConv() api.Deletion {
	e.TB.Helper()
	var conv api.Conversation
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"title": "t"}, &conv)
	var del api.ConversationDeleted
	e.must(200, "DELETE", "/v1/conversations/"+conv.ID, e.KeyA, nil, &del)
	return del.Receipt
}

// states returns a wire receipt's confirmation states by processor.
func wireStates(d api.Deletion) map[string]string {
	out := map[string]string{}
	for _, c := range d.Confirmations {
		out[c.Processor] = c.State
	}
	return out
}

// The flow from pending to complete: processors registered, a delete,
// each processor's key confirms (idempotently), the receipt and the state
// filter follow; every refusal is a clear problem.
func TestConfirmationFlowToComplete(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var vi, an api.Processor
	e.must(201, "POST", "/v1/processors", e.KeyA, map[string]any{"name": "vector-index", "deadline": "72h"}, &vi)
	e.must(201, "POST", "/v1/processors", e.KeyA, map[string]any{"name": "analytics"}, &an)
	if vi.DeadlineSeconds != 72*3600 || vi.Deadline != "72h" || an.Deadline != "72h" || !strings.HasPrefix(vi.ID, "proc_") {
		t.Fatalf("processors %+v %+v", vi, an)
	}
	hasKeys(t, "processor", e.must(200, "GET", "/v1/processors/vector-index", e.KeyA, nil, nil).Body,
		"id", "object", "name", "deadline", "deadline_seconds", "created_at")
	var key api.APIKey
	e.must(201, "POST", "/v1/keys", e.KeyA, map[string]any{"name": "vi", "scopes": []string{"confirm"}, "processor": "vector-index"}, &key)
	if key.Processor == nil || *key.Processor != "vector-index" {
		t.Fatalf("key %+v", key)
	}

	d := e.deleteConv()
	if s := wireStates(d); len(s) != 2 || s["analytics"] != "pending" || s["vector-index"] != "pending" || d.Complete {
		t.Fatalf("receipt of the delete: %v, complete %v", s, d.Complete)
	}
	path := "/v1/deletions/" + d.ID + "/confirmations"
	var got api.Deletion
	e.must(201, "POST", path, key.Secret, map[string]any{"note": "12 vectors removed"}, &got)
	first := got.Confirmations[1]
	if first.Processor != "vector-index" || first.State != "confirmed" || first.ConfirmedAt == nil || *first.Note != "12 vectors removed" || got.Complete {
		t.Fatalf("after the first confirmation: %+v, complete %v", got.Confirmations, got.Complete)
	}
	var again api.Deletion
	e.must(200, "POST", path, key.Secret, map[string]any{}, &again)
	if c := again.Confirmations[1]; *c.ConfirmedAt != *first.ConfirmedAt || *c.Note != "12 vectors removed" {
		t.Fatalf("a repeated confirmation answers %+v, want the first's", c)
	}
	hasKeys(t, "confirmation", mustJSON(t, again.Confirmations[0]), "processor", "state", "due_at", "confirmed_at", "note")

	// Refusals, each clear.
	p := problem(t, e.do("POST", path, key.Secret, map[string]any{"processor": "analytics"}), 403, "forbidden", "")
	if !strings.Contains(p["detail"].(string), "vector-index") {
		t.Errorf("403 does not say which processor the key is for: %v", p)
	}
	problem(t, e.do("POST", path, e.KeyA, map[string]any{}), 422, "invalid", "processor")
	p = problem(t, e.do("POST", path, e.KeyA, map[string]any{"processor": "nobody"}), 422, "invalid", "processor")
	if !strings.Contains(p["detail"].(string), "does not require") {
		t.Errorf("422 for an unknown processor: %v", p)
	}
	problem(t, e.do("POST", path, e.KeyA, map[string]any{"processor": "Bad Name"}), 422, "invalid", "processor")
	problem(t, e.do("POST", path, e.KeyA, map[string]any{"processor": "analytics", "note": strings.Repeat("n", 257)}), 422, "invalid", "note")
	problem(t, e.do("POST", path, e.KeyA, map[string]any{"processor": "analytics", "content": "x"}), 400, "invalid_json", "content")
	problem(t, e.do("POST", path, e.KeyB, map[string]any{"processor": "analytics"}), 404, "not_found", "")
	problem(t, e.do("POST", "/v1/deletions/"+convstore.NewID().Format("del")+"/confirmations", e.KeyA, map[string]any{"processor": "analytics"}), 404, "not_found", "")

	ids := func(state string) []string {
		var l api.List[api.Deletion]
		e.must(200, "GET", "/v1/deletions?state="+state, e.KeyA, nil, &l)
		var out []string
		for _, d := range l.Data {
			out = append(out, d.ID)
		}
		return out
	}
	if got := ids("pending"); len(got) != 1 || got[0] != d.ID {
		t.Fatalf("state=pending: %v", got)
	}
	if got := ids("complete"); len(got) != 0 {
		t.Fatalf("state=complete before the last confirmation: %v", got)
	}
	problem(t, e.do("GET", "/v1/deletions?state=late", e.KeyA, nil), 400, "invalid_parameter", "state")

	e.must(201, "POST", path, e.KeyA, map[string]any{"processor": "analytics"}, &got)
	if !got.Complete || wireStates(got)["analytics"] != "confirmed" {
		t.Fatalf("after the last confirmation: %+v", got)
	}
	var read api.Deletion
	e.must(200, "GET", "/v1/deletions/"+d.ID, e.Scoped[convstore.ScopeRead], nil, &read)
	if !read.Complete || len(read.Confirmations) != 2 {
		t.Fatalf("GET after completion: %+v", read)
	}
	if got := ids("complete"); len(got) != 1 || got[0] != d.ID {
		t.Fatalf("state=complete: %v", got)
	}
	if got := ids("pending"); len(got) != 0 {
		t.Fatalf("state=pending after completion: %v", got)
	}
	var events api.List[api.Event]
	e.must(200, "GET", "/v1/events?type=deletion.completed", e.KeyA, nil, &events)
	if len(events.Data) != 1 {
		t.Fatalf("%d deletion.completed events, want 1", len(events.Data))
	}
}

// The flow from pending to overdue: past the deadline the receipt reads
// overdue, the sweep emits confirmation.overdue once, the erasure-free
// state filter lists it; removing the processor withdraws it.
func TestConfirmationFlowToOverdue(t *testing.T) {
	t.Parallel()
	e, clock, svc := setupClock(t)
	e.must(201, "POST", "/v1/processors", e.KeyA, map[string]any{"name": "analytics", "deadline": "1h"}, nil)
	d := e.deleteConv()
	clock.Advance(61 * time.Minute)
	var got api.Deletion
	e.must(200, "GET", "/v1/deletions/"+d.ID, e.KeyA, nil, &got)
	if wireStates(got)["analytics"] != "overdue" || got.Complete {
		t.Fatalf("past the deadline: %+v", got)
	}
	var l api.List[api.Deletion]
	e.must(200, "GET", "/v1/deletions?state=overdue", e.KeyA, nil, &l)
	if len(l.Data) != 1 || l.Data[0].ID != d.ID {
		t.Fatalf("state=overdue: %+v", l.Data)
	}
	for range 2 {
		if _, err := svc.SweepConfirmations(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	var events api.List[api.Event]
	e.must(200, "GET", "/v1/events?type=confirmation.overdue", e.KeyA, nil, &events)
	if len(events.Data) != 1 || !strings.Contains(string(events.Data[0].Data), `"processor":"analytics"`) {
		t.Fatalf("confirmation.overdue events: %+v", events.Data)
	}
	var del api.ProcessorDeleted
	e.must(200, "DELETE", "/v1/processors/analytics", e.KeyA, nil, &del)
	if del.Withdrawn != 1 || !del.Deleted {
		t.Fatalf("DELETE processor: %+v", del)
	}
	e.must(200, "GET", "/v1/deletions/"+d.ID, e.KeyA, nil, &got)
	if wireStates(got)["analytics"] != "withdrawn" || !got.Complete {
		t.Fatalf("after the processor's removal: %+v", got)
	}
	problem(t, e.do("GET", "/v1/processors/analytics", e.KeyA, nil), 404, "not_found", "")
}

// A key scoped to a processor can confirm, and do nothing else (but ask
// who it is).
func TestConfirmKeyDoesNothingElse(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ids := e.populate()
	var key api.APIKey
	e.must(201, "POST", "/v1/keys", e.KeyA, map[string]any{"name": "fp", "scopes": []string{"confirm"}, "processor": "fixture-proc"}, &key)
	n := 0
	for _, rt := range e.routes() {
		if rt.Scope == "" || rt.Scope == convhttp.AnyScope || rt.Path == "/v1/deletions/{deletion_id}/confirmations" {
			continue
		}
		body, hdr := validBody(rt)
		problem(t, e.do(rt.Method, ids.path(rt.Path), key.Secret, body, hdr...), 403, "forbidden", "")
		n++
	}
	if n < 45 {
		t.Fatalf("only %d routes tried", n)
	}
	e.must(201, "POST", "/v1/deletions/"+ids.del+"/confirmations", key.Secret, map[string]any{}, nil)
}

// Processor and key bodies are checked with clear 422s.
func TestProcessorRefusals(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "Vector Index"}, "name"},
		{map[string]any{"name": strings.Repeat("a", 65)}, "name"},
		{map[string]any{"name": "ok", "deadline": "forever"}, "deadline"},
		{map[string]any{"name": "ok", "deadline": "91d"}, "deadline"},
		{map[string]any{"name": "ok", "deadline": "1.5s"}, "deadline"},
	} {
		problem(t, e.do("POST", "/v1/processors", e.KeyA, c.body), 422, "invalid", c.field)
	}
	e.must(201, "POST", "/v1/processors", e.KeyA, map[string]any{"name": "ok", "deadline": "3d"}, nil)
	problem(t, e.do("POST", "/v1/processors", e.KeyA, map[string]any{"name": "ok"}), 409, "conflict", "")
	var p api.Processor
	e.must(200, "PATCH", "/v1/processors/ok", e.KeyA, map[string]any{"deadline": "90m"}, &p)
	if p.Deadline != "90m" {
		t.Fatalf("PATCH: %+v", p)
	}
	problem(t, e.do("PATCH", "/v1/processors/ok", e.KeyA, map[string]any{"deadline": "0s"}), 422, "invalid", "deadline")
	problem(t, e.do("PATCH", "/v1/processors/Nope", e.KeyA, map[string]any{"deadline": "1h"}), 404, "not_found", "")
	problem(t, e.do("POST", "/v1/keys", e.KeyA, map[string]any{"name": "k", "scopes": []string{"confirm"}}), 422, "invalid", "processor")
	problem(t, e.do("POST", "/v1/keys", e.KeyA, map[string]any{"name": "k", "scopes": []string{"confirm", "read"}, "processor": "ok"}), 422, "invalid", "scopes")
	problem(t, e.do("POST", "/v1/keys", e.KeyA, map[string]any{"name": "k", "scopes": []string{"confirm"}, "processor": "absent"}), 422, "invalid", "processor")
	problem(t, e.do("POST", "/v1/keys", e.KeyA, map[string]any{"name": "k", "scopes": []string{"read"}, "processor": "ok"}), 422, "invalid", "processor")
	// Another tenant neither sees nor changes it.
	problem(t, e.do("GET", "/v1/processors/ok", e.KeyB, nil), 404, "not_found", "")
	var l api.List[api.Processor]
	e.must(200, "GET", "/v1/processors", e.KeyB, nil, &l)
	if len(l.Data) != 0 {
		t.Fatalf("tenant B sees %+v", l.Data)
	}
}

// An erasure job reports its receipts' confirmations.
func TestErasureConfirmationAggregate(t *testing.T) {
	t.Parallel()
	e, _, svc := setupClock(t)
	e.must(201, "POST", "/v1/processors", e.KeyA, map[string]any{"name": "analytics"}, nil)
	for range 2 {
		e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{"user_id": "gone"}, nil)
	}
	var job api.Erasure
	e.must(201, "POST", "/v1/erasures", e.KeyA, map[string]any{"selector": map[string]any{"user_id": "gone"}}, &job)
	if _, err := svc.RunErasures(context.Background(), service.ErasureRunOptions{}); err != nil {
		t.Fatal(err)
	}
	e.must(200, "GET", "/v1/erasures/"+job.ID, e.KeyA, nil, &job)
	if job.Confirmations == nil || *job.Confirmations != (api.ConfirmationCounts{Pending: 2}) {
		t.Fatalf("erasure confirmations %+v, want 2 pending", job.Confirmations)
	}
	var list api.List[api.Erasure]
	e.must(200, "GET", "/v1/erasures", e.KeyA, nil, &list)
	if list.Data[0].Confirmations != nil {
		t.Fatalf("a listed job carries the aggregate: %+v", list.Data[0].Confirmations)
	}
}
