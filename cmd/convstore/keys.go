package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

func keysCommand() *command {
	return &command{
		name:    "keys",
		summary: "Create, list and revoke API keys of your tenant (needs an admin key).",
		subs: []*command{
			{name: "create", summary: "Create an API key; its secret is printed once.", run: keysCreate},
			{name: "list", summary: "List API keys, oldest first.", run: keysList},
			{name: "revoke", summary: "Revoke an API key at once.", run: keysRevoke},
		},
	}
}

func keysCreate(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "keys create --scope SCOPE [flags]",
		"Create an API key. The secret is printed once and cannot be shown again.")
	var name string
	var scopes stringList
	fs.StringVar(&name, "name", "", "a `name` to recognise the key by")
	fs.Var(&scopes, "scope", "a `scope`: read, write, delete or admin (repeatable or comma-separated)")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos); err != nil {
		return err
	}
	in := convstore.KeyCreate{Name: name}
	for _, s := range scopes {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				in.Scopes = append(in.Scopes, convstore.Scope(p))
			}
		}
	}
	if len(in.Scopes) == 0 {
		return usageErrorf(fs, "--scope is required (read, write, delete or admin)")
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	k, err := c.CreateKey(ctx, convstore.ID{}, &in, convstore.DeleteParams{})
	if err != nil {
		return err
	}
	if cf.json {
		w := api.FromAPIKey(&k.APIKey)
		w.Secret = k.Secret
		return writeJSON(env.Stdout, w)
	}
	if err := fields(env.Stdout,
		"id", k.ID.Format(convstore.PrefixKey),
		"name", orDash(k.Name),
		"scopes", fmtScopes(k.Scopes),
		"secret", k.Secret,
	); err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.Stdout, "Store the secret now: it cannot be shown again.")
	return err
}

func keysList(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "keys list [flags]", "List your tenant's API keys, oldest first. Secrets are never shown.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos); err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	keys, err := c.FindKeys(ctx, convstore.ID{})
	if err != nil {
		return err
	}
	if cf.json {
		ws := make([]api.APIKey, len(keys))
		for i, k := range keys {
			ws[i] = api.FromAPIKey(k)
		}
		return writeJSON(env.Stdout, wireList(ws, func(k api.APIKey) string { return k.ID }, false))
	}
	t := newTable(env.Stdout, "ID", "NAME", "PREFIX", "SCOPES", "CREATED", "LAST USED")
	for _, k := range keys {
		lastUsed := "-"
		if k.LastUsedAt != nil {
			lastUsed = fmtTime(*k.LastUsedAt)
		}
		t.row(k.ID.Format(convstore.PrefixKey), orDash(k.Name), k.Prefix, fmtScopes(k.Scopes), fmtTime(k.CreatedAt), lastUsed)
	}
	return t.flush(env.Stdout, false, "")
}

func keysRevoke(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "keys revoke KEY_ID [flags]", "Revoke an API key at once. The tenant's last admin key cannot be revoked.")
	pos, err := fs.parse(args, env.Getenv)
	if err != nil {
		return err
	}
	if err := fs.wantArgs(pos, "KEY_ID"); err != nil {
		return err
	}
	id, err := parseArgID(fs, convstore.PrefixKey, "key id", pos[0])
	if err != nil {
		return err
	}
	c, err := cf.client(fs)
	if err != nil {
		return err
	}
	if err := c.DeleteKey(ctx, convstore.ID{}, id, convstore.DeleteParams{}); err != nil {
		return err
	}
	if cf.json {
		return writeJSON(env.Stdout, api.Deleted{ID: id.Format(convstore.PrefixKey), Object: api.ObjectAPIKeyDeleted, Deleted: true})
	}
	_, err = fmt.Fprintf(env.Stdout, "revoked %s\n", id.Format(convstore.PrefixKey))
	return err
}

func fmtScopes(scopes []convstore.Scope) string {
	s := make([]string, len(scopes))
	for i, sc := range scopes {
		s[i] = string(sc)
	}
	return strings.Join(s, ",")
}
