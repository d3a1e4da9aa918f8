package inkeep_test

import (
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

// TestQueryMethodsNotServed: the SDK's analytics queries answer 404
// not_supported_by_convstore (never a 5XX, which the SDK would retry for an
// hour) with a detail saying what to use instead, for any valid key and
// body; a bad key is still 401.
func TestQueryMethodsNotServed(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for _, p := range []string{"POST /query/conversations", "POST /query/events", "POST /query/feedback", "POST /query/semantic-threads",
		"POST /query/semantic-threads/export", "POST /query/property-keys", "POST /query/property-values",
		"GET /query/top-search-queries?after=2024-01-01", "GET /query/weekly-search-users"} {
		method, path, _ := strings.Cut(p, " ")
		var body any
		if method == "POST" {
			body = map[string]any{"notes": "x"}
		}
		for _, key := range []string{e.KeyA, e.KeyB, e.Scoped[convstore.ScopeRead]} {
			m := problem(t, e.c.Do(method, path, body, bearer(key)...), 404, "not_supported_by_convstore")
			if d, _ := m["detail"].(string); !strings.Contains(d, "analytics queries") || !strings.Contains(d, "conversations.list") {
				t.Fatalf("%s: detail %q", p, d)
			}
		}
		problem(t, e.c.Do(method, path, body, bearer("bad")...), 401, "unauthorized")
	}
}
