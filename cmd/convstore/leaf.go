package main

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/client"
)

// leaf is one command of the command line, declared as data: its
// synopsis and help, its positional arguments, its flags, the call it
// makes and how it prints. Every leaf runs through one skeleton
// (leaf.command): flags, arguments and the ids among them, the leaf's own
// checks, the client (or, offline, the store), then the call.
type leaf struct {
	name    string
	summary string   // one line in the group's list of commands
	help    string   // what -h says; the summary when ""
	args    []string // the positional arguments' names, all required; an id's name is in idPrefixes
	// lastOptional makes the last of args optional.
	lastOptional bool
	// synopsis follows the command's name in the usage line, before
	// "[flags]"; the arguments' names when "".
	synopsis string
	// timeout is the default --timeout; defaultTimeout when 0, none when
	// noTimeout (uploads and downloads take as long as they take).
	timeout time.Duration

	// flags registers the leaf's own flags and returns the check of the
	// parsed command line, which returns the call to make.
	flags func(fs *flagSet) func(x *call) (clientCall, error)
	// run is the call of a leaf without flags of its own.
	run clientCall
	// offline is the body of a leaf that opens the store directly (--data,
	// --db) instead of calling a server (--url, --key).
	offline func(x *call, store convstore.Store) error
	// raw is the body of a leaf that takes the offline flags but works on
	// the store's files itself (backup, restore) instead of opening it.
	raw func(x *call) error
}

// clientCall is what a leaf does with a client of the server.
type clientCall func(x *call, c *client.Client) error

// noTimeout is a leaf's timeout for no --timeout by default.
const noTimeout = -1

// idPrefixes are the id prefixes of the positional arguments that are ids.
var idPrefixes = map[string]string{
	"CONVERSATION_ID": convstore.PrefixConversation,
	"MESSAGE_ID":      convstore.PrefixMessage,
	"ARTIFACT_ID":     convstore.PrefixArtifact,
	"DELETION_ID":     convstore.PrefixDeletion,
	"KEY_ID":          convstore.PrefixKey,
	"ERASURE_ID":      convstore.PrefixErasure,
	"WEBHOOK_ID":      convstore.PrefixWebhook,
	"DELIVERY_ID":     convstore.PrefixWebhookDelivery,
}

// call is a leaf's parsed command line, with what its body needs.
type call struct {
	ctx  context.Context
	env  *Env
	fs   *flagSet
	cf   *clientFlags   // nil offline
	sf   *storeFlags    // nil online
	args []string       // the positional arguments, one for each of leaf.args
	ids  []convstore.ID // the ids among them, in their places (zero elsewhere)
}

// group returns a command with the leaves as its subcommands.
func group(name, summary string, leaves ...*leaf) *command {
	g := &command{name: name, summary: summary}
	for _, l := range leaves {
		g.subs = append(g.subs, &command{name: l.name, summary: l.summary, run: l.command(name)})
	}
	return g
}

// topLevel returns the leaf as a command of its own, outside any group.
func (l *leaf) topLevel() *command {
	return &command{name: l.name, summary: l.summary, run: l.command("")}
}

// command returns the leaf's run function under group.
func (l *leaf) command(group string) func(ctx context.Context, env *Env, args []string) error {
	return func(ctx context.Context, env *Env, args []string) error {
		x := &call{ctx: ctx, env: env}
		if l.offline != nil || l.raw != nil {
			x.fs, x.sf = newStoreFlagSet(env, l.usage(group), l.helpText())
		} else {
			x.fs, x.cf = newClientFlagSet(env, l.usage(group), l.helpText(), l.defaultTimeout())
		}
		check := func(*call) (clientCall, error) { return l.run, nil }
		if l.flags != nil {
			check = l.flags(x.fs)
		}
		pos, err := x.fs.parse(args, env.Getenv)
		if err != nil {
			return err
		}
		names := l.args
		if l.lastOptional && len(pos) == len(names)-1 {
			names = names[:len(pos)]
		}
		if err := x.fs.wantArgs(pos, names...); err != nil {
			return err
		}
		x.args, x.ids = pos, make([]convstore.ID, len(pos))
		for i, name := range names {
			if prefix, ok := idPrefixes[name]; ok {
				what := strings.ToLower(strings.ReplaceAll(name, "_", " ")) // "conversation id"
				if x.ids[i], err = parseArgID(x.fs, prefix, what, pos[i]); err != nil {
					return err
				}
			}
		}
		if l.raw != nil {
			if err := x.sf.cfg.validateStore(); err != nil {
				return err
			}
			return l.raw(x)
		}
		if l.offline != nil {
			if err := x.sf.cfg.validateStore(); err != nil {
				return err
			}
			store, err := x.sf.open(ctx, env)
			if err != nil {
				return err
			}
			defer store.Close()
			return l.offline(x, store)
		}
		run, err := check(x)
		if err != nil {
			return err
		}
		c, err := x.cf.client(x.fs)
		if err != nil {
			return err
		}
		return run(x, c)
	}
}

// usage is the leaf's usage line under group.
func (l *leaf) usage(group string) string {
	synopsis := l.synopsis
	if synopsis == "" {
		synopsis = strings.Join(l.args, " ")
	}
	return strings.Join(strings.Fields(group+" "+l.name+" "+synopsis+" [flags]"), " ")
}

func (l *leaf) helpText() string {
	if l.help == "" {
		return l.summary
	}
	return l.help
}

func (l *leaf) defaultTimeout() time.Duration {
	switch l.timeout {
	case 0:
		return defaultTimeout
	case noTimeout:
		return 0
	}
	return l.timeout
}

// json reports whether --json was given.
func (x *call) json() bool {
	if x.sf != nil {
		return x.sf.json
	}
	return x.cf.json
}

// print writes wire as indented JSON under --json, else what text writes.
func (x *call) print(wire any, text func(w io.Writer) error) error {
	if x.json() {
		return writeJSON(x.env.Stdout, wire)
	}
	return text(x.env.Stdout)
}

// printList writes a page of items: under --json as the API's list object
// of their wire forms, else as a table with the header, one row an item
// (its id first), and the --after hint when more follow.
func printList[T, W any](x *call, items []T, more bool, toWire func(T) W, wireID func(W) string, header []string, row func(T) []string) error {
	if x.json() {
		ws := make([]W, len(items))
		for i, it := range items {
			ws[i] = toWire(it)
		}
		return writeJSON(x.env.Stdout, wireList(ws, wireID, more))
	}
	t := newTable(x.env.Stdout, header...)
	last := ""
	for _, it := range items {
		cols := row(it)
		last = cols[0]
		t.row(cols...)
	}
	return t.flush(x.env.Stdout, more, last)
}

// printDeleted confirms the delete of a message or an artifact.
func (x *call) printDeleted(id, object string) error {
	return x.print(api.Deleted{ID: id, Object: object, Deleted: true}, func(w io.Writer) error {
		_, err := io.WriteString(w, "deleted "+id+"\n")
		return err
	})
}
