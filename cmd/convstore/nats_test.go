package main

import (
	"context"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/natsrelay/natstest"
)

func TestNATSFlagsValidated(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--nats-url", "127.0.0.1:4222"},
		{"--nats-url", "http://127.0.0.1:4222"},
		{"--nats-url", "nats://127.0.0.1:4222", "--nats-stream", "a.b"},
		{"--nats-url", "nats://127.0.0.1:4222", "--nats-stream", ""},
		{"--nats-url", "nats://127.0.0.1:4222", "--nats-subject-prefix", "events.>"},
		{"--nats-url", "nats://127.0.0.1:4222", "--nats-subject-prefix", "a..b"},
	} {
		m := NewMain()
		m.Stderr = &syncBuffer{}
		if err := m.ParseFlags(args, nil); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	m := NewMain()
	m.Stderr = &syncBuffer{}
	if err := m.ParseFlags(nil, mapEnv(map[string]string{"CONVSTORE_NATS_URL": "nats://a:4222,tls://b:4222",
		"CONVSTORE_NATS_STREAM": "EVENTS", "CONVSTORE_NATS_SUBJECT_PREFIX": "acme.convstore"})); err != nil {
		t.Fatal(err)
	}
	if c := m.Config.NATS; c.URL != "nats://a:4222,tls://b:4222" || c.Stream != "EVENTS" || c.SubjectPrefix != "acme.convstore" {
		t.Errorf("NATS settings from the environment: %+v", c)
	}
	if got := redactNATS("nats://user:secret@a:4222"); strings.Contains(got, "secret") {
		t.Errorf("redactNATS kept the password: %s", got)
	}
}

// TestServeNATS runs a server with --nats-url and metrics: a delete's
// event reaches the stream, and the metrics count it with no backlog.
func TestServeNATS(t *testing.T) {
	t.Parallel()
	stream := natstest.NewStream(t)
	ts := startServer(t, "--nats-url", natstest.URL(t), "--nats-stream", stream.Name, "--nats-subject-prefix", stream.Prefix,
		"--metrics-addr", "127.0.0.1:0")
	ctx := context.Background()
	c := ts.client()
	conv, _, err := c.CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{Messages: []*convstore.MessageCreate{
		{Role: convstore.RoleUser, Content: "a"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteConversation(ctx, convstore.ID{}, conv.ID, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delete's event in the stream", func() bool { return stream.Count(t) >= 1 })
	msgs := stream.Messages(t)
	if !strings.HasPrefix(msgs[0].Subject(), stream.Prefix+".ten_") || !strings.HasSuffix(msgs[0].Subject(), ".conversation.deleted") {
		t.Errorf("first message on %s, want %s.<tenant>.conversation.deleted", msgs[0].Subject(), stream.Prefix)
	}
	metricsURL := "http://" + ts.m.MetricsAddr() + "/metrics"
	waitFor(t, "the publication counted", func() bool {
		_, body := get(t, metricsURL)
		return !strings.Contains(body, "convstore_events_published_total 0") && strings.Contains(body, "convstore_events_published_total ")
	})
	_, body := get(t, metricsURL)
	wantContains(t, "/metrics", body, "convstore_event_publish_failures_total 0", "convstore_events_pruned_undelivered_total 0",
		"convstore_events_oldest_undelivered_age_seconds ")
}
