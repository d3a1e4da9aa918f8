// Package natstest gives tests a NATS JetStream server: the one at
// CONVSTORE_TEST_NATS_URL (required then: a test fails if it is out of
// reach), or else the local default, nats://127.0.0.1:4222, if it
// answers (a test skips, saying so, if it does not). Each test gets a
// stream and subject prefix of its own, deleted when it ends.
package natstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/convstore/convstore"
)

// EnvURL names the variable that makes the NATS tests mandatory.
const EnvURL = "CONVSTORE_TEST_NATS_URL"

// DefaultURL is tried when EnvURL is unset.
const DefaultURL = "nats://127.0.0.1:4222"

// URL returns the NATS server's URL for tb, skipping tb when no server is
// configured and the default one does not answer.
func URL(tb testing.TB) string {
	tb.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	host := "127.0.0.1:4222"
	if u, err := url.Parse(DefaultURL); err == nil {
		host = u.Host
	}
	c, err := net.DialTimeout("tcp", host, time.Second)
	if err != nil {
		tb.Skipf("NATS tests skipped: no NATS server at %s (%v); set %s to require one", DefaultURL, err, EnvURL)
	}
	c.Close()
	return DefaultURL
}

// Connect connects to the test server, closed when tb ends.
func Connect(tb testing.TB) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(URL(tb), nats.Timeout(5*time.Second))
	if err != nil {
		tb.Fatalf("connecting to NATS at %s: %v", URL(tb), err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// Stream is a test's stream name and subject prefix, unique to it, with
// a JetStream context to read it.
type Stream struct {
	Name, Prefix string
	JS           jetstream.JetStream
}

// NewStream names a stream and subject prefix unique to tb (the stream is
// created by whoever publishes first) and deletes the stream when tb
// ends.
func NewStream(tb testing.TB) *Stream {
	tb.Helper()
	js, err := jetstream.New(Connect(tb))
	if err != nil {
		tb.Fatal(err)
	}
	id := strings.ToLower(convstore.NewID().Base32())
	s := &Stream{Name: "CONVSTORE_TEST_" + strings.ToUpper(id), Prefix: "cstest" + id, JS: js}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := js.DeleteStream(ctx, s.Name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			tb.Logf("deleting NATS stream %s: %v", s.Name, err)
		}
	})
	return s
}

// Count returns how many messages the stream holds (0 if it is missing).
func (s *Stream) Count(tb testing.TB) int {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := s.JS.Stream(ctx, s.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return 0
	}
	if err != nil {
		tb.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return int(info.State.Msgs)
}

// Messages reads every message of the stream in stream order through an
// ordered consumer, as a subscriber would.
func (s *Stream) Messages(tb testing.TB) []jetstream.Msg {
	tb.Helper()
	n := s.Count(tb)
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := s.JS.OrderedConsumer(ctx, s.Name, jetstream.OrderedConsumerConfig{})
	if err != nil {
		tb.Fatal(err)
	}
	var out []jetstream.Msg
	for len(out) < n {
		batch, err := cons.Fetch(n-len(out), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			tb.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			out = append(out, m)
			got++
		}
		if err := batch.Error(); err != nil {
			tb.Fatal(err)
		}
		if got == 0 {
			tb.Fatal(fmt.Errorf("stream %s: read %d of %d messages, then none", s.Name, len(out), n))
		}
	}
	return out
}
