package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/client"
	"github.com/convstore/convstore/convhttp"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
)

// pgRatioMode is one way of deleting in BenchmarkDeleteRatioPostgres, in a
// schema of its own.
type pgRatioMode struct {
	name    string
	nodes   []*pgtest.Node
	tenant  convstore.ID
	del     func(ctx context.Context, i int, id convstore.ID) error
	workers int // deletes run side by side (one per HTTP node)
	n       int
	elapsed time.Duration
}

// BenchmarkDeleteRatioPostgres is BenchmarkDeleteRatio on PostgreSQL: in
// one run, permanent deletes of conversations of msgs messages, each mode
// in a schema of its own, taking turns in rounds of 100:
//
//   - raw: the physical baseline, a bare cascading DELETE FROM
//     conversations WHERE tenant_id = $1 AND id = $2 per conversation on
//     one connection of its own (autocommit, prepared once), no receipt;
//   - service: Service.DeleteConversation over the PostgreSQL driver (the
//     row lock, counts and cascade, blob-removal queue, receipt and audit
//     entry in one transaction);
//   - http: the native door over loopback through the Go client;
//   - http2nodes: the same through two nodes (two services, two pools) on
//     one schema, deleting side by side.
//
// It prints each rate and its ratio to raw, and skips unless
// CONVSTORE_TEST_POSTGRES_URL is set:
//
//	go test -run '^$' -bench DeleteRatioPostgres -benchtime 10x ./bench/
func BenchmarkDeleteRatioPostgres(b *testing.B) {
	pgtest.URL(b)
	for _, msgs := range []int{10, 1000} {
		b.Run(fmt.Sprintf("msgs=%d", msgs), func(b *testing.B) {
			modes := []*pgRatioMode{{name: "raw"}, {name: "service"}, {name: "http"}, {name: "http2nodes"}}
			for _, m := range modes {
				m.open(b)
			}
			b.ResetTimer()
			for range b.N {
				for _, m := range modes {
					m.round(b, msgs)
				}
			}
			b.StopTimer()
			rate := map[string]float64{}
			for _, m := range modes {
				rate[m.name] = float64(m.n) / m.elapsed.Seconds()
				b.ReportMetric(rate[m.name], m.name+"-convs/s")
			}
			if b.N == 1 {
				return // the calibrating run
			}
			fmt.Printf("\nBenchmarkDeleteRatioPostgres: conversations of %d messages deleted per second (%d each)\n", msgs, modes[0].n)
			for _, m := range modes {
				fmt.Printf("  %-10s %6.0f   %s/raw = %.2f\n", m.name, rate[m.name], m.name, rate[m.name]/rate["raw"])
			}
		})
	}
}

// open opens the mode's schema, its nodes and what deletes in it.
func (m *pgRatioMode) open(b *testing.B) {
	ctx := context.Background()
	schema := pgtest.NewSchema(b)
	logger := slog.New(slog.DiscardHandler)
	nodes := 1
	if m.name == "http2nodes" {
		nodes = 2
	}
	for range nodes {
		m.nodes = append(m.nodes, pgtest.OpenNode(b, schema, pgtest.NodeOptions{
			Driver: postgres.Options{MaxConns: 8, Logger: logger}, Service: service.Options{Logger: logger},
		}))
	}
	t, key, err := m.nodes[0].CreateTenant(ctx, "bench", convstore.DeleteParams{Door: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	m.tenant, m.workers = t.ID, 1
	switch m.name {
	case "raw":
		conn := pgConn(b, schema)
		m.del = func(ctx context.Context, _ int, id convstore.ID) error {
			tag, err := conn.Exec(ctx, `DELETE FROM conversations WHERE tenant_id = $1 AND id = $2`, m.tenant[:], id[:])
			if err == nil && tag.RowsAffected() != 1 {
				err = fmt.Errorf("raw delete: %d rows", tag.RowsAffected())
			}
			return err
		}
	case "service":
		m.del = func(ctx context.Context, _ int, id convstore.ID) error {
			_, err := m.nodes[0].DeleteConversation(ctx, m.tenant, id, convstore.DeleteParams{Door: "bench"})
			return err
		}
	default:
		var clients []*client.Client
		for _, n := range m.nodes {
			srv := httptest.NewServer(v1.NewServer(convhttp.Config{Store: n, Logger: logger}).Handler())
			b.Cleanup(srv.Close)
			clients = append(clients, client.New(srv.URL, key.Secret))
		}
		m.workers = len(clients)
		m.del = func(ctx context.Context, i int, id convstore.ID) error {
			_, err := clients[i].DeleteConversation(ctx, convstore.ID{}, id, convstore.DeleteParams{})
			return err
		}
	}
}

// round creates ratioRound conversations with the timer stopped, then
// times deleting them, by m.workers side by side (worker i deletes every
// m.workers-th).
func (m *pgRatioMode) round(b *testing.B, msgs int) {
	ctx := context.Background()
	b.StopTimer()
	batch := make([]*convstore.MessageCreate, msgs)
	for i := range batch {
		batch[i] = &convstore.MessageCreate{Role: convstore.RoleUser, Content: "The caller asks about invoice 17 and a refund. The caller asks about invoice 17."}
	}
	ids := make([]convstore.ID, ratioRound)
	for i := range ids {
		c, _, err := m.nodes[0].CreateConversation(ctx, m.tenant, &convstore.ConversationCreate{Title: "bench", Messages: batch})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	b.StartTimer()
	start := time.Now()
	errs := make(chan error, m.workers)
	for w := range m.workers {
		go func() {
			for j := w; j < len(ids); j += m.workers {
				if err := m.del(ctx, w, ids[j]); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range m.workers {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	m.elapsed += time.Since(start)
	m.n += len(ids)
}

// pgConn opens a connection of its own to schema, closed when b ends.
func pgConn(b *testing.B, schema string) *pgx.Conn {
	b.Helper()
	cfg, err := pgx.ParseConfig(pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = schema
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
