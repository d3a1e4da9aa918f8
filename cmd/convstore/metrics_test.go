package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/convstore/convstore"
)

// get returns the status and body of a GET.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestServeMetrics runs the server with a metrics listener and profiles,
// and checks what each listener serves.
func TestServeMetrics(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "--metrics-addr", "127.0.0.1:0", "--pprof", "--sweep-interval", "20ms")
	metricsURL := "http://" + ts.m.MetricsAddr()
	ctx := context.Background()
	c := ts.client()
	conv, _, err := c.CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{Title: "m", Messages: []*convstore.MessageCreate{
		{Role: convstore.RoleUser, Content: "a"}, {Role: convstore.RoleUser, Content: "b"}, {Role: convstore.RoleUser, Content: "c"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteConversation(ctx, convstore.ID{}, conv.ID, convstore.DeleteParams{}); err != nil {
		t.Fatal(err)
	}

	status, body := get(t, metricsURL+"/metrics")
	if status != 200 {
		t.Fatalf("/metrics: %d", status)
	}
	wantContains(t, "/metrics", body,
		`convstore_conversation_deleted_messages_total{door="native"} 3`,
		`convstore_http_requests_total{door="native",method="POST",route="POST /v1/conversations",status="201"} 1`,
		`convstore_sqlite_writer_wait_seconds_count`, `convstore_blob_removals_queued 0`,
		`convstore_rate_limited_total{kind="auth_failure"} 0`,
	)
	// The sweeper runs through the counting loop.
	waitFor(t, "a counted sweep", func() bool {
		_, body := get(t, metricsURL+"/metrics")
		return strings.Contains(body, "convstore_blob_sweeps_total ") && !strings.Contains(body, "convstore_blob_sweeps_total 0")
	})
	if status, _ := get(t, metricsURL+"/debug/pprof/cmdline"); status != 200 {
		t.Errorf("pprof with --pprof: %d", status)
	}
	// Neither is on the API listener.
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/cmdline"} {
		if status, _ := get(t, ts.m.URL()+path); status != 404 {
			t.Errorf("API listener serves %s: %d", path, status)
		}
	}

	// Without --pprof the metrics listener has no profiles.
	plain := startServer(t, "--metrics-addr", "127.0.0.1:0")
	if status, _ := get(t, "http://"+plain.m.MetricsAddr()+"/debug/pprof/cmdline"); status != 404 {
		t.Errorf("pprof without --pprof: %d", status)
	}
	// Without --metrics-addr there is no metrics listener.
	if none := startServer(t); none.m.MetricsAddr() != "" {
		t.Errorf("metrics listener without --metrics-addr: %s", none.m.MetricsAddr())
	}
}

func TestMetricsFlagsValidated(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--pprof"}, {"--metrics-addr", "nope"}} {
		m := NewMain()
		m.Stderr = &syncBuffer{}
		if err := m.ParseFlags(args, nil); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	m := NewMain()
	m.Stderr = &syncBuffer{}
	if err := m.ParseFlags(nil, mapEnv(map[string]string{"CONVSTORE_METRICS_ADDR": "127.0.0.1:9464", "CONVSTORE_PPROF": "true"})); err != nil {
		t.Fatal(err)
	}
	if m.Config.MetricsAddr != "127.0.0.1:9464" || !m.Config.PProf {
		t.Fatalf("from the environment: %q %v", m.Config.MetricsAddr, m.Config.PProf)
	}
}
