package servicetest

import (
	"slices"
	"testing"

	"github.com/convstore/convstore"
)

var corsTests = []subtest{
	{"SetFindAllowed", testCORSOrigins},
}

// testCORSOrigins sets a tenant's allowed origins: normalized, sorted,
// audited once, scoped to the tenant, and found by origin for preflights;
// a malformed list changes nothing.
func testCORSOrigins(t *testing.T, f *fixture) {
	s := f.Store
	if got, err := s.FindCORSOrigins(f.ctx, f.tenant.ID); err != nil || len(got) != 0 {
		t.Fatalf("default origins %v, %v", got, err)
	}
	want := []string{"http://localhost:3000", "https://app.example.com"}
	got, err := s.SetCORSOrigins(f.ctx, f.tenant.ID, []string{"HTTPS://App.Example.com", "http://localhost:3000", "https://app.example.com"}, f.params)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("SetCORSOrigins = %v, %v; want %v", got, err, want)
	}
	if got, err := s.FindCORSOrigins(f.ctx, f.tenant.ID); err != nil || !slices.Equal(got, want) {
		t.Fatalf("FindCORSOrigins = %v, %v", got, err)
	}
	checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditCORSUpdate, convstore.ID{}, f.tenant.ID, f.params)
	// The same set again changes nothing and audits nothing.
	if _, err := s.SetCORSOrigins(f.ctx, f.tenant.ID, want, f.params); err != nil {
		t.Fatal(err)
	}
	checkAudit(t, f.ctx, f.Harness, f.tenant.ID, convstore.AuditCORSUpdate, convstore.ID{}, f.tenant.ID, f.params)
	for _, bad := range [][]string{{"*"}, {"https://a.example.com/"}, {"https://a.example.com/path"}, {"null"}, {"ftp://a.example.com"},
		{"app.example.com"}, {"https://user@a.example.com"}, {"https://a.example.com?x=1"}, {""}} {
		_, err := s.SetCORSOrigins(f.ctx, f.tenant.ID, bad, f.params)
		wantCode(t, err, convstore.EINVALID, "SetCORSOrigins("+bad[0]+")")
	}
	if got, _ := s.FindCORSOrigins(f.ctx, f.tenant.ID); !slices.Equal(got, want) {
		t.Fatalf("origins after refused sets: %v", got)
	}
	for origin, allowed := range map[string]bool{"https://app.example.com": true, "HTTPS://APP.EXAMPLE.COM": true, "http://localhost:3000": true,
		"https://app.example.com:8443": false, "https://evil.example.com": false, "null": false, "": false} {
		if got, err := s.CORSOriginAllowed(f.ctx, origin); err != nil || got != allowed {
			t.Errorf("CORSOriginAllowed(%q) = %v, %v; want %v", origin, got, err, allowed)
		}
	}
	other, _ := MustCreateTenant(t, f.ctx, s, uniqueName("other"))
	if got, err := s.FindCORSOrigins(f.ctx, other.ID); err != nil || len(got) != 0 {
		t.Errorf("another tenant's origins %v, %v", got, err)
	}
	if got, err := s.SetCORSOrigins(f.ctx, f.tenant.ID, nil, f.params); err != nil || len(got) != 0 {
		t.Fatalf("SetCORSOrigins(none) = %v, %v", got, err)
	}
	if ok, err := s.CORSOriginAllowed(f.ctx, "https://app.example.com"); err != nil || ok {
		t.Errorf("an origin no tenant allows any more: %v, %v", ok, err)
	}
}
