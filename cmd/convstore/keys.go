package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
)

func keysCommand() *command {
	return group("keys", "Create, list and revoke API keys of your tenant (needs an admin key); rotate the keyring's epochs (offline).",
		&leaf{name: "create", summary: "Create an API key; its secret is printed once.",
			help: "Create an API key. The secret is printed once and cannot be shown again.", synopsis: "--scope SCOPE", flags: keysCreate},
		&leaf{name: "list", summary: "List API keys, oldest first.",
			help: "List your tenant's API keys, oldest first. Secrets are never shown.", run: keysList},
		&leaf{name: "revoke", summary: "Revoke an API key at once.",
			help: "Revoke an API key at once. The tenant's last admin key cannot be revoked.", args: []string{"KEY_ID"}, run: keysRevoke},
		keysRotateLeaf,
		keysRotateIndexLeaf,
	)
}

func keysCreate(fs *flagSet) func(x *call) (clientCall, error) {
	var name string
	var scopes stringList
	fs.StringVar(&name, "name", "", "a `name` to recognise the key by")
	var processor string
	fs.Var(&scopes, "scope", "a `scope`: read, write, delete, admin, or confirm with --processor (repeatable or comma-separated)")
	fs.StringVar(&processor, "processor", "", "with --scope confirm: the processor `name` the key confirms for, and nothing else")
	return func(x *call) (clientCall, error) {
		in := convstore.KeyCreate{Name: name, Processor: processor}
		for _, s := range scopes {
			for _, p := range strings.Split(s, ",") {
				if p = strings.TrimSpace(p); p != "" {
					in.Scopes = append(in.Scopes, convstore.Scope(p))
				}
			}
		}
		if len(in.Scopes) == 0 {
			return nil, usageErrorf(fs, "--scope is required (read, write, delete or admin)")
		}
		return func(x *call, c *client.Client) error {
			k, err := c.CreateKey(x.ctx, convstore.ID{}, &in, convstore.DeleteParams{})
			if err != nil {
				return err
			}
			wire := api.FromAPIKey(&k.APIKey)
			wire.Secret = k.Secret
			return x.print(wire, func(w io.Writer) error {
				kv := []string{"id", k.ID.Format(convstore.PrefixKey), "name", orDash(k.Name), "scopes", fmtScopes(k.Scopes)}
				if k.Processor != "" { // a confirm key's
					kv = append(kv, "processor", k.Processor)
				}
				if err := fields(w, append(kv, "secret", k.Secret)...); err != nil {
					return err
				}
				_, err := fmt.Fprintln(w, "Store the secret now: it cannot be shown again.")
				return err
			})
		}, nil
	}
}

func keysList(x *call, c *client.Client) error {
	keys, err := c.FindKeys(x.ctx, convstore.ID{})
	if err != nil {
		return err
	}
	return printList(x, keys, false, api.FromAPIKey, func(k api.APIKey) string { return k.ID },
		[]string{"ID", "NAME", "PREFIX", "SCOPES", "CREATED", "LAST USED"}, func(k *convstore.APIKey) []string {
			lastUsed := "-"
			if k.LastUsedAt != nil {
				lastUsed = fmtTime(*k.LastUsedAt)
			}
			return []string{k.ID.Format(convstore.PrefixKey), orDash(k.Name), k.Prefix, fmtScopes(k.Scopes), fmtTime(k.CreatedAt), lastUsed}
		})
}

func keysRevoke(x *call, c *client.Client) error {
	id := x.ids[0]
	if err := c.DeleteKey(x.ctx, convstore.ID{}, id, convstore.DeleteParams{}); err != nil {
		return err
	}
	wire := api.Deleted{ID: id.Format(convstore.PrefixKey), Object: api.ObjectAPIKeyDeleted, Deleted: true}
	return x.print(wire, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "revoked %s\n", id.Format(convstore.PrefixKey))
		return err
	})
}

func fmtScopes(scopes []convstore.Scope) string {
	s := make([]string, len(scopes))
	for i, sc := range scopes {
		s[i] = string(sc)
	}
	return strings.Join(s, ",")
}
