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
			logger.Debug("bootstrap key ignored: the store already has tenants", "tenants", len(tenants))
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
