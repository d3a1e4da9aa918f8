package convhttp

import (
	"net/http"
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

func TestIdempotencyKeyHeader(t *testing.T) {
	for _, tc := range []struct {
		vals []string
		want string
		ok   bool
		bad  bool
	}{
		{nil, "", false, false},
		{[]string{"8e03978e-40d5-43e8-bc93-6894a57f9324"}, "8e03978e-40d5-43e8-bc93-6894a57f9324", true, false},
		{[]string{`"8e03978e"`}, "8e03978e", true, false},
		{[]string{`  "a \"quoted\" \\ key"  `}, `a "quoted" \ key`, true, false},
		{[]string{`"unterminated`}, `"unterminated`, true, false}, // not a string: taken bare
		{[]string{`"bad"quote"`}, "", true, true},
		{[]string{`""`}, "", true, true},
		{[]string{""}, "", true, true},
		{[]string{"caf\u00e9"}, "", true, true},
		{[]string{strings.Repeat("k", convstore.MaxIdempotencyKeyLen+1)}, "", true, true},
		{[]string{"a", "b"}, "", true, true},
	} {
		h := http.Header{}
		for _, v := range tc.vals {
			h.Add(IdempotencyKeyHeader, v)
		}
		got, ok, err := idempotencyKey(h)
		if ok != tc.ok || (err != nil) != tc.bad || !tc.bad && got != tc.want {
			t.Errorf("%q: %q, %v, %v; want %q, %v, bad %v", tc.vals, got, ok, err, tc.want, tc.ok, tc.bad)
		}
		if err != nil && convstore.ErrorCode(err) != CodeInvalidParameter {
			t.Errorf("%q: %v, want %s", tc.vals, err, CodeInvalidParameter)
		}
	}
}

func TestIdempotentRoutes(t *testing.T) {
	h := func(http.ResponseWriter, *http.Request) error { return nil }
	for _, tc := range []struct {
		rt   Route
		want bool
	}{
		{Route{Method: http.MethodDelete, Scope: convstore.ScopeDelete, Handler: h}, true},
		{Route{Method: http.MethodPost, Scope: convstore.ScopeDelete, Handler: h}, true}, // Stammer's deactivate
		{Route{Method: http.MethodDelete, Scope: convstore.ScopeAdmin, Handler: h}, true},
		{Route{Method: http.MethodPost, Scope: convstore.ScopeWrite, Handler: h}, false},
		{Route{Method: http.MethodPost, Scope: convstore.ScopeWrite, Idempotent: true, Handler: h}, true},
		{Route{Method: http.MethodDelete, Scope: "", Handler: h}, false},
	} {
		if got := idempotent(tc.rt); got != tc.want {
			t.Errorf("idempotent(%s %s) = %v, want %v", tc.rt.Method, tc.rt.Scope, got, tc.want)
		}
	}
}
