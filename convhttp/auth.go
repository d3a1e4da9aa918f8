package convhttp

import (
	"net/http"
	"strings"

	"github.com/convstore/convstore"
)

// UnauthorizedMessage is the one safe message of every authentication
// failure, so a missing, malformed, unknown and revoked key are
// indistinguishable.
const UnauthorizedMessage = "A valid API key is required."

// AnyScope is the Scope of a route that every valid key may call, whatever
// scopes it grants: a caller may always learn who it is (GET /v1/me).
const AnyScope convstore.Scope = "any"

// errUnauthorized is the error of every authentication failure.
func errUnauthorized() error {
	return convstore.Errorf(convstore.EUNAUTHORIZED, UnauthorizedMessage)
}

// Authenticate resolves a door-extracted secret to its API key and records
// the key on the request for the access log and Key. An empty, malformed,
// unknown or revoked secret is EUNAUTHORIZED with UnauthorizedMessage; a
// store fault is returned as is. Each failure is charged to the client's
// address, and an address out of failures gets ERATELIMITED without its
// secret being looked at. Doors call it only for work outside the
// route table: routes with a Scope are authenticated by the server.
func (s *Server) Authenticate(r *http.Request, secret string) (*convstore.APIKey, error) {
	if err := s.checkAuthFailures(r); err != nil {
		return nil, err
	}
	if secret == "" || len(secret) > convstore.MaxKeyLength {
		return nil, s.chargeAuthFailure(r, errUnauthorized())
	}
	key, err := s.cfg.Store.Authenticate(r.Context(), secret)
	return s.recordKey(r, key, err)
}

// AuthenticateAccessToken is Authenticate for an access token issued by
// the store's TokenService (a door's token call) for audience: an empty,
// malformed, unknown, expired or revoked token, and one of another
// audience, is EUNAUTHORIZED with UnauthorizedMessage.
func (s *Server) AuthenticateAccessToken(r *http.Request, token, audience string) (*convstore.APIKey, error) {
	if err := s.checkAuthFailures(r); err != nil {
		return nil, err
	}
	if !convstore.IsAccessTokenSecret(token) {
		return nil, s.chargeAuthFailure(r, errUnauthorized())
	}
	key, err := s.cfg.Store.AuthenticateAccessToken(r.Context(), token, audience)
	return s.recordKey(r, key, err)
}

// recordKey is the common end of the Authenticate calls: the store's
// answer turned into the one unauthorized error, or the key recorded on
// the request for the access log and Key.
func (s *Server) recordKey(r *http.Request, key *convstore.APIKey, err error) (*convstore.APIKey, error) {
	if err != nil {
		if convstore.ErrorCode(err) == convstore.EUNAUTHORIZED || convstore.ErrorCode(err) == convstore.ENOTFOUND {
			return nil, s.chargeAuthFailure(r, errUnauthorized())
		}
		return nil, err
	}
	if key == nil {
		return nil, s.chargeAuthFailure(r, errUnauthorized())
	}
	if info := infoFrom(r.Context()); info != nil {
		info.key = key
	}
	return key, nil
}

// RequestAuthenticator is an optional interface of a Door whose routes
// accept more than a key secret, such as the Symbl door's access tokens.
// For a route with a Scope, the server calls AuthenticateRequest instead
// of Secret and Authenticate; it must answer like Authenticate (and may
// call it, or AuthenticateAccessToken, to record the key on the request).
type RequestAuthenticator interface {
	AuthenticateRequest(r *http.Request) (*convstore.APIKey, error)
}

// authenticateRoute authenticates a request to a route of d with a Scope.
func (s *Server) authenticateRoute(d Door, r *http.Request) (*convstore.APIKey, error) {
	if ra, ok := d.(RequestAuthenticator); ok {
		return ra.AuthenticateRequest(r)
	}
	secret := ""
	if d != nil {
		secret = d.Secret(r)
	}
	return s.Authenticate(r, secret)
}

// BearerSecret returns the token of an "Authorization: Bearer <token>"
// header (the scheme is case-insensitive), or "" when the header is
// missing, uses another scheme, or the token is empty or contains spaces.
func BearerSecret(r *http.Request) string {
	return schemeToken(r.Header.Get("Authorization"), "Bearer")
}

// schemeToken extracts the token of an Authorization header value for one
// scheme ("Bearer", "Token", …).
func schemeToken(h, scheme string) string {
	if len(h) <= len(scheme)+1 || !strings.EqualFold(h[:len(scheme)], scheme) || h[len(scheme)] != ' ' {
		return ""
	}
	tok := strings.TrimLeft(h[len(scheme)+1:], " ")
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return ""
	}
	return tok
}

// AuthorizationToken returns the token of an Authorization header with the
// given scheme ("Token" for Stammer), for doors with their own scheme.
func AuthorizationToken(r *http.Request, scheme string) string {
	return schemeToken(r.Header.Get("Authorization"), scheme)
}

// Tenant returns the caller's tenant. Only for routes with a Scope, which
// always have an authenticated key.
func Tenant(r *http.Request) convstore.ID { return Key(r.Context()).TenantID }

// DeleteParams says who acts through door (deletes, or creates or revokes
// a key, replaces an attachment), for receipts and audit entries: the
// caller's key, the server's request id and the client's. Only for routes
// with a Scope.
func DeleteParams(r *http.Request, door string) convstore.DeleteParams {
	return convstore.DeleteParams{
		ActorKeyID:      Key(r.Context()).ID,
		RequestID:       RequestID(r.Context()),
		ClientRequestID: ClientRequestID(r.Context()),
		Door:            door,
	}
}
