package symbl

import (
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strings"
	"time"

	"github.com/convstore/convstore"
)

// Access tokens. A token is "symbl." + base64url(8-byte big-endian Unix
// expiry + key secret): stateless, so any API node accepts it without a
// shared server secret. It is not signed: it contains the key secret
// itself, so it grants no more than the key and must be kept like the key;
// editing its expiry gains nothing the secret does not already give.
const (
	tokenPrefix    = "symbl."
	tokenLifetime  = 86400 // seconds, Symbl's documented expiresIn
	maxTokenLength = len(tokenPrefix) + (8+convstore.MaxKeyLength+2)/3*4
)

// now is the clock of token expiry; tests replace it.
var now = time.Now

// tokenEncoding is unpadded base64url, safe in headers.
var tokenEncoding = base64.RawURLEncoding

// newToken returns the access token of secret expiring at exp.
func newToken(secret string, exp time.Time) string {
	b := make([]byte, 8, 8+len(secret))
	binary.BigEndian.PutUint64(b, uint64(exp.Unix()))
	return tokenPrefix + tokenEncoding.EncodeToString(append(b, secret...))
}

// secretOf returns the key secret a bearer token stands for: the secret
// inside an unexpired "symbl." token, or the token itself when it is not a
// door token (a raw convstore key secret is accepted too). "" when the
// token is empty, malformed or expired.
func secretOf(tok string, t time.Time) string {
	rest, isToken := strings.CutPrefix(tok, tokenPrefix)
	if !isToken {
		return tok
	}
	if len(tok) > maxTokenLength {
		return ""
	}
	b, err := tokenEncoding.DecodeString(rest)
	if err != nil || len(b) <= 8 {
		return ""
	}
	exp := binary.BigEndian.Uint64(b[:8])
	if exp > 1<<62 || int64(exp) <= t.Unix() {
		return ""
	}
	return string(b[8:])
}

// tokenRequest is the body of POST /oauth2/token:generate.
type tokenRequest struct {
	Type      string `json:"type"`
	AppID     string `json:"appId"`
	AppSecret string `json:"appSecret"`
}

// tokenResponse is its answer.
type tokenResponse struct {
	AccessToken string `json:"accessToken"`
	ExpiresIn   int    `json:"expiresIn"`
}

// generateToken serves POST /oauth2/token:generate. The app id/secret pair
// is a convstore key: appSecret is the key secret and appId its non-secret
// prefix or its "key_…" id. Any mismatch is 401.
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
	}
	key, err := d.srv.Authenticate(r, in.AppSecret)
	if err != nil {
		if convstore.ErrorCode(err) == convstore.EUNAUTHORIZED {
			return convstore.Errorf(convstore.EUNAUTHORIZED, msgBadCredentials)
		}
		return err
	}
	if in.AppID != key.Prefix && in.AppID != key.ID.Format(convstore.PrefixKey) {
		return convstore.Errorf(convstore.EUNAUTHORIZED, msgBadCredentials)
	}
	exp := now().Add(tokenLifetime * time.Second)
	return ok(w, tokenResponse{AccessToken: newToken(in.AppSecret, exp), ExpiresIn: tokenLifetime})
}
