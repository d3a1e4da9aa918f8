package bench

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/client"
	"github.com/convstore/convstore/convhttp"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/sqlite"
)

// ratioRound is how many conversations each mode deletes per round.
const ratioRound = 100

// ratioMode is one way of deleting in BenchmarkDeleteRatio, on a database
// of its own.
type ratioMode struct {
	name    string
	svc     *service.Service
	tenant  convstore.ID
	del     func(ctx context.Context, id convstore.ID) error
	n       int
	elapsed time.Duration
}

// BenchmarkDeleteRatio measures, in one run, permanent deletes of
// conversations of 10 messages on SQLite three ways, each on a database
// of its own with the same durability settings (synchronous=FULL), taking
// turns in rounds of 100 so that the load of a shared machine spreads
// over all of them:
//
//   - raw: the physical baseline, a bare cascading DELETE FROM
//     conversations WHERE tenant_id = ? AND id = ? per conversation on the
//     driver's writer connection (autocommit), no receipt;
//   - service: Service.DeleteConversation over the driver (counts,
//     cascade, blob-removal queue, receipt and audit entry, group commit);
//   - http: the native door over loopback through the Go client (key
//     authentication, the JSON receipt).
//
// Conversations are created with the timer stopped. It prints each rate
// and its ratio to raw:
//
//	go test -run '^$' -bench DeleteRatio -benchtime 20x ./bench/
func BenchmarkDeleteRatio(b *testing.B) {
	const msgs = 10
	modes := []*ratioMode{{name: "raw"}, {name: "service"}, {name: "http"}}
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
	fmt.Printf("\nBenchmarkDeleteRatio: SQLite, conversations of %d messages deleted per second (%d each)\n", msgs, modes[0].n)
	for _, m := range modes {
		fmt.Printf("  %-8s %6.0f   %s/raw = %.2f\n", m.name, rate[m.name], m.name, rate[m.name]/rate["raw"])
	}
}

// open opens the mode's database and what deletes in it.
func (m *ratioMode) open(b *testing.B) {
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
	logger := slog.New(slog.DiscardHandler)
	m.svc = service.New(drv, blobs, service.Options{Logger: logger})
	b.Cleanup(func() { m.svc.Close() })
	t, key, err := m.svc.CreateTenant(ctx, "bench", convstore.DeleteParams{Door: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	m.tenant = t.ID
	switch m.name {
	case "raw":
		// The writer's own connection, taken for each round and given
		// back before the next round's creates (which need the writer).
		m.del = func(ctx context.Context, id convstore.ID) error {
			return rawDelete(ctx, drv, m.tenant, id)
		}
	case "service":
		m.del = func(ctx context.Context, id convstore.ID) error {
			_, err := m.svc.DeleteConversation(ctx, m.tenant, id, convstore.DeleteParams{Door: "bench"})
			return err
		}
	case "http":
		srv := httptest.NewServer(v1.NewServer(convhttp.Config{Store: m.svc, Logger: logger}).Handler())
		b.Cleanup(srv.Close)
		c := client.New(srv.URL, key.Secret)
		m.del = func(ctx context.Context, id convstore.ID) error {
			_, err := c.DeleteConversation(ctx, convstore.ID{}, id, convstore.DeleteParams{})
			return err
		}
	}
}

// rawConn is the writer connection the raw mode holds during a round.
var rawConn = map[*sqlite.DB]*sql.Conn{}

func rawDelete(ctx context.Context, drv *sqlite.DB, tenant, id convstore.ID) error {
	_, err := rawConn[drv].ExecContext(ctx, `DELETE FROM conversations WHERE tenant_id = ? AND id = ?`, tenant[:], id[:])
	return err
}

// round creates ratioRound conversations with the timer stopped, then
// times deleting them one after the other.
func (m *ratioMode) round(b *testing.B, msgs int) {
	ctx := context.Background()
	b.StopTimer()
	batch := make([]*convstore.MessageCreate, msgs)
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
	var conn *sql.Conn
	if m.name == "raw" {
		drv := m.svc.Driver().(*sqlite.DB)
		var err error
		if conn, err = drv.WriterConn(ctx); err != nil {
			b.Fatal(err)
		}
		rawConn[drv] = conn
	}
	b.StartTimer()
	start := time.Now()
	for _, id := range ids {
		if err := m.del(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	m.elapsed += time.Since(start)
	m.n += len(ids)
	b.StopTimer()
	if conn != nil {
		conn.Close()
	}
	b.StartTimer()
}
