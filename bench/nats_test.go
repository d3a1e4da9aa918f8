package bench

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/natsrelay"
	"github.com/convstore/convstore/natsrelay/natstest"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/sqlite"
)

// natsMode is one way of deleting in BenchmarkDeleteNATS, on a database of
// its own.
type natsMode struct {
	name    string
	svc     *service.Service
	tenant  convstore.ID
	relay   bool
	webhook *atomic.Int64 // requests its webhook's receiver took; nil: no webhook
	n       int
	elapsed time.Duration
	lag     int64 // events still unpublished at the end of the timed rounds, summed
	drained time.Duration
	writes  *writeCount
	// durable and background count the write transactions from each
	// round's first delete to the end of its wait for delivery.
	durable, background int64
}

// openBenchService opens a service on a fresh database of the engine.
func openBenchService(b *testing.B, engine string) *service.Service {
	s, _ := openCountedService(b, engine)
	return s
}

// writeCount counts a driver's write transactions: durable ones and
// background ones (committed without waiting for the disk).
type writeCount struct{ durable, background atomic.Int64 }

func (c *writeCount) count(p driver.WriteParams) {
	if p.Background {
		c.background.Add(1)
	} else {
		c.durable.Add(1)
	}
}

// countedSQLite and countedPostgres count the write transactions of their
// engine's driver (embedded, so its optional interfaces stay visible).
type countedSQLite struct {
	*sqlite.DB
	n *writeCount
}

func (d countedSQLite) Write(ctx context.Context, p driver.WriteParams, fn func(context.Context, driver.Tx) error) error {
	d.n.count(p)
	return d.DB.Write(ctx, p, fn)
}

type countedPostgres struct {
	*postgres.DB
	n *writeCount
}

func (d countedPostgres) Write(ctx context.Context, p driver.WriteParams, fn func(context.Context, driver.Tx) error) error {
	d.n.count(p)
	return d.DB.Write(ctx, p, fn)
}

// openCountedService opens a service on a fresh database of the engine
// whose write transactions are counted.
func openCountedService(b *testing.B, engine string) (*service.Service, *writeCount) {
	logger := slog.New(slog.DiscardHandler)
	n := &writeCount{}
	if engine == "postgres" {
		db := pgtest.OpenURL(b, pgtest.URL(b), pgtest.NewSchema(b), postgres.Options{MaxConns: 8, Logger: logger})
		s := service.New(countedPostgres{db, n}, db.Blobs(), service.Options{Logger: logger, WebhookAllowPrivate: true})
		b.Cleanup(func() { s.Close() })
		return s, n
	}
	dir := b.TempDir()
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	drv, err := sqlite.Open(context.Background(), filepath.Join(dir, "convstore.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	s := service.New(countedSQLite{drv, n}, blobs, service.Options{Logger: logger, WebhookAllowPrivate: true})
	b.Cleanup(func() { s.Close() })
	return s, n
}

// natsPublisher returns a publisher to a stream of the benchmark's own on
// the local NATS server (skipping without one).
func natsPublisher(b *testing.B) *natsrelay.Publisher {
	st := natstest.NewStream(b)
	pub, err := natsrelay.New(natstest.Connect(b), natsrelay.Config{Stream: st.Name, SubjectPrefix: st.Prefix})
	if err != nil {
		b.Fatal(err)
	}
	return pub
}

// BenchmarkDeleteNATS measures, in one run, what relaying every event to
// NATS JetStream, and also delivering it to a webhook, costs deletes:
// conversations of 10 messages deleted one after the other through the
// service, on a database without a relay, on one whose relay publishes to
// the local nats-server as they commit (each delete's
// conversation.deleted, then its conversation.purged), and on one that
// also delivers every event to one webhook (a receiver on loopback that
// answers 204), taking turns in rounds of 100. After each round of a
// delivering store, with the timer stopped, it waits for the relay to
// publish, and the webhook to receive, what is left. It prints the rates,
// their ratios to the store without delivery (the target is 0.90 or
// more) and the events the relay had left at the rounds' ends. SQLite always; PostgreSQL
// with CONVSTORE_TEST_POSTGRES_URL; skips without a NATS server:
//
//	go test -run '^$' -bench DeleteNATS -benchtime 20x ./bench/
func BenchmarkDeleteNATS(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			if engine == "postgres" {
				pgtest.URL(b)
			}
			modes := []*natsMode{{name: "off"}, {name: "nats", relay: true}, {name: "nats+webhook", relay: true}}
			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			for _, m := range modes {
				m.svc, m.writes = openCountedService(b, engine)
				t, _, err := m.svc.CreateTenant(ctx, "bench", convstore.DeleteParams{Door: "bench"})
				if err != nil {
					b.Fatal(err)
				}
				m.tenant = t.ID
				if m.name == "nats+webhook" {
					var url string
					url, m.webhook = countingReceiver(b)
					if _, _, err := m.svc.CreateWebhook(ctx, m.tenant, &convstore.WebhookCreate{URL: url}, convstore.DeleteParams{Door: "bench"}); err != nil {
						b.Fatal(err)
					}
					runWebhooks(b, m.svc)
				}
				if m.relay {
					r := m.svc.NewRelay(natsPublisher(b), service.RelayOptions{})
					done := make(chan struct{})
					go func() {
						defer close(done)
						r.Run(ctx)
					}()
					b.Cleanup(func() { stop(); <-done })
				}
			}
			b.ResetTimer()
			for range b.N {
				for _, m := range modes {
					m.round(b)
				}
			}
			b.StopTimer()
			rate := map[string]float64{}
			for _, m := range modes {
				rate[m.name] = float64(m.n) / m.elapsed.Seconds()
				b.ReportMetric(rate[m.name], m.name+"-convs/s")
			}
			if b.N == 1 {
				return
			}
			nats := modes[1]
			fmt.Printf("\nBenchmarkDeleteNATS: %s, conversations of 10 messages deleted per second (%d each)\n", engine, nats.n)
			fmt.Printf("  relay off          %6.0f\n  relay on           %6.0f   on/off = %.2f\n", rate["off"], rate["nats"], rate["nats"]/rate["off"])
			fmt.Printf("  relay and webhook  %6.0f   on/off = %.2f\n", rate["nats+webhook"], rate["nats+webhook"]/rate["off"])
			fmt.Printf("  events left to publish at the rounds' ends: %.1f per round of %d deletes; drained in %.1f ms per round\n",
				float64(nats.lag)/float64(b.N), ratioRound, float64(nats.drained.Milliseconds())/float64(b.N))
			fmt.Printf("  write transactions per delete (durable + background; from a round's first delete to the end of its wait):\n")
			for _, m := range modes {
				fmt.Printf("    %-13s %.2f + %.2f\n", m.name, float64(m.durable)/float64(m.n), float64(m.background)/float64(m.n))
			}
		})
	}
}

// round creates ratioRound conversations with the timer stopped, times
// deleting them one after the other and, for the relaying store, waits
// (untimed) for its relay to publish everything.
func (m *natsMode) round(b *testing.B) {
	ctx := context.Background()
	b.StopTimer()
	batch := make([]*convstore.MessageCreate, 10)
	for i := range batch {
		batch[i] = &convstore.MessageCreate{Role: convstore.RoleUser, Content: "The caller asks about invoice 17 and a refund. The caller asks about invoice 17."}
	}
	ids := make([]convstore.ID, ratioRound)
	for i := range ids {
		c, _, err := m.svc.CreateConversation(ctx, m.tenant, &convstore.ConversationCreate{Title: "bench", Messages: batch})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	durable, background := m.writes.durable.Load(), m.writes.background.Load()
	defer func() {
		m.durable += m.writes.durable.Load() - durable
		m.background += m.writes.background.Load() - background
	}()
	b.StartTimer()
	start := time.Now()
	for _, id := range ids {
		if _, err := m.svc.DeleteConversation(ctx, m.tenant, id, convstore.DeleteParams{Door: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	m.elapsed += time.Since(start)
	m.n += len(ids)
	b.StopTimer()
	if m.relay {
		drain := time.Now()
		for first := true; ; first = false {
			n, _, err := m.svc.EventBacklog(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if first {
				m.lag += n
			}
			if n == 0 {
				break
			}
			if time.Since(drain) > time.Minute {
				b.Fatalf("%d events still unpublished a minute after the round", n)
			}
			time.Sleep(time.Millisecond)
		}
		for m.webhook != nil && m.webhook.Load() < int64(m.n) { // at least every conversation.deleted
			if time.Since(drain) > time.Minute {
				b.Fatalf("%d of %d conversation.deleted events delivered to the webhook a minute after the round", m.webhook.Load(), m.n)
			}
			time.Sleep(time.Millisecond)
		}
		m.drained += time.Since(drain)
	}
	b.StartTimer()
}

// BenchmarkNATSPublish measures how fast a relay publishes a backlog to
// the local nats-server, each event acknowledged before its tenant's next
// (one tenant, then eight side by side): a store's deletes write the
// events with no relay running, then one relay pass publishes them all.
// It prints events per second. SQLite; skips without a NATS server:
//
//	go test -run '^$' -bench NATSPublish -benchtime 1x ./bench/
func BenchmarkNATSPublish(b *testing.B) {
	for _, tenants := range []int{1, 8} {
		b.Run(fmt.Sprintf("tenants=%d", tenants), func(b *testing.B) {
			pub := natsPublisher(b)
			ctx := context.Background()
			var events int
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				s := openBenchService(b, "sqlite")
				for i := range tenants {
					t, _, err := s.CreateTenant(ctx, fmt.Sprintf("bench-%d", i), convstore.DeleteParams{Door: "bench"})
					if err != nil {
						b.Fatal(err)
					}
					for range 2000 / tenants {
						c, _, err := s.CreateConversation(ctx, t.ID, &convstore.ConversationCreate{Title: "bench"})
						if err != nil {
							b.Fatal(err)
						}
						if _, err := s.DeleteConversation(ctx, t.ID, c.ID, convstore.DeleteParams{Door: "bench"}); err != nil {
							b.Fatal(err)
						}
					}
				}
				if _, err := s.NumberEvents(ctx); err != nil {
					b.Fatal(err)
				}
				relay := s.NewRelay(pub, service.RelayOptions{})
				b.StartTimer()
				start := time.Now()
				n, err := relay.Deliver(ctx)
				if err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				events += n
			}
			b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
			fmt.Printf("BenchmarkNATSPublish tenants=%d: %d events in %v, %.0f events/s\n", tenants, events, elapsed.Round(time.Millisecond),
				float64(events)/elapsed.Seconds())
		})
	}
}
