package convstore

import (
	"context"
	"time"
)

// Access tokens are short-lived bearer secrets issued for an API key, for
// the doors whose vendor has a token call (Symbl's POST
// /oauth2/token:generate). A token is AccessTokenPrefix + 40 base-32
// characters (200 random bits), opaque: it holds neither the key nor its
// expiry. Only its SHA-256 is stored, with its tenant, key, creation and
// expiry times, in the database every node shares; revoking the key
// revokes its tokens.
const (
	AccessTokenPrefix     = "cst_"
	AccessTokenLength     = len(AccessTokenPrefix) + 40
	DefaultAccessTokenTTL = 24 * time.Hour // Symbl's documented expiresIn, 86400 s
	MaxAccessTokenTTL     = 24 * time.Hour
	// MaxAccessTokensPerKey bounds the live tokens of one key: issuing one
	// more drops the key's tokens that expire soonest, so a client that
	// asks for a token on every call cannot grow the table without end.
	MaxAccessTokensPerKey = 1000
)

// Token audiences: where an access token is accepted. A token issued for
// one is refused everywhere else, so a console session cannot call the
// Symbl door and a Symbl token cannot open the console.
const (
	AudienceSymbl   = "symbl"   // Symbl's token call; accepted by the Symbl door
	AudienceConsole = "console" // a web console session; accepted by the console
)

// ValidateAudience checks an access token's audience.
func ValidateAudience(a string) error {
	if a != AudienceSymbl && a != AudienceConsole {
		return Invalidf("audience", "audience must be %q or %q", AudienceSymbl, AudienceConsole)
	}
	return nil
}

// AccessToken is an issued access token, without its secret.
type AccessToken struct {
	TenantID  ID
	KeyID     ID
	Audience  string // AudienceSymbl or AudienceConsole
	CreatedAt time.Time
	ExpiresAt time.Time
}

// TokenService issues and checks access tokens.
type TokenService interface {
	// CreateAccessToken issues a token for the tenant's key, valid for ttl
	// (at most MaxAccessTokenTTL: a longer ttl is cut to it; the returned
	// ExpiresAt says what was granted) and only where audience says. The
	// secret is returned only here. Returns EINVALID for an unknown
	// audience or a ttl that is not positive and ENOTFOUND for a missing,
	// revoked or another tenant's key.
	CreateAccessToken(ctx context.Context, tenantID, keyID ID, audience string, ttl time.Duration) (*AccessToken, string, error)

	// AuthenticateAccessToken returns the key a token was issued for, if
	// it was issued for audience. Returns EUNAUTHORIZED, with one message
	// for all, for a malformed, unknown or expired token, a token of
	// another audience and a token whose key was revoked.
	AuthenticateAccessToken(ctx context.Context, secret, audience string) (*APIKey, error)

	// RevokeAccessToken ends a token before its expiry (a console
	// sign-out): every node refuses it once its authentication cache
	// entry lapses (at once on this node). Revoking a malformed, unknown,
	// expired or already revoked token does nothing and is no error, so
	// it tells nothing about the secret.
	RevokeAccessToken(ctx context.Context, secret string) error
}

// NewAccessTokenSecret returns a new random access token.
func NewAccessTokenSecret() string { return randomSecret(AccessTokenPrefix) }

// IsAccessTokenSecret reports whether s has the form of an access token,
// so a malformed one is refused without a query.
func IsAccessTokenSecret(s string) bool {
	if len(s) != AccessTokenLength || s[:len(AccessTokenPrefix)] != AccessTokenPrefix {
		return false
	}
	for i := len(AccessTokenPrefix); i < len(s); i++ {
		if crockfordDec[s[i]] == 0xff || s[i] >= 'A' && s[i] <= 'Z' {
			return false
		}
	}
	return true
}

// ValidateAccessToken checks a token request's audience and lifetime and
// returns the lifetime to grant (see AccessTokenTTL).
func ValidateAccessToken(audience string, ttl time.Duration) (time.Duration, error) {
	if err := ValidateAudience(audience); err != nil {
		return 0, err
	}
	return AccessTokenTTL(ttl)
}

// AccessTokenTTL checks a requested token lifetime and cuts it to
// MaxAccessTokenTTL. Returns EINVALID (field "ttl") unless it is positive.
func AccessTokenTTL(ttl time.Duration) (time.Duration, error) {
	if ttl <= 0 {
		return 0, Invalidf("ttl", "an access token's lifetime must be positive")
	}
	return min(ttl, MaxAccessTokenTTL), nil
}
