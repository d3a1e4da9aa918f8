package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/sqlite"
)

// countingReceiver is a webhook endpoint that accepts everything at once
// and counts the requests.
func countingReceiver(b *testing.B) (string, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)
	return srv.URL, &n
}

// openWebhookService opens a SQLite service that may deliver to the
// loopback receiver.
func openWebhookService(b *testing.B) *service.Service {
	ctx := context.Background()
	dir := b.TempDir()
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	drv, err := sqlite.Open(ctx, filepath.Join(dir, "convstore.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	svc := service.New(drv, blobs, service.Options{Logger: slog.New(slog.DiscardHandler), WebhookAllowPrivate: true})
	b.Cleanup(func() { svc.Close() })
	return svc
}

// runWebhooks runs svc's delivery worker until the benchmark ends.
func runWebhooks(b *testing.B, svc *service.Service) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		svc.RunWebhooks(ctx)
	}()
	b.Cleanup(func() { cancel(); <-done })
}

// BenchmarkWebhookDeleteRatio measures, in one run on SQLite, permanent
// deletes of conversations of 10 messages three ways, each on a database
// of its own, taking turns in rounds of 100 (as BenchmarkDeleteRatio):
//
//   - raw: the physical baseline, a bare cascading DELETE per conversation;
//   - service: Service.DeleteConversation, no webhook;
//   - webhook: the same with one webhook registered and the delivery worker
//     running, delivering each conversation.deleted event to a receiver on
//     loopback while the deletes go on.
//
// It prints each rate, webhook/service (the cost of delivery; the target
// is within 10%) and each rate's ratio to raw, and how fast the webhook's
// events were delivered:
//
//	go test -run '^$' -bench WebhookDeleteRatio -benchtime 20x ./bench/
func BenchmarkWebhookDeleteRatio(b *testing.B) {
	const msgs = 10
	modes := []*ratioMode{{name: "raw"}, {name: "service"}, {name: "webhook"}}
	var received *atomic.Int64
	for _, m := range modes {
		if m.name != "webhook" {
			m.open(b)
			continue
		}
		m.svc = openWebhookService(b)
		ctx := context.Background()
		t, _, err := m.svc.CreateTenant(ctx, "bench", convstore.DeleteParams{Door: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		m.tenant = t.ID
		var url string
		url, received = countingReceiver(b)
		if _, _, err := m.svc.CreateWebhook(ctx, m.tenant, &convstore.WebhookCreate{URL: url}, convstore.DeleteParams{Door: "bench"}); err != nil {
			b.Fatal(err)
		}
		runWebhooks(b, m.svc)
		m.del = func(ctx context.Context, id convstore.ID) error {
			_, err := m.svc.DeleteConversation(ctx, m.tenant, id, convstore.DeleteParams{Door: "bench"})
			return err
		}
	}
	b.ResetTimer()
	for range b.N {
		for _, m := range modes {
			m.round(b, msgs)
		}
	}
	b.StopTimer()
	hook := modes[2]
	deadline := time.Now().Add(time.Minute)
	for received.Load() < int64(hook.n) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	rate := map[string]float64{}
	for _, m := range modes {
		rate[m.name] = float64(m.n) / m.elapsed.Seconds()
		b.ReportMetric(rate[m.name], m.name+"-convs/s")
	}
	if b.N == 1 {
		return // the calibrating run
	}
	fmt.Printf("\nBenchmarkWebhookDeleteRatio: SQLite, conversations of %d messages deleted per second (%d each)\n", msgs, modes[0].n)
	for _, m := range modes {
		fmt.Printf("  %-8s %6.0f   %s/raw = %.2f\n", m.name, rate[m.name], m.name, rate[m.name]/rate["raw"])
	}
	fmt.Printf("  webhook/service = %.2f (target: at least 0.90); %d of %d events delivered by the end\n",
		rate["webhook"]/rate["service"], received.Load(), hook.n)
}

// BenchmarkWebhookDelivery measures delivery throughput on SQLite: the
// outbox holds b.N conversation.deleted events for one webhook when the
// delivery worker starts; it times numbering, fan-out, claims, signed
// POSTs to a receiver on loopback (that answers 204 at once) and the
// recording of every attempt, until the receiver has every event:
//
//	go test -run '^$' -bench WebhookDelivery -benchtime 2000x ./bench/
func BenchmarkWebhookDelivery(b *testing.B) {
	ctx := context.Background()
	svc := openWebhookService(b)
	t, _, err := svc.CreateTenant(ctx, "bench", convstore.DeleteParams{Door: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	url, received := countingReceiver(b)
	if _, _, err := svc.CreateWebhook(ctx, t.ID, &convstore.WebhookCreate{URL: url}, convstore.DeleteParams{Door: "bench"}); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		c, _, err := svc.CreateConversation(ctx, t.ID, &convstore.ConversationCreate{Title: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := svc.DeleteConversation(ctx, t.ID, c.ID, convstore.DeleteParams{Door: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	start := time.Now()
	runWebhooks(b, svc)
	for received.Load() < int64(b.N) {
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("%d of %d delivered after 5 minutes", received.Load(), b.N)
		}
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
