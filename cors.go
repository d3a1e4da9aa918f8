package convstore

import (
	"context"
	"net/url"
	"strings"
)

// MaxCORSOrigins bounds how many origins a tenant may allow.
const MaxCORSOrigins = 64

// MaxOriginLen bounds an allowed origin.
const MaxOriginLen = 255

// AuditCORSUpdate is the audit action of a change of the tenant's allowed
// origins: target the tenant.
const AuditCORSUpdate = "cors.update"

// NormalizeOrigin checks that s is a web origin as a browser sends it in
// an Origin header, "http(s)://host[:port]" without path, query or
// trailing slash, and returns it with scheme and host in lower case.
// Wildcards and the "null" origin are refused: an origin is allowed by
// name only.
func NormalizeOrigin(s string) (string, error) {
	bad := Invalidf("allowed_origins", "allowed_origins must hold origins such as https://app.example.com (scheme, host and optional port; no path, wildcard or \"null\")")
	if s == "" || len(s) > MaxOriginLen || strings.ContainsAny(s, "*\\ \t\r\n") {
		return "", bad
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || strings.HasSuffix(s, "/") || strings.Contains(s, "?") || strings.Contains(s, "#") {
		return "", bad
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host), nil
}

// NormalizeOrigins checks a tenant's allowed origins and returns them
// normalized, in the order given, repeats dropped.
func NormalizeOrigins(origins []string) ([]string, error) {
	if len(origins) > MaxCORSOrigins {
		return nil, Invalidf("allowed_origins", "allowed_origins holds at most %d origins", MaxCORSOrigins)
	}
	out := make([]string, 0, len(origins))
	seen := map[string]bool{}
	for _, o := range origins {
		n, err := NormalizeOrigin(o)
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// CORSService keeps the web origins each tenant allows to call the doors
// from a browser (cross-origin requests, Access-Control-Allow-Origin).
// None by default.
type CORSService interface {
	// FindCORSOrigins returns the tenant's allowed origins, normalized,
	// sorted; empty when none.
	FindCORSOrigins(ctx context.Context, tenantID ID) ([]string, error)

	// SetCORSOrigins replaces the tenant's allowed origins (see
	// NormalizeOrigins; empty allows none) and writes a cors.update audit
	// entry when they change. It returns them as stored. EINVALID for a
	// malformed origin or too many.
	SetCORSOrigins(ctx context.Context, tenantID ID, origins []string, p DeleteParams) ([]string, error)

	// CORSOriginAllowed reports whether some tenant allows origin (a
	// browser's preflight carries no credential, so it cannot name its
	// tenant). origin is compared normalized; a malformed one is false.
	CORSOriginAllowed(ctx context.Context, origin string) (bool, error)
}
