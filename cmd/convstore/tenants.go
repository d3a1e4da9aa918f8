package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

func tenantsCommand() *command {
	return &command{
		name:    "tenants",
		summary: "Create and list tenants, offline: opens the store directly (no server needed).",
		subs: []*command{
			{name: "create", summary: "Create a tenant and print its first admin key.", run: tenantsCreate},
			{name: "list", summary: "List tenants.", run: tenantsList},
		},
	}
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

func tenantsCreate(ctx context.Context, env *Env, args []string) error {
	fs, sf := newStoreFlagSet(env, "tenants create NAME [flags]",
		"Create a tenant directly in the store and print its first admin key, once.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "NAME"); err != nil {
		return err
	}
	if err := sf.cfg.validateStore(); err != nil {
		return err
	}
	store, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	// An operator at the command line: no key, door "cli" in the audit log.
	t, nk, err := store.CreateTenant(ctx, pos[0], convstore.DeleteParams{Door: "cli"})
	if err != nil {
		return err
	}
	if sf.json {
		out := toTenantJSON(t)
		k := api.FromAPIKey(&nk.APIKey)
		k.Secret = nk.Secret
		out.AdminKey = &k
		return writeJSON(env.Stdout, out)
	}
	if err := fields(env.Stdout,
		"tenant", t.ID.Format(convstore.PrefixTenant),
		"name", t.Name,
		"admin key id", nk.ID.Format(convstore.PrefixKey),
		"admin key", nk.Secret,
	); err != nil {
		return err
	}
	_, err = env.Stdout.Write([]byte("Store the admin key now: it cannot be shown again.\n"))
	return err
}

func tenantsList(ctx context.Context, env *Env, args []string) error {
	fs, sf := newStoreFlagSet(env, "tenants list [flags]", "List the store's tenants, oldest first.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos); err != nil {
		return err
	}
	if err := sf.cfg.validateStore(); err != nil {
		return err
	}
	store, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer store.Close()
	tenants, err := store.FindTenants(ctx)
	if err != nil {
		return err
	}
	if sf.json {
		ws := make([]tenantJSON, len(tenants))
		for i, t := range tenants {
			ws[i] = toTenantJSON(t)
		}
		return writeJSON(env.Stdout, wireList(ws, func(t tenantJSON) string { return t.ID }, false))
	}
	t := newTable(env.Stdout, "ID", "NAME", "CREATED")
	for _, tn := range tenants {
		t.row(tn.ID.Format(convstore.PrefixTenant), tn.Name, fmtTime(tn.CreatedAt.In(time.UTC)))
	}
	return t.flush(env.Stdout, false, "")
}
