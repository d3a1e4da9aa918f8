package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
)

// serveChildEnv, set, makes the test binary the convstore server: it runs
// serve with its arguments, as `convstore serve` does, on a clock moved by
// the duration written in the file the variable names (if there is one),
// so that a test can let a deadline pass while the server is down.
const serveChildEnv = "CONVSTORE_TEST_SERVE_CHILD"

// relayHangSuffix, appended to the clock file's name, names a file whose
// presence makes the server process's event relay stop for good after
// its first publication, before it marks anything delivered.
const relayHangSuffix = ".relay-hang"

func TestMain(m *testing.M) {
	if clockFile := os.Getenv(serveChildEnv); clockFile != "" {
		os.Exit(serveChild(clockFile))
	}
	os.Exit(m.Run())
}

// serveChild is main for a server process of a test.
func serveChild(clockFile string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	if b, err := os.ReadFile(clockFile); err == nil {
		offset, err := time.ParseDuration(strings.TrimSpace(string(b)))
		if err != nil {
			fmt.Fprintln(os.Stderr, "clock offset:", err)
			return 1
		}
		m.Config.now = func() time.Time { return time.Now().Add(offset) }
	}
	if _, err := os.Stat(clockFile + relayHangSuffix); err == nil {
		// Published, never marked delivered: the window a kill -9 of a
		// relaying server may fall in.
		m.Config.relayAfterPublish = func([]*convstore.Event) error { select {} }
	}
	if err := serveMain(ctx, NewEnv(), os.Args[1:], m); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// serverProc is a convstore server running as a process of its own, for
// tests that kill it (SIGKILL) and start it again on the same store.
type serverProc struct {
	cmd    *exec.Cmd
	out    *syncBuffer
	url    string
	exited chan struct{}
}

var listeningURL = regexp.MustCompile(`url=(http://127\.0\.0\.1:[0-9]+)`)

// startProc starts a server process with args (after --addr) and the
// bootstrap key, and waits until it listens. clockFile names the file of
// its clock's offset (see serveChildEnv).
func startProc(t *testing.T, clockFile string, args ...string) *serverProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), serveChildEnv+"="+clockFile, "CONVSTORE_BOOTSTRAP_KEY="+testKey)
	p := &serverProc{cmd: cmd, out: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.kill(t) })
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if m := listeningURL.FindStringSubmatch(p.out.String()); m != nil {
			p.url = m[1]
			return p
		}
		select {
		case <-p.exited:
			t.Fatalf("the server process exited before it listened:\n%s", p.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server process never listened:\n%s", p.out)
		}
	}
}

// client returns a client of the process with the admin key.
func (p *serverProc) client() *client.Client { return client.New(p.url, testKey) }

// kill kills the process with SIGKILL, as a crash or the OOM killer does,
// and waits for it to be gone.
func (p *serverProc) kill(t *testing.T) {
	t.Helper()
	select {
	case <-p.exited:
		return
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Errorf("SIGKILL: %v", err)
	}
	<-p.exited
}

// stop stops the process gracefully (SIGTERM) and waits for it.
func (p *serverProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.exited:
	case <-time.After(time.Minute):
		t.Fatalf("the server did not stop on SIGTERM:\n%s", p.out)
	}
}

// waitUntil polls cond every 20 ms until it holds or d has passed.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
	}
}
