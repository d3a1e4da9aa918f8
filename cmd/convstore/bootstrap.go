package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/convstore/convstore"
)

// DefaultTenant is the name of the tenant created on first start.
const DefaultTenant = "default"

// bootstrapActor is who creates the first tenant, in its audit log: an
// operator (no key) at the server's first start.
var bootstrapActor = convstore.DeleteParams{Door: "bootstrap"}

// envBootstrapKey is the variable of the bootstrap key.
const envBootstrapKey = "CONVSTORE_BOOTSTRAP_KEY"

// validateBootstrapKey checks the bootstrap key with the domain's rules for
// a key secret, naming the variable it came from. The server runs it
// before it opens (and migrates) the store, so a bad key leaves no data
// directory behind.
func (c Config) validateBootstrapKey() error {
	if c.BootstrapKey == "" {
		return nil
	}
	if err := convstore.ValidateCustomKeySecret(c.BootstrapKey); err != nil {
		name := c.bootstrapKeyVar
		if name == "" {
			name = envBootstrapKey
		}
		return fmt.Errorf("%s: %s", name, convstore.ErrorMessage(err))
	}
	return nil
}

// bootstrap creates the tenant "default" with an admin key when the store
// has no tenant yet. With a bootstrap key that key becomes the admin key and
// is not printed; otherwise a new key is printed once to stderr.
func bootstrap(ctx context.Context, ts convstore.TenantService, key string, stderr io.Writer, logger *slog.Logger) error {
	tenants, err := ts.FindTenants(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap: listing tenants: %w", err)
	}
	if len(tenants) > 0 {
		if key != "" {
			// Not an error: restarts keep the variable set. But a key
			// that silently does nothing is what a first-time user
			// trips on, so say it at the default level.
			logger.Warn(envBootstrapKey+" is ignored: the store already has tenants, and the key only creates the first one. "+
				"Use a key of an existing tenant, or start with an empty --data directory (or database).", "tenants", len(tenants))
		}
		return nil
	}
	if key != "" {
		t, nk, err := ts.CreateTenantWithKey(ctx, DefaultTenant, key, bootstrapActor)
		if err != nil {
			return fmt.Errorf("bootstrap: creating tenant %q with CONVSTORE_BOOTSTRAP_KEY: %w", DefaultTenant, err)
		}
		logger.Info("created tenant with the bootstrap admin key", "tenant", t.ID.Format(convstore.PrefixTenant),
			"name", t.Name, "key_id", nk.ID.Format(convstore.PrefixKey), "key_prefix", nk.Prefix)
		return nil
	}
	t, nk, err := ts.CreateTenant(ctx, DefaultTenant, bootstrapActor)
	if err != nil {
		return fmt.Errorf("bootstrap: creating tenant %q: %w", DefaultTenant, err)
	}
	logger.Info("created tenant with a new admin key", "tenant", t.ID.Format(convstore.PrefixTenant),
		"name", t.Name, "key_id", nk.ID.Format(convstore.PrefixKey), "key_prefix", nk.Prefix)
	// The secret goes to stderr directly, never through the logger, so it
	// does not end up in log pipelines.
	_, err = fmt.Fprintf(stderr, "\nconvstore: created tenant %q. Its admin API key (shown only this once):\n\n    %s\n\n", t.Name, nk.Secret)
	return err
}
