package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/convstore/convstore/api"
)

// TestCLICORS sets, shows and clears the tenant's allowed origins.
func TestCLICORS(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	wantContains(t, "cors show", ts.mustCLI(t, "cors", "show"), "no origin allowed")
	var c api.CORS
	ts.mustJSON(t, &c, "cors", "set", "--origins", "https://App.example.com, http://localhost:3000")
	if c.Object != "cors" || !slices.Equal(c.AllowedOrigins, []string{"http://localhost:3000", "https://app.example.com"}) {
		t.Fatalf("cors set: %+v", c)
	}
	wantContains(t, "cors show", ts.mustCLI(t, "cors", "show"), "http://localhost:3000\nhttps://app.example.com")
	if _, stderr, code := ts.cli(t, "cors", "set", "--origins", "*"); code != 2 || !strings.Contains(stderr, "allowed_origins") {
		t.Fatalf("a wildcard: exit %d, %s", code, stderr)
	}
	ts.mustJSON(t, &c, "cors", "set", "--origins", "")
	if len(c.AllowedOrigins) != 0 {
		t.Fatalf("cors set none: %+v", c)
	}
}
