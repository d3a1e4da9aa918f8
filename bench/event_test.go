package bench

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
)

// BenchmarkDeleteOneTenantPostgres measures what numbering a tenant's
// events in commit order costs on PostgreSQL: in one run, workers delete
// conversations side by side through one service, all of one tenant
// (whose event-writing transactions take turns from numbering to commit)
// or each of its own tenant (which never wait on each other), taking
// turns in rounds. It prints both rates and their ratio, and skips
// unless CONVSTORE_TEST_POSTGRES_URL is set:
//
//	go test -run '^$' -bench DeleteOneTenantPostgres -benchtime 5x ./bench/
func BenchmarkDeleteOneTenantPostgres(b *testing.B) {
	pgtest.URL(b)
	const workers, perRound = 8, 200
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	type mode struct {
		name    string
		node    *pgtest.Node
		tenants []convstore.ID // one per worker
		n       int
		elapsed time.Duration
	}
	modes := []*mode{{name: "one tenant"}, {name: "a tenant each"}}
	for _, m := range modes {
		m.node = pgtest.OpenNode(b, pgtest.NewSchema(b), pgtest.NodeOptions{
			Driver: postgres.Options{MaxConns: 16, Logger: logger}, Service: service.Options{Logger: logger}})
		for i := range workers {
			if i > 0 && m.name == "one tenant" {
				m.tenants = append(m.tenants, m.tenants[0])
				continue
			}
			t, _, err := m.node.CreateTenant(ctx, fmt.Sprintf("bench-%d", i), convstore.DeleteParams{Door: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			m.tenants = append(m.tenants, t.ID)
		}
	}
	msgs := []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "The caller asks about invoice 17."}}
	b.ResetTimer()
	for range b.N {
		for _, m := range modes {
			b.StopTimer()
			ids := make([][]convstore.ID, workers)
			for w := range workers {
				for range perRound / workers {
					c, _, err := m.node.CreateConversation(ctx, m.tenants[w], &convstore.ConversationCreate{Messages: msgs})
					if err != nil {
						b.Fatal(err)
					}
					ids[w] = append(ids[w], c.ID)
				}
			}
			b.StartTimer()
			start := time.Now()
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Go(func() {
					for _, id := range ids[w] {
						if _, err := m.node.DeleteConversation(ctx, m.tenants[w], id, convstore.DeleteParams{Door: "bench"}); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			m.elapsed += time.Since(start)
			m.n += perRound
		}
	}
	rate := func(m *mode) float64 { return float64(m.n) / m.elapsed.Seconds() }
	b.Logf("%d workers: one tenant %.0f deletes/s, a tenant each %.0f deletes/s, ratio %.2f",
		workers, rate(modes[0]), rate(modes[1]), rate(modes[0])/rate(modes[1]))
}
