package v1_test

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// faultyStore is a real store with three broken methods.
type faultyStore struct {
	convstore.Store
}

func (faultyStore) FindConversationByID(ctx context.Context, tenantID, id convstore.ID) (*convstore.Conversation, error) {
	panic("store exploded")
}

func (faultyStore) FindConversations(ctx context.Context, tenantID convstore.ID, f convstore.ConversationFilter) ([]*convstore.Conversation, bool, error) {
	return nil, false, errors.New("disk I/O error at /var/lib/secret.db")
}

func (faultyStore) Ping(ctx context.Context) error { return errors.New("database is locked") }

func TestInternalErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *options) {
		o.wrap = func(s convstore.Store) convstore.Store { return faultyStore{s} }
	})
	id := convstore.NewID().Format("conv")
	for _, path := range []string{"/v1/conversations/" + id, "/v1/conversations"} {
		r := e.do("GET", path, e.KeyA, nil, "X-Request-Id", "fault-1")
		p := problem(t, r, 500, "internal", "")
		if p["detail"] != "Internal error." || p["request_id"] != r.Header.Get("X-Request-Id") {
			t.Fatalf("%v", r)
		}
	}
	logs := e.Logs.String()
	for _, want := range []string{"store exploded", "goroutine", "disk I/O error at /var/lib/secret.db", `"client_request_id":"fault-1"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	// The server survived the panic.
	e.must(201, "POST", "/v1/conversations", e.KeyA, map[string]any{}, nil)

	r := e.do("GET", "/readyz", "", nil)
	problem(t, r, 503, "unavailable", "")
	if strings.Contains(string(r.Body), "locked") || !strings.Contains(e.Logs.String(), "database is locked") {
		t.Fatalf("readyz: the cause must be logged, not shown: %v", r)
	}
	if r := e.do("GET", "/healthz", "", nil); r.Status != 200 {
		t.Fatalf("healthz must not depend on the store: %v", r)
	}
}

func TestRequestIDOnEveryResponse(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *options) {
		o.cfg.MaxBodyBytes = 100
		o.wrap = func(s convstore.Store) convstore.Store { return faultyStore{s} }
	})
	gen := regexp.MustCompile(`^req_[0-9a-z]{26}$`)
	conv := convstore.NewID().Format("conv")
	tests := []struct {
		method, path, key string
		body              any
		status            int
	}{
		{"GET", "/healthz", "", nil, 200},
		{"GET", "/v1/openapi.json", "", nil, 200},
		{"POST", "/v1/conversations", e.KeyA, map[string]any{}, 201},
		{"POST", "/v1/conversations", e.KeyA, "{", 400},
		{"GET", "/v1/conversations/x", e.KeyA, nil, 400},
		{"GET", "/v1/keys", "", nil, 401},
		{"GET", "/v1/keys", e.Scoped["read"], nil, 403},
		{"GET", "/v1/deletions/" + convstore.NewID().Format("del"), e.KeyA, nil, 404},
		{"GET", "/nowhere", "", nil, 404},
		{"PUT", "/v1/keys", e.KeyA, nil, 405},
		{"POST", "/v1/conversations", e.KeyA, map[string]any{"title": strings.Repeat("x", 200)}, 413},
		{"POST", "/v1/keys", e.KeyA, map[string]any{"scopes": []string{}}, 422},
		{"GET", "/v1/conversations/" + conv, e.KeyA, nil, 500},
		{"GET", "/readyz", "", nil, 503},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		r := e.do(tc.method, tc.path, tc.key, tc.body)
		id := r.Header.Get("X-Request-Id")
		if r.Status != tc.status || !gen.MatchString(id) || seen[id] {
			t.Errorf("%v: status %d (want %d), X-Request-Id %q", r, r.Status, tc.status, id)
		}
		seen[id] = true
		if r.Status >= 400 {
			var p api.Problem
			if err := json.Unmarshal(r.Body, &p); err != nil || p.RequestID != id {
				t.Errorf("%v: problem request_id %q, header %q", r, p.RequestID, id)
			}
		}
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	e := setup(t)
	f := e.populate()
	e.do("PATCH", "/v1/conversations/"+f.conv, e.Scoped["write"], map[string]any{"title": "TOP-SECRET-TITLE"}, "X-Request-Id", "log-1")
	e.do("GET", "/v1/nope/"+f.conv, e.KeyA, nil, "X-Request-Id", "log-2")
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(e.Logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "request" {
			if h := m["http"].(map[string]any); h["client_request_id"] == "log-1" || h["client_request_id"] == "log-2" {
				lines = append(lines, h)
			}
		}
	}
	if len(lines) != 2 {
		t.Fatalf("want one access line per request, got %v", lines)
	}
	patch := lines[0]
	if patch["method"] != "PATCH" || patch["route"] != "PATCH /v1/conversations/{conversation_id}" || patch["status"] != float64(200) ||
		patch["key_prefix"] != e.Scoped["write"][:8] || patch["door"] != "native" || patch["duration_ms"] == nil {
		t.Errorf("access line: %v", patch)
	}
	if lines[1]["route"] != "" || lines[1]["status"] != float64(404) {
		t.Errorf("unmatched access line: %v", lines[1])
	}
	logs := e.Logs.String()
	for _, secret := range []string{e.KeyA, e.Scoped["write"], "TOP-SECRET-TITLE", f.conv} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q", secret)
		}
	}
}
