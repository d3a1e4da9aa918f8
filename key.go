package convstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"slices"
	"strings"
	"time"
)

// Scope is a permission an API key grants.
type Scope string

// Scopes. Admin implies every other scope.
const (
	ScopeRead   Scope = "read"   // read conversations and derived data
	ScopeWrite  Scope = "write"  // create and change conversations and derived data
	ScopeDelete Scope = "delete" // delete conversations and derived data
	ScopeAdmin  Scope = "admin"  // manage keys; implies all scopes
	// ScopeConfirm records a downstream processor's confirmation of a
	// deletion, and nothing else: a key with it names its processor
	// (APIKey.Processor) and has no other scope.
	ScopeConfirm Scope = "confirm"
)

// AllScopes lists every scope, in display order.
var AllScopes = []Scope{ScopeRead, ScopeWrite, ScopeDelete, ScopeAdmin, ScopeConfirm}

// Key secrets look like "csk_" + 40 base-32 characters. The first
// KeyPrefixLength characters of any key are its non-secret prefix, shown in
// lists and logs to identify it: "csk_" and 4 characters (20 bits) of a
// generated key, and a fixed, small part of a caller-chosen one, whose
// strength is judged on the rest (see ValidateCustomKeySecret). Keys made
// when the prefix was 12 characters long had their stored prefix cut to
// KeyPrefixLength by migration 0003, so they still authenticate.
const (
	KeySecretPrefix = "csk_"
	KeyPrefixLength = 8
	MinKeyLength    = 24
	MaxKeyLength    = 256
	MaxKeyNameLen   = 128
)

// APIKey is a tenant's API key. Only a SHA-256 hash of its secret is stored.
type APIKey struct {
	ID       ID
	TenantID ID
	Name     string
	Prefix   string // first KeyPrefixLength characters of the secret
	Scopes   []Scope
	// Processor is, for a key with ScopeConfirm, the processor it
	// confirms for; "" for every other key.
	Processor  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// Has reports whether the key grants scope s (admin grants all).
func (k *APIKey) Has(s Scope) bool {
	return slices.Contains(k.Scopes, s) || slices.Contains(k.Scopes, ScopeAdmin)
}

// NewKey is a freshly created key together with its secret, which is never
// stored and never shown again.
type NewKey struct {
	APIKey
	Secret string
}

// KeyCreate is the input of KeyService.CreateKey.
type KeyCreate struct {
	Name   string
	Scopes []Scope
	// Processor names the processor a key with ScopeConfirm confirms
	// for (required with it, refused without it).
	Processor string
}

// Validate checks name and scopes, and sorts and de-duplicates the scopes.
func (c *KeyCreate) Validate() error {
	if err := validText("name", c.Name, MaxKeyNameLen); err != nil {
		return err
	}
	if len(c.Scopes) == 0 {
		return Invalidf("scopes", "scopes must name at least one of read, write, delete, admin, confirm")
	}
	for _, s := range c.Scopes {
		if !slices.Contains(AllScopes, s) {
			return Invalidf("scopes", "unknown scope %q: use read, write, delete, admin or confirm", s)
		}
	}
	c.Scopes = SortScopes(c.Scopes)
	confirm := slices.Contains(c.Scopes, ScopeConfirm)
	switch {
	case confirm && len(c.Scopes) > 1:
		return Invalidf("scopes", "a confirm key has no other scope: it can only confirm deletions for its processor")
	case confirm && c.Processor == "":
		return Invalidf("processor", "processor is required with the confirm scope: name the processor the key confirms for")
	case !confirm && c.Processor != "":
		return Invalidf("processor", "processor is only for keys with the confirm scope")
	case confirm:
		return ValidateProcessorName("processor", c.Processor)
	}
	return nil
}

// SortScopes returns scopes de-duplicated, in AllScopes order.
func SortScopes(scopes []Scope) []Scope {
	var out []Scope
	for _, s := range AllScopes {
		if slices.Contains(scopes, s) {
			out = append(out, s)
		}
	}
	return out
}

// KeyService manages API keys.
type KeyService interface {
	// Authenticate returns the key whose secret is secret, comparing hashes
	// in constant time, and records its last use. Returns EUNAUTHORIZED for
	// an unknown, revoked or malformed secret (one message for all).
	Authenticate(ctx context.Context, secret string) (*APIKey, error)

	// CreateKey creates a key for the tenant and writes an AuditKeyCreate
	// entry (actor p, target the new key) in the same transaction.
	// Returns EINVALID for bad input, ENOTFOUND for a missing tenant.
	CreateKey(ctx context.Context, tenantID ID, c *KeyCreate, p DeleteParams) (*NewKey, error)

	// FindKeys returns the tenant's keys, oldest first.
	FindKeys(ctx context.Context, tenantID ID) ([]*APIKey, error)

	// DeleteKey revokes a key at once, with the access tokens issued for
	// it, and writes an AuditKeyRevoke entry (actor p, target the key) in
	// the same transaction. Returns ENOTFOUND for a missing or another
	// tenant's key, and ECONFLICT when it is the tenant's last admin key
	// (which would lock the tenant out).
	DeleteKey(ctx context.Context, tenantID, keyID ID, p DeleteParams) error
}

// NewKeySecret returns a new random key secret.
func NewKeySecret() string { return randomSecret(KeySecretPrefix) }

// randomSecret returns prefix + 40 base-32 characters: 200 random bits.
func randomSecret(prefix string) string {
	var b [25]byte // 200 bits -> 40 base-32 characters
	if _, err := rand.Read(b[:]); err != nil {
		panic("convstore: crypto/rand failed: " + err.Error())
	}
	var sb strings.Builder
	sb.WriteString(prefix)
	var acc uint64
	bits := 0
	for _, c := range b {
		acc = acc<<8 | uint64(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			sb.WriteByte(crockford[(acc>>bits)&31])
		}
	}
	return sb.String()
}

// HashKeySecret returns the SHA-256 of a key or access token secret, as
// stored. Both are random and long, so an unsalted hash cannot be reversed
// by guessing.
func HashKeySecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// KeyPrefix returns the non-secret identifying prefix of a secret.
func KeyPrefix(secret string) string {
	if len(secret) < KeyPrefixLength {
		return secret
	}
	return secret[:KeyPrefixLength]
}

// ValidateKeySecret checks a secret's length and characters: what every
// key, old or new, satisfies. Authenticate refuses anything else unread;
// a secret chosen now must also pass ValidateCustomKeySecret.
func ValidateKeySecret(secret string) error {
	if len(secret) < MinKeyLength || len(secret) > MaxKeyLength {
		return Invalidf("key", "key must be %d to %d characters", MinKeyLength, MaxKeyLength)
	}
	for i := 0; i < len(secret); i++ {
		if c := secret[i]; c <= ' ' || c > '~' {
			return Invalidf("key", "key must be printable ASCII without spaces")
		}
	}
	return nil
}
