package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doors"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/metrics"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
)

// families is one scrape, parsed.
type families map[string]*dto.MetricFamily

// scrape GETs /metrics from the handler's server and parses it.
func scrape(t *testing.T, url string) families {
	t.Helper()
	resp, err := http.Get(url + metrics.PathMetrics)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	return fams
}

// value returns the value of the series of name whose labels include
// want (pairs of name and value): a counter's or gauge's value, a
// histogram's count. It fails the test unless exactly one series matches.
func (f families) value(t *testing.T, name string, want ...string) float64 {
	t.Helper()
	m := f.series(t, name, want...)
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	t.Fatalf("%s: unexpected metric type", name)
	return 0
}

func (f families) series(t *testing.T, name string, want ...string) *dto.Metric {
	t.Helper()
	fam, ok := f[name]
	if !ok {
		t.Fatalf("no metric %s in the scrape", name)
	}
	var found []*dto.Metric
	for _, m := range fam.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(want); i += 2 {
			match = match && labels[want[i]] == want[i+1]
		}
		if match {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d series of %s with labels %v, want 1; the family: %v", len(found), name, want, fam)
	}
	return found[0]
}

// labelValues returns every label value of every series in the scrape.
func (f families) labelValues() []string {
	var out []string
	for _, fam := range f {
		for _, m := range fam.Metric {
			for _, l := range m.Label {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}

// TestMetricsAfterTraffic serves the main listener's doors with metrics
// over SQLite, sends real requests, scrapes /metrics and checks the
// series.
func TestMetricsAfterTraffic(t *testing.T) {
	t.Parallel()
	env := doortest.New(t)
	met := metrics.New(nil)
	met.Instrument(env.Store)
	cfg := env.Config()
	cfg.Store = met.Store(env.Store)
	cfg.Observer = met
	cfg.RateLimits = convhttp.RateLimits{AuthFailure: convhttp.RateLimit{Rate: 0.001, Burst: 1}}
	api := httptest.NewServer(doors.NewMainServer(cfg).Handler())
	t.Cleanup(api.Close)
	mts := httptest.NewServer(met.Handler(false))
	t.Cleanup(mts.Close)
	c := &doortest.Client{TB: t, URL: api.URL}
	auth := []string{"Authorization", "Bearer " + env.KeyA}
	ctx := context.Background()

	// A conversation of 3 messages, an artifact and a 5-byte attachment,
	// deleted through the native door.
	r := c.Do("POST", "/v1/conversations", map[string]any{"title": "three", "messages": []map[string]any{
		{"role": "user", "content": "one"}, {"role": "assistant", "content": "two"}, {"role": "user", "content": "three"}}}, auth...)
	doortest.Expect(t, r, 201, "application/json")
	rawID := r.Map(t)["id"].(string)
	id, err := convstore.ParseID(convstore.PrefixConversation, "id", rawID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.CreateArtifact(ctx, env.TenantA, id, &convstore.ArtifactCreate{Type: convstore.ArtifactSummary, Text: "sum"}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.PutAttachment(ctx, env.TenantA, id, &convstore.AttachmentPut{Name: "a.txt", ContentType: "text/plain", Body: strings.NewReader("12345")}); err != nil {
		t.Fatal(err)
	}
	if r := c.Do("DELETE", "/v1/conversations/"+rawID, nil, auth...); r.Status != 200 {
		t.Fatalf("native delete: %v", r)
	}
	if r := c.Do("GET", "/v1/conversations/"+rawID, nil, auth...); r.Status != 404 {
		t.Fatalf("read after delete: %v", r)
	}

	// Two messages deleted through Symbl, after one deleted on its own
	// through the native door.
	conv, msgs, err := env.Store.CreateConversation(ctx, env.TenantA, &convstore.ConversationCreate{Title: "two", Messages: []*convstore.MessageCreate{
		{Role: convstore.RoleUser, Content: "a"}, {Role: convstore.RoleUser, Content: "b"}, {Role: convstore.RoleUser, Content: "c"}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Do("DELETE", "/v1/conversations/"+conv.ID.Format(convstore.PrefixConversation)+"/messages/"+msgs[0].ID.Format(convstore.PrefixMessage), nil, auth...); r.Status != 204 && r.Status != 200 {
		t.Fatalf("message delete: %v", r)
	}
	if r := c.Do("DELETE", "/compat/symbl/v1/conversations/"+strconv.FormatInt(conv.Seq, 10), nil, auth...); r.Status != 200 {
		t.Fatalf("symbl delete: %v", r)
	}

	// A path no route matches, then a rate-limited authentication failure.
	c.Do("GET", "/v1/no-such-route-xyzzy", nil)
	if r := c.Do("GET", "/v1/conversations", nil, "Authorization", "Bearer csk_wrongwrongwrongwrong"); r.Status != 401 {
		t.Fatalf("bad key: %v", r)
	}
	if r := c.Do("GET", "/v1/conversations", nil, "Authorization", "Bearer csk_wrongwrongwrongwrong"); r.Status != 429 {
		t.Fatalf("second bad key: %v", r)
	}

	f := scrape(t, mts.URL)
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"convstore_conversation_deletes_total", []string{"door", "native"}, 1},
		{"convstore_conversation_deleted_messages_total", []string{"door", "native"}, 3},
		{"convstore_conversation_deleted_artifacts_total", []string{"door", "native"}, 1},
		{"convstore_conversation_deleted_attachments_total", []string{"door", "native"}, 1},
		{"convstore_conversation_deleted_attachment_bytes_total", []string{"door", "native"}, 5},
		{"convstore_conversation_delete_messages", []string{"door", "native"}, 1},
		{"convstore_conversation_deletes_total", []string{"door", "symbl"}, 1},
		{"convstore_conversation_deleted_messages_total", []string{"door", "symbl"}, 2},
		{"convstore_record_deletes_total", []string{"door", "native", "kind", "message"}, 1},
		{"convstore_http_requests_total", []string{"door", "native", "route", "DELETE /v1/conversations/{conversation_id}", "method", "DELETE", "status", "200"}, 1},
		{"convstore_http_requests_total", []string{"door", "native", "route", "GET /v1/conversations/{conversation_id}", "status", "404"}, 1},
		{"convstore_http_requests_total", []string{"door", "symbl", "route", "DELETE /compat/symbl/v1/conversations/{conversationId}", "status", "200"}, 1},
		{"convstore_http_requests_total", []string{"door", "native", "route", "unmatched", "method", "GET", "status", "404"}, 1},
		{"convstore_http_requests_total", []string{"route", "GET /v1/conversations", "status", "401"}, 1},
		{"convstore_http_requests_total", []string{"route", "GET /v1/conversations", "status", "429"}, 1},
		{"convstore_http_request_duration_seconds", []string{"door", "native", "route", "DELETE /v1/conversations/{conversation_id}"}, 1},
		{"convstore_rate_limited_total", []string{"kind", "auth_failure"}, 1},
		{"convstore_blob_removals_queued", nil, 0},
		{"convstore_blob_removals_due", nil, 0},
	} {
		if got := f.value(t, tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	if sum := f.series(t, "convstore_conversation_delete_messages", "door", "native").Histogram.GetSampleSum(); sum != 3 {
		t.Errorf("messages per native delete: sum %v, want 3", sum)
	}
	// Every write waited for the writer: creates, deletes, the upload.
	if n := f.value(t, "convstore_sqlite_writer_wait_seconds"); n < 5 {
		t.Errorf("sqlite writer waits observed: %v, want at least 5", n)
	}
	if _, ok := f["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
	if _, ok := f["convstore_pg_pool_total_conns"]; ok {
		t.Error("PostgreSQL pool metrics on a SQLite store")
	}
	for _, v := range f.labelValues() {
		if strings.Contains(v, rawID) || strings.Contains(v, "xyzzy") || strings.Contains(v, strconv.FormatInt(conv.Seq, 10)+"\"") {
			t.Errorf("label value %q holds a raw path", v)
		}
	}
}

// fakeSweeper returns its results in turn.
type fakeSweeper struct {
	results []int
	errs    []error
}

func (s *fakeSweeper) SweepBlobs(ctx context.Context) (int, error) {
	n, err := s.results[0], s.errs[0]
	s.results, s.errs = s.results[1:], s.errs[1:]
	return n, err
}

func TestSweeperMetrics(t *testing.T) {
	t.Parallel()
	met := metrics.New(nil)
	mts := httptest.NewServer(met.Handler(false))
	t.Cleanup(mts.Close)
	s := &fakeSweeper{results: []int{2, 0, 1}, errs: []error{nil, nil, errors.New("blob store unreachable")}}
	logger := doortest.New(t).Config().Logger
	for range 3 {
		met.Sweep(context.Background(), s, logger)
	}
	f := scrape(t, mts.URL)
	for name, want := range map[string]float64{
		"convstore_blob_sweeps_total":         3,
		"convstore_blob_sweep_removals_total": 3,
		"convstore_blob_sweep_failures_total": 1,
	} {
		if got := f.value(t, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

func TestPProfOnlyWhenEnabled(t *testing.T) {
	t.Parallel()
	met := metrics.New(nil)
	for _, on := range []bool{false, true} {
		ts := httptest.NewServer(met.Handler(on))
		resp, err := http.Get(ts.URL + metrics.PathPProf + "cmdline")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := map[bool]int{false: 404, true: 200}[on]; resp.StatusCode != want {
			t.Errorf("pprof %v: status %d, want %d", on, resp.StatusCode, want)
		}
		ts.Close()
	}
}

// TestPostgresMetrics checks the pool and queue series of a PostgreSQL
// store.
func TestPostgresMetrics(t *testing.T) {
	t.Parallel()
	db := pgtest.OpenNode(t, pgtest.NewSchema(t), pgtest.NodeOptions{Driver: postgres.Options{MaxConns: 3}})
	met := metrics.New(nil)
	met.Instrument(db.Service) // the blob-removal queue, and the driver's pool
	mts := httptest.NewServer(met.Handler(false))
	t.Cleanup(mts.Close)
	ctx := context.Background()
	tenant, _, err := db.CreateTenant(ctx, "t", convstore.DeleteParams{Door: "test"})
	if err != nil {
		t.Fatal(err)
	}
	conv, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Title: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{Name: "a", ContentType: "text/plain", Body: strings.NewReader("abc")}); err != nil {
		t.Fatal(err)
	}
	f := scrape(t, mts.URL)
	if got := f.value(t, "convstore_pg_pool_max_conns"); got != 3 {
		t.Errorf("max conns %v, want 3", got)
	}
	if got := f.value(t, "convstore_pg_pool_total_conns"); got < 1 || got > 3 {
		t.Errorf("total conns %v, want 1 to 3", got)
	}
	if got := f.value(t, "convstore_pg_pool_acquires_total"); got < 3 {
		t.Errorf("acquires %v, want at least 3", got)
	}
	for _, name := range []string{"convstore_pg_pool_acquired_conns", "convstore_pg_pool_idle_conns", "convstore_pg_pool_acquire_duration_seconds_total",
		"convstore_pg_pool_empty_acquires_total", "convstore_pg_pool_canceled_acquires_total", "convstore_blob_removals_due", "convstore_blob_removals_queued"} {
		f.value(t, name)
	}
	if _, ok := f["convstore_sqlite_writer_wait_seconds"]; ok {
		t.Error("SQLite writer metrics on a PostgreSQL store")
	}
}

// fakeBacklog is a store whose sweeper counted open confirmations.
type fakeBacklog struct{ b []driver.ProcessorBacklog }

func (f fakeBacklog) ConfirmationBacklog() []driver.ProcessorBacklog { return f.b }

// TestConfirmationMetrics reports what the sweeper counted, per
// processor and state.
func TestConfirmationMetrics(t *testing.T) {
	t.Parallel()
	met := metrics.New(nil)
	met.Instrument(fakeBacklog{b: []driver.ProcessorBacklog{{Processor: "analytics", Pending: 3, Overdue: 1}, {Processor: "vector-index", Pending: 2}}})
	mts := httptest.NewServer(met.Handler(false))
	t.Cleanup(mts.Close)
	f := scrape(t, mts.URL)
	for _, c := range []struct {
		processor, state string
		want             float64
	}{{"analytics", "pending", 3}, {"analytics", "overdue", 1}, {"vector-index", "pending", 2}, {"vector-index", "overdue", 0}} {
		if got := f.value(t, "convstore_confirmations", "processor", c.processor, "state", c.state); got != c.want {
			t.Errorf("convstore_confirmations{processor=%q,state=%q} = %v, want %v", c.processor, c.state, got, c.want)
		}
	}
}
