package symbl

import (
	"net/http"
	"strings"
	"time"

	"github.com/convstore/convstore"
)

// Access tokens are the store's (convstore.TokenService): opaque random
// secrets of which only a SHA-256 hash is kept, with the tenant, key and
// expiry, in the database every node shares. A token holds neither the key
// secret nor its expiry, so nothing in it can be edited to last longer.
const (
	defaultExpiresIn = int64(convstore.DefaultAccessTokenTTL / time.Second) // Symbl's 86400
	maxExpiresIn     = int64(convstore.MaxAccessTokenTTL / time.Second)
)

// tokenRequest is the body of POST /oauth2/token:generate.
type tokenRequest struct {
	Type      string `json:"type"`
	AppID     string `json:"appId"`
	AppSecret string `json:"appSecret"`
	ExpiresIn *int64 `json:"expiresIn"` // seconds; optional
}

// tokenResponse is its answer.
type tokenResponse struct {
	AccessToken string `json:"accessToken"`
	ExpiresIn   int64  `json:"expiresIn"`
}

// generateToken serves POST /oauth2/token:generate. The app id/secret pair
// is a convstore key: appSecret is the key secret and appId its id
// ("key_…"). Any mismatch is 401. expiresIn, when sent, asks for a shorter
// lifetime than the default; longer ones are cut to maxExpiresIn, and the
// answer's expiresIn is the lifetime granted.
func (d *Door) generateToken(w http.ResponseWriter, r *http.Request) error {
	var in tokenRequest
	if err := d.decodeBody(w, r, &in); err != nil {
		return err
	}
	switch {
	case in.Type != "application":
		return badRequest(`"type" must be "application"`)
	case in.AppID == "":
		return badRequest(`"appId" is required`)
	case in.AppSecret == "":
		return badRequest(`"appSecret" is required`)
	case in.ExpiresIn != nil && *in.ExpiresIn <= 0:
		return badRequest(`"expiresIn" must be a positive number of seconds`)
	}
	expiresIn := defaultExpiresIn
	if in.ExpiresIn != nil {
		expiresIn = min(*in.ExpiresIn, maxExpiresIn)
	}
	key, err := d.srv.Authenticate(r, in.AppSecret)
	if err != nil {
		if convstore.ErrorCode(err) == convstore.EUNAUTHORIZED {
			return convstore.Errorf(convstore.EUNAUTHORIZED, msgBadCredentials)
		}
		return err
	}
	if in.AppID != key.ID.Format(convstore.PrefixKey) {
		return convstore.Errorf(convstore.EUNAUTHORIZED, msgBadCredentials)
	}
	tok, secret, err := d.store.CreateAccessToken(r.Context(), key.TenantID, key.ID, convstore.AudienceSymbl, time.Duration(expiresIn)*time.Second)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		// The key was revoked between authenticating and issuing.
		return convstore.Errorf(convstore.EUNAUTHORIZED, msgBadCredentials)
	} else if err != nil {
		return err
	}
	return ok(w, tokenResponse{AccessToken: secret, ExpiresIn: int64(tok.ExpiresAt.Sub(tok.CreatedAt) / time.Second)})
}

// AuthenticateRequest resolves the request's bearer token: an access token
// from generateToken, or else a raw convstore key secret. It implements
// convhttp.RequestAuthenticator.
func (d *Door) AuthenticateRequest(r *http.Request) (*convstore.APIKey, error) {
	tok := d.Secret(r)
	if strings.HasPrefix(tok, convstore.AccessTokenPrefix) {
		return d.srv.AuthenticateAccessToken(r, tok, convstore.AudienceSymbl)
	}
	return d.srv.Authenticate(r, tok)
}
