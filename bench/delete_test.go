package bench

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/client"
	"github.com/convstore/convstore/convhttp"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/sqlite"
)

// batchSize is how many conversations are created, with the timer
// stopped, before each timed run of deletes.
const batchSize = 50

// env is a fresh store with one tenant, and optionally real servers: one
// per node, each node with its own store handle (its own pool) on the same
// database, as separate processes would have.
type env struct {
	ctx     context.Context
	store   convstore.Store
	tenant  convstore.ID
	clients []*client.Client // empty for the engine benchmarks
}

// openStores opens nodes handles on one fresh database of the engine.
func openStores(b *testing.B, engine string, nodes int) []convstore.Store {
	b.Helper()
	stores := make([]convstore.Store, nodes)
	switch engine {
	case "sqlite":
		if nodes != 1 {
			b.Fatal("SQLite serves one node")
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
		db := service.New(drv, blobs, service.Options{})
		b.Cleanup(func() { db.Close() })
		stores[0] = db
	case "postgres":
		schema := pgtest.NewSchema(b) // skips when CONVSTORE_TEST_POSTGRES_URL is unset
		for i := range stores {
			stores[i] = pgtest.OpenNode(b, schema, pgtest.NodeOptions{Driver: postgres.Options{MaxConns: 8}})
		}
	}
	return stores
}

func newEnv(b *testing.B, engine string, nodes int) *env {
	b.Helper()
	ctx := context.Background()
	httpNodes := nodes
	if nodes == 0 {
		nodes = 1
	}
	stores := openStores(b, engine, nodes)
	t, key, err := stores[0].CreateTenant(ctx, "bench", convstore.DeleteParams{Door: "test"})
	if err != nil {
		b.Fatal(err)
	}
	e := &env{ctx: ctx, store: stores[0], tenant: t.ID}
	for _, st := range stores[:httpNodes] {
		srv := httptest.NewServer(v1.NewServer(convhttp.Config{
			Store: st, Logger: slog.New(slog.DiscardHandler),
		}).Handler())
		b.Cleanup(srv.Close)
		e.clients = append(e.clients, client.New(srv.URL, key.Secret))
	}
	return e
}

// createConversations creates n conversations of msgs messages each,
// straight in the store.
func (e *env) createConversations(b *testing.B, n, msgs int) []convstore.ID {
	b.Helper()
	content := strings.Repeat("The caller asks about invoice 17 and a refund. ", 4) // ~200 bytes
	ids := make([]convstore.ID, n)
	for i := range ids {
		batch := make([]*convstore.MessageCreate, msgs)
		for j := range batch {
			role := convstore.RoleUser
			if j%2 == 1 {
				role = convstore.RoleAssistant
			}
			batch[j] = &convstore.MessageCreate{Role: role, Content: content}
		}
		c, _, err := e.store.CreateConversation(e.ctx, e.tenant, &convstore.ConversationCreate{
			Title: "bench", UserID: "user-1", Messages: batch,
		})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = c.ID
	}
	return ids
}

// deleteAll deletes the conversations through the engine, or over HTTP
// with the nodes side by side: node i deletes every len(clients)-th id,
// all nodes at once.
func (e *env) deleteAll(b *testing.B, ids []convstore.ID) {
	if len(e.clients) == 0 {
		for _, id := range ids {
			if _, err := e.store.DeleteConversation(e.ctx, e.tenant, id, convstore.DeleteParams{Door: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	errs := make(chan error, len(e.clients))
	for i, c := range e.clients {
		go func() {
			for j := i; j < len(ids); j += len(e.clients) {
				if _, err := c.DeleteConversation(e.ctx, convstore.ID{}, ids[j], convstore.DeleteParams{}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range e.clients {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// rates holds the convs/s of each BenchmarkDelete sub-benchmark's last
// (largest) run, for the ratio TestMain prints at the end.
var rates = map[string]float64{}

// deleteSizes are the message counts of the benchmarked conversations.
var deleteSizes = []int{10, 1000}

// deleteModes are the ways a delete is sent, with the HTTP nodes each uses.
var deleteModes = []struct {
	name  string
	nodes int
}{{"engine", 0}, {"http", 1}, {"http2nodes", 2}}

// BenchmarkDelete measures permanent conversation deletes per second, on
// the engine and over HTTP (on PostgreSQL also through two nodes side by
// side); TestMain prints the ratios to the engine. The PostgreSQL runs skip
// unless CONVSTORE_TEST_POSTGRES_URL is set.
func BenchmarkDelete(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, msgs := range deleteSizes {
			for _, mode := range deleteModes {
				if engine == "sqlite" && mode.nodes > 1 {
					continue
				}
				benchDelete(b, engine, mode.name, mode.nodes, msgs)
			}
		}
	}
}

func benchDelete(b *testing.B, engine, mode string, nodes, msgs int) {
	name := fmt.Sprintf("%s/%s/msgs=%d", engine, mode, msgs)
	b.Run(name, func(b *testing.B) {
		e := newEnv(b, engine, nodes)
		b.ReportAllocs()
		b.ResetTimer()
		for done := 0; done < b.N; {
			b.StopTimer()
			ids := e.createConversations(b, min(batchSize, b.N-done), msgs)
			b.StartTimer()
			e.deleteAll(b, ids)
			done += len(ids)
		}
		b.StopTimer()
		rate := float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(rate, "convs/s")
		rates[name] = rate
	})
}

// TestMain runs the benchmarks and then prints, for each size whose two
// sub-benchmarks ran, the ratio of HTTP to engine throughput. (A parent
// benchmark's b.Log shows only with -v, hence here.)
func TestMain(m *testing.M) {
	code := m.Run()
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, msgs := range deleteSizes {
			raw := rates[fmt.Sprintf("%s/engine/msgs=%d", engine, msgs)]
			for _, mode := range deleteModes[1:] {
				if r := rates[fmt.Sprintf("%s/%s/msgs=%d", engine, mode.name, msgs)]; raw > 0 && r > 0 {
					fmt.Printf("BenchmarkDelete %s msgs=%d: engine %.0f convs/s, %s %.0f convs/s, %s/engine = %.2f\n",
						engine, msgs, raw, mode.name, r, mode.name, r/raw)
				}
			}
		}
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		if r := rotationRates[engine]; r != "" {
			fmt.Printf("BenchmarkKeyRotation %s: %s\n", engine, r)
		}
	}
	os.Exit(code)
}
