package convstore

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Tenant is an isolated owner of keys and conversations.
type Tenant struct {
	ID        ID
	Name      string
	CreatedAt time.Time
}

// TenantService manages tenants. It is used by operators (the CLI's offline
// commands and the server's first start), never by an API door on behalf of
// a caller.
type TenantService interface {
	// CreateTenant creates a tenant and its first admin key, and writes
	// the tenant's first audit entries in the same transaction:
	// AuditTenantCreate (target the tenant) and AuditKeyCreate (target the
	// key), with actor p (an operator: no key; Door "cli" for the CLI,
	// "bootstrap" for the server's first start). The returned NewKey is the
	// only time the key's secret is available.
	// Returns EINVALID for a bad name and ECONFLICT if the name is taken.
	CreateTenant(ctx context.Context, name string, p DeleteParams) (*Tenant, *NewKey, error)

	// CreateTenantWithKey is CreateTenant with a caller-chosen admin key
	// secret (the server's CONVSTORE_BOOTSTRAP_KEY). Returns the EINVALID
	// of ValidateCustomKeySecret (field "key") for a secret that is
	// malformed or too weak, and ECONFLICT for a secret some key has.
	CreateTenantWithKey(ctx context.Context, name, secret string, p DeleteParams) (*Tenant, *NewKey, error)

	// FindTenants returns all tenants, oldest first.
	FindTenants(ctx context.Context) ([]*Tenant, error)
}

// MaxTenantNameLen bounds tenant names.
const MaxTenantNameLen = 128

// ValidateTenantName checks a tenant name: 1 to MaxTenantNameLen bytes of
// printable UTF-8, not only spaces. Every engine applies it.
func ValidateTenantName(name string) error {
	if strings.TrimSpace(name) == "" || len(name) > MaxTenantNameLen || !utf8.ValidString(name) {
		return Invalidf("name", "tenant name must be 1 to %d bytes of UTF-8", MaxTenantNameLen)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return Invalidf("name", "tenant name must be printable")
		}
	}
	return nil
}
