package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
	"github.com/convstore/convstore/natsrelay/natstest"
)

func TestKillNATSSQLite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testKillNATS(t, dir, sqliteKillStore(t, dir))
}

func TestKillNATSPostgres(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	testKillNATS(t, dir, postgresKillStore(t, dir))
}

// testKillNATS kills (SIGKILL) a server that relays its events to NATS
// JetStream twice: first after deletes committed while its NATS server
// was out of reach (nothing published), then right after more deletes,
// while its relay publishes them (some published and not yet marked,
// most likely). Restarted with NATS, past the killed relay's leases, it
// publishes the rest: the stream holds every event of the outbox exactly
// once, with its id as message id, and the outbox has them all delivered.
func testKillNATS(t *testing.T, dir string, st *killStore) {
	stream := natstest.NewStream(t) // skips without a NATS server
	ctx := context.Background()
	clockFile := filepath.Join(dir, "clock")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "nats://" + ln.Addr().String()
	ln.Close()
	args := func(url string) []string {
		return append(append([]string{}, st.args...), "--nats-url", url, "--nats-stream", stream.Name,
			"--nats-subject-prefix", stream.Prefix)
	}

	p := startProc(t, clockFile, args(unreachable)...)
	c := p.client()
	convs := createKillConvs(t, c, "nats", 8)
	for _, conv := range convs[:4] {
		if _, err := c.DeleteConversation(ctx, convstore.ID{}, conv.id, convstore.DeleteParams{}); err != nil {
			t.Fatal(err)
		}
	}
	p.kill(t)
	if n := stream.Count(t); n != 0 {
		t.Fatalf("%d messages published with NATS out of reach", n)
	}

	// A minute later (the killed relay's leases have ended), reachable;
	// the relay stops after publishing its first claim, before marking
	// it: killed then.
	if err := os.WriteFile(clockFile, []byte("1m"), 0o600); err != nil {
		t.Fatal(err)
	}
	hang := clockFile + relayHangSuffix
	if err := os.WriteFile(hang, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p = startProc(t, clockFile, args(natstest.URL(t))...)
	c = p.client()
	for _, conv := range convs[4:] {
		if _, err := c.DeleteConversation(ctx, convstore.ID{}, conv.id, convstore.DeleteParams{}); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, time.Minute, "the relay to publish", func() bool { return stream.Count(t) > 0 })
	p.kill(t)
	// Nothing was marked delivered: the hang comes before any marking.
	t.Logf("killed with %d events published and none marked delivered", stream.Count(t))
	if err := os.Remove(hang); err != nil {
		t.Fatal(err)
	}

	// Another minute later: the killed relay's leases have ended.
	if err := os.WriteFile(clockFile, []byte("2m"), 0o600); err != nil {
		t.Fatal(err)
	}
	p = startProc(t, clockFile, args(natstest.URL(t))...)
	c = p.client()
	var events []*convstore.Event
	waitUntil(t, 2*time.Minute, "every event (8 deletes, 8 purges) to be published", func() bool {
		events = allKillEvents(t, c)
		types := map[string]int{}
		for _, e := range events {
			if e.DeliveredAt == nil {
				return false
			}
			types[e.Type]++
		}
		return types[convstore.EventConversationDeleted] == 8 && types[convstore.EventConversationPurged] == 8
	})
	p.stop(t)
	msgs := stream.Messages(t)
	if len(msgs) != len(events) {
		t.Errorf("stream holds %d messages, the outbox %d events", len(msgs), len(events))
	}
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.Headers().Get(jetstream.MsgIDHeader)]++
	}
	for _, e := range events {
		if id := e.ID.Format(convstore.PrefixEvent); seen[id] != 1 {
			t.Errorf("event %d %s (%s) is in the stream %d times, want once", e.Seq, e.Type, id, seen[id])
		}
	}
}

// allKillEvents reads every event of the server's default tenant.
func allKillEvents(t *testing.T, c *client.Client) []*convstore.Event {
	t.Helper()
	var out []*convstore.Event
	f := convstore.EventFilter{Limit: convstore.MaxPageLimit}
	for {
		page, more, err := c.FindEvents(context.Background(), convstore.ID{}, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if !more || len(page) == 0 {
			return out
		}
		f.After = page[len(page)-1].Seq
	}
}
