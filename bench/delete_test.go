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
	convhttp "github.com/convstore/convstore/http"
	v1 "github.com/convstore/convstore/http/v1"
	"github.com/convstore/convstore/sqlite"
)

// batchSize is how many conversations are created, with the timer
// stopped, before each timed run of deletes.
const batchSize = 50

// env is a fresh store with one tenant, and optionally a real server.
type env struct {
	ctx    context.Context
	store  *sqlite.DB
	tenant convstore.ID
	client *client.Client // nil for the engine benchmarks
}

func newEnv(b *testing.B, withHTTP bool) *env {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "convstore.db"), sqlite.Options{Blobs: blobs})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	t, key, err := db.CreateTenant(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	e := &env{ctx: ctx, store: db, tenant: t.ID}
	if withHTTP {
		srv := httptest.NewServer(v1.NewServer(convhttp.Config{
			Store: db, Logger: slog.New(slog.DiscardHandler),
		}).Handler())
		b.Cleanup(srv.Close)
		e.client = client.New(srv.URL, key.Secret)
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

// deleteOne deletes a conversation through the engine or the client.
func (e *env) deleteOne(b *testing.B, id convstore.ID) {
	var err error
	if e.client != nil {
		_, err = e.client.DeleteConversation(e.ctx, id)
	} else {
		_, err = e.store.DeleteConversation(e.ctx, e.tenant, id, convstore.DeleteParams{Door: "bench"})
	}
	if err != nil {
		b.Fatal(err)
	}
}

// rates holds the convs/s of each BenchmarkDelete sub-benchmark's last
// (largest) run, for the ratio TestMain prints at the end.
var rates = map[string]float64{}

// deleteSizes are the message counts of the benchmarked conversations.
var deleteSizes = []int{10, 1000}

// BenchmarkDelete measures permanent conversation deletes per second, on
// the engine and over HTTP; TestMain prints the http/engine ratios.
func BenchmarkDelete(b *testing.B) {
	for _, msgs := range deleteSizes {
		for _, mode := range []string{"engine", "http"} {
			name := fmt.Sprintf("%s/msgs=%d", mode, msgs)
			b.Run(name, func(b *testing.B) {
				e := newEnv(b, mode == "http")
				b.ReportAllocs()
				b.ResetTimer()
				for done := 0; done < b.N; {
					b.StopTimer()
					ids := e.createConversations(b, min(batchSize, b.N-done), msgs)
					b.StartTimer()
					for _, id := range ids {
						e.deleteOne(b, id)
					}
					done += len(ids)
				}
				b.StopTimer()
				rate := float64(b.N) / b.Elapsed().Seconds()
				b.ReportMetric(rate, "convs/s")
				rates[name] = rate
			})
		}
	}
}

// TestMain runs the benchmarks and then prints, for each size whose two
// sub-benchmarks ran, the ratio of HTTP to engine throughput. (A parent
// benchmark's b.Log shows only with -v, hence here.)
func TestMain(m *testing.M) {
	code := m.Run()
	for _, msgs := range deleteSizes {
		engine, http := rates[fmt.Sprintf("engine/msgs=%d", msgs)], rates[fmt.Sprintf("http/msgs=%d", msgs)]
		if engine > 0 && http > 0 {
			fmt.Printf("BenchmarkDelete msgs=%d: engine %.0f convs/s, http %.0f convs/s, http/engine = %.2f\n",
				msgs, engine, http, http/engine)
		}
	}
	os.Exit(code)
}
