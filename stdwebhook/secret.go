package stdwebhook

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
)

// SecretPrefix starts every secret's text, as the specification writes it.
const SecretPrefix = "whsec_"

// SecretBytes is how many random bytes a new secret holds: the
// specification asks for 24 to 64.
const SecretBytes = 32

// Secret limits of DecodeSecret, from the specification.
const (
	minSecretBytes = 24
	maxSecretBytes = 64
)

// ErrBadSecret is DecodeSecret's answer to a text that is no secret.
var ErrBadSecret = errors.New("stdwebhook: a secret is whsec_ followed by the standard base64 of 24 to 64 bytes")

// NewSecret draws a new secret and returns its text ("whsec_…"), which
// the receiver passes to its Standard Webhooks library as is.
func NewSecret() string {
	key := make([]byte, SecretBytes)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	return SecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// DecodeSecret returns the key a secret's text holds.
func DecodeSecret(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, ErrBadSecret
	}
	return key, nil
}
