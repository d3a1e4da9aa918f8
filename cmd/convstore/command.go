package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed (server error, I/O, bad config)
	exitUsage = 2 // the command line is wrong
)

// command is a node of the command tree: a group with subcommands or a
// leaf with a run function.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
	subs    []*command
}

// usageError is a malformed command line; Run prints it with the usage of
// the command at fault and exits 2.
type usageError struct {
	msg   string
	usage func(io.Writer)
}

func (e *usageError) Error() string { return e.msg }

// usageErrorf returns a usage error of the command whose flags are fs.
func usageErrorf(fs *flagSet, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), usage: fs.printUsage}
}

// root returns the command tree.
func root() *command {
	return &command{
		name:    "convstore",
		summary: "convstore stores conversations, their messages, derived artifacts and recordings, and deletes them for good.",
		subs: []*command{
			serveCommand(),
			conversationsCommand(),
			messagesCommand(),
			artifactsCommand(),
			attachmentsCommand(),
			deletionsCommand(),
			eraseCommand(),
			erasuresCommand(),
			auditCommand(),
			webhooksCommand(),
			keysCommand(),
			processorsCommand(),
			corsCommand(),
			tenantsCommand(),
			backupCommand(),
			restoreCommand(),
			forensicCommand(),
			{name: "help", summary: "Show help for a command: convstore help [COMMAND [SUBCOMMAND]]."},
		},
	}
}

// Run runs the command line args (without the program name) and returns
// the process exit code: 0 on success, 1 when the command failed, 2 for a
// usage error.
func Run(ctx context.Context, args []string, env *Env) int {
	return exitCode(env.Stderr, root().dispatch(ctx, env, []string{"convstore"}, args))
}

// dispatch finds the subcommand named by args[0] and runs it.
func (c *command) dispatch(ctx context.Context, env *Env, path, args []string) error {
	if c.run != nil {
		return c.run(ctx, env, args)
	}
	if len(args) == 0 {
		return &usageError{msg: "missing command", usage: c.usageFunc(path)}
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		c.printUsage(env.Stdout, path)
		return nil
	case "help":
		if len(path) == 1 {
			return c.help(env.Stdout, path, args[1:])
		}
		c.printUsage(env.Stdout, path)
		return nil
	}
	for _, s := range c.subs {
		if s.name == name && (s.run != nil || s.subs != nil) {
			return s.dispatch(ctx, env, append(path, name), args[1:])
		}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", name), usage: c.usageFunc(path)}
}

// help prints the usage of the command named by args.
func (c *command) help(w io.Writer, path, args []string) error {
	cur := c
	for _, a := range args {
		var next *command
		for _, s := range cur.subs {
			if s.name == a {
				next = s
			}
		}
		if next == nil {
			return &usageError{msg: fmt.Sprintf("unknown command %q", a), usage: cur.usageFunc(path)}
		}
		cur, path = next, append(path, a)
	}
	if cur.run != nil {
		// Leaves print their own flags when asked for -h.
		return exitErr(cur.run(context.Background(), &Env{Stdout: w, Stderr: w}, []string{"-h"}))
	}
	cur.printUsage(w, path)
	return nil
}

// exitErr turns the flag.ErrHelp a leaf returns for -h into success.
func exitErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func (c *command) usageFunc(path []string) func(io.Writer) {
	return func(w io.Writer) { c.printUsage(w, path) }
}

// printUsage lists a group's subcommands.
func (c *command) printUsage(w io.Writer, path []string) {
	fmt.Fprintf(w, "Usage: %s COMMAND [flags]\n\n%s\n\nCommands:\n", strings.Join(path, " "), c.summary)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, s := range c.subs {
		fmt.Fprintf(tw, "  %s\t%s\n", s.name, s.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun \"%s COMMAND -h\" for a command's flags.\n", strings.Join(path, " "))
}

// exitCode prints err to stderr and returns the exit code.
func exitCode(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "convstore: %s\n\n", termSafe(ue.msg))
		if ue.usage != nil {
			ue.usage(stderr)
		}
		return exitUsage
	}
	printError(stderr, err)
	return exitError
}

// printError writes a failed command's error: for a server error its
// detail, code, field, status and request id, one per line, each through
// termSafe (a server, or a proxy before it, chooses that text).
func printError(stderr io.Writer, err error) {
	var p *api.Problem
	if errors.As(err, &p) {
		fmt.Fprintf(stderr, "convstore: error: %s\n", termSafe(p.Detail))
		fmt.Fprintf(stderr, "  code: %s\n", termSafe(p.Code))
		if p.Field != "" {
			fmt.Fprintf(stderr, "  field: %s\n", termSafe(p.Field))
		}
		fmt.Fprintf(stderr, "  status: %d\n", p.Status)
		if p.RequestID != "" {
			fmt.Fprintf(stderr, "  request id: %s\n", termSafe(p.RequestID))
		}
		return
	}
	var ce *convstore.Error
	if errors.As(err, &ce) {
		fmt.Fprintf(stderr, "convstore: error: %s\n  code: %s\n", termSafe(ce.Message), termSafe(ce.Code))
		if ce.Field != "" {
			fmt.Fprintf(stderr, "  field: %s\n", termSafe(ce.Field))
		}
		return
	}
	fmt.Fprintf(stderr, "convstore: error: %s\n", termSafe(err.Error()))
}
