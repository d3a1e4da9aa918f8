// Command convstore-load attacks a running convstore server with slow and
// non-reading connections and prints what they cost it: its peak resident
// memory at rest, during the attack and after, when and how many abusive
// connections it cut off, and whether a well-behaved client kept being
// served meanwhile (successes and p50/p99 latency).
//
// It is a load command, not a test: run it by hand and read the figures.
//
//	go run ./cmd/convstore-load                          # builds and starts ./cmd/convstore
//	go run ./cmd/convstore-load --baseline-bin /tmp/old  # the same attack on another binary first, then on this one
//	go run ./cmd/convstore-load --pid 1234 --url http://127.0.0.1:8080 --key csk_…  # attach to a running server
//
// Every abusive scenario dials from its own loopback address (127.0.0.2,
// 127.0.0.3, …) and the well-behaved client from 127.0.0.1, so the
// server's per-address connection cap can tell them apart; Linux routes
// all of 127.0.0.0/8 to the loopback interface. Connections are watched in
// /proc/net/tcp: one is "cut" once the server's end of it is no longer
// established, which needs no cooperation from the client.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"
)

// options are the command line.
type options struct {
	serverBin   string // binary to start; "" builds ./cmd/convstore
	baselineBin string // another binary attacked first, for a ratio
	serverArgs  stringList
	pid         int    // attach to this process instead of starting one
	url, key    string // of the attached process

	rest, attack, after time.Duration
	counts              map[string]*int // per scenario
	attachmentMiB       int
	messages            int
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var o options
	fs := flag.NewFlagSet("convstore-load", flag.ExitOnError)
	fs.StringVar(&o.serverBin, "server-bin", "", "convstore binary to start (default: go build ./cmd/convstore)")
	fs.StringVar(&o.baselineBin, "baseline-bin", "", "also attack this binary first (e.g. built from an older commit) and print the ratios")
	fs.Var(&o.serverArgs, "server-arg", "extra flag for the started server's serve command (repeatable)")
	fs.IntVar(&o.pid, "pid", 0, "attach to this running server instead of starting one (with --url and --key)")
	fs.StringVar(&o.url, "url", "", "URL of the attached server")
	fs.StringVar(&o.key, "key", "", "admin API key of the attached server")
	fs.DurationVar(&o.rest, "rest", 5*time.Second, "well-behaved traffic alone, before the attack")
	fs.DurationVar(&o.attack, "attack", 45*time.Second, "how long the abusive connections are held (longer than the server's timeouts)")
	fs.DurationVar(&o.after, "after", 5*time.Second, "well-behaved traffic alone, after the abusive connections are closed")
	fs.IntVar(&o.attachmentMiB, "attachment-mib", 64, "size of the attachment the non-reading downloads fetch")
	fs.IntVar(&o.messages, "messages", 4000, "messages (1 KiB each) of the conversation the non-reading JSON GETs fetch")
	o.counts = map[string]*int{}
	for _, sc := range scenarios {
		o.counts[sc.name] = fs.Int(sc.name, sc.conns, "connections of the "+sc.name+" scenario: "+sc.what)
	}
	_ = fs.Parse(os.Args[1:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "convstore-load:", err)
		os.Exit(1)
	}
}

// run attacks the baseline binary if any, then the server under test, and
// prints each report and the ratios between them.
func run(ctx context.Context, o options) error {
	var base *report
	if o.baselineBin != "" {
		r, err := attackBinary(ctx, o, o.baselineBin, "baseline "+o.baselineBin)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		base = r
	}
	var r *report
	var err error
	switch {
	case o.pid != 0:
		if o.url == "" || o.key == "" {
			return fmt.Errorf("--pid needs --url and --key")
		}
		r, err = attack(ctx, o, &server{pid: o.pid, url: strings.TrimSuffix(o.url, "/"), key: o.key}, fmt.Sprintf("pid %d", o.pid))
	default:
		bin := o.serverBin
		if bin == "" {
			dir, err := os.MkdirTemp("", "convstore-load-bin")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			if bin, err = build(ctx, dir); err != nil {
				return err
			}
		}
		r, err = attackBinary(ctx, o, bin, "this build")
	}
	if err != nil {
		return err
	}
	if base != nil {
		printRatios(os.Stdout, base, r)
	}
	return nil
}

// attackBinary starts bin on a fresh data directory, attacks it and stops it.
func attackBinary(ctx context.Context, o options, bin, label string) (*report, error) {
	srv, err := start(ctx, bin, o.serverArgs)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	return attack(ctx, o, srv, label)
}
