package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

func tenantsCommand() *command {
	return group("tenants", "Create and list tenants, offline: opens the store directly (no server needed).",
		&leaf{name: "create", summary: "Create a tenant and print its first admin key.",
			help: "Create a tenant directly in the store and print its first admin key, once.", args: []string{"NAME"}, offline: tenantsCreate},
		&leaf{name: "list", summary: "List tenants.", help: "List the store's tenants, oldest first.", offline: tenantsList},
	)
}

// tenantJSON is the --json form of a tenant; tenants have no wire type
// since no API door manages them.
type tenantJSON struct {
	ID        string      `json:"id"`
	Object    string      `json:"object"`
	Name      string      `json:"name"`
	CreatedAt int64       `json:"created_at"`
	AdminKey  *api.APIKey `json:"admin_key,omitempty"`
}

func toTenantJSON(t *convstore.Tenant) tenantJSON {
	return tenantJSON{ID: t.ID.Format(convstore.PrefixTenant), Object: "tenant", Name: t.Name, CreatedAt: t.CreatedAt.Unix()}
}

// storeFlags are the flags of offline commands.
type storeFlags struct {
	cfg  Config
	json bool
}

func newStoreFlagSet(env *Env, usageLine, summary string) (*flagSet, *storeFlags) {
	fs := newFlagSet(usageLine, "convstore "+usageLine, summary, env.Stderr)
	sf := &storeFlags{cfg: DefaultConfig()}
	fs.StringVar(&sf.cfg.DataDir, "data", sf.cfg.DataDir, "data `directory` of the server")
	fs.bindEnv("data", "CONVSTORE_DATA")
	sf.cfg.registerStoreFlags(fs)
	fs.BoolVar(&sf.json, "json", false, "print JSON instead of a table")
	return fs, sf
}

// open opens the store quietly (warnings only) for an offline command.
func (sf *storeFlags) open(ctx context.Context, env *Env) (convstore.Store, error) {
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return openStore(ctx, sf.cfg, logger)
}

func tenantsCreate(x *call, store convstore.Store) error {
	// An operator at the command line: no key, door "cli" in the audit log.
	t, nk, err := store.CreateTenant(x.ctx, x.args[0], convstore.DeleteParams{Door: "cli"})
	if err != nil {
		return err
	}
	out := toTenantJSON(t)
	k := api.FromAPIKey(&nk.APIKey)
	k.Secret = nk.Secret
	out.AdminKey = &k
	return x.print(out, func(w io.Writer) error {
		if err := fields(w,
			"tenant", t.ID.Format(convstore.PrefixTenant),
			"name", t.Name,
			"admin key id", nk.ID.Format(convstore.PrefixKey),
			"admin key", nk.Secret,
		); err != nil {
			return err
		}
		_, err := io.WriteString(w, "Store the admin key now: it cannot be shown again.\n")
		return err
	})
}

func tenantsList(x *call, store convstore.Store) error {
	tenants, err := store.FindTenants(x.ctx)
	if err != nil {
		return err
	}
	return printList(x, tenants, false, toTenantJSON, func(t tenantJSON) string { return t.ID },
		[]string{"ID", "NAME", "CREATED"}, func(tn *convstore.Tenant) []string {
			return []string{tn.ID.Format(convstore.PrefixTenant), tn.Name, fmtTime(tn.CreatedAt.In(time.UTC))}
		})
}
