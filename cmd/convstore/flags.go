package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// flagSet is a flag.FlagSet whose flags may fall back to CONVSTORE_*
// environment variables, and which accepts flags after positional
// arguments ("get conv_… --json").
type flagSet struct {
	*flag.FlagSet
	usageLine string // e.g. "convstore conversations get ID [flags]"
	summary   string
	env       map[string]string // flag name -> environment variable
}

// newFlagSet returns an empty flag set for one command.
func newFlagSet(name, usageLine, summary string, stderr io.Writer) *flagSet {
	fs := &flagSet{
		FlagSet:   flag.NewFlagSet(name, flag.ContinueOnError),
		usageLine: usageLine,
		summary:   summary,
		env:       map[string]string{},
	}
	fs.SetOutput(stderr)
	fs.Usage = func() { fs.printUsage(fs.Output()) }
	return fs
}

// bindEnv makes the environment variable envName the fallback of flag name.
func (fs *flagSet) bindEnv(name, envName string) {
	f := fs.Lookup(name)
	if f == nil {
		panic("convstore: bindEnv of undefined flag " + name)
	}
	fs.env[name] = envName
	f.Usage += " (env " + envName + ")"
}

// printUsage writes the command's usage line, summary and flags.
func (fs *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", fs.usageLine, fs.summary)
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintf(w, "\nFlags:\n")
			first = false
		}
		printFlag(w, f)
	})
}

// printFlag writes one flag as flag.PrintDefaults does, but with the two
// dashes the documentation uses.
func printFlag(w io.Writer, f *flag.Flag) {
	dashes := "--"
	if len(f.Name) == 1 {
		dashes = "-"
	}
	name, usage := flag.UnquoteUsage(f)
	line := "  " + dashes + f.Name
	if name != "" {
		line += " " + name
	}
	line += "\n    \t" + strings.ReplaceAll(usage, "\n", "\n    \t")
	if d := f.DefValue; d != "" && d != "0" && d != "0s" && d != "false" && d != "[]" {
		if fmt.Sprintf("%T", f.Value) == "*flag.stringValue" {
			d = strconv.Quote(d)
		}
		line += fmt.Sprintf(" (default %s)", d)
	}
	fmt.Fprintln(w, line)
}

// parse parses args, letting flags and positional arguments interleave
// ("--" ends the flags), then applies the environment to every bound flag
// not given on the command line. It returns the positional arguments.
// getenv may be nil.
func (fs *flagSet) parse(args []string, getenv func(string) string) ([]string, error) {
	var pos []string
	for {
		if err := fs.FlagSet.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageErrorf(fs, "%v", err)
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	if getenv == nil {
		return pos, nil
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, envName := range fs.env {
		v := getenv(envName)
		if set[name] || v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return nil, usageErrorf(fs, "invalid value %q of %s: %v", v, envName, err)
		}
	}
	return pos, nil
}

// isSet reports whether flag name was given on the command line.
func (fs *flagSet) isSet(name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

// wantArgs checks the number of positional arguments.
func (fs *flagSet) wantArgs(pos []string, names ...string) error {
	if len(pos) != len(names) {
		if len(names) == 0 {
			return usageErrorf(fs, "unexpected argument %q", pos[0])
		}
		return usageErrorf(fs, "want %d argument(s): %s; got %d", len(names), strings.Join(names, " "), len(pos))
	}
	return nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
