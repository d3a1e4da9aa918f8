package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/convstore/convstore/postgres/pgtest"
)

// BenchmarkDeletePostgres measures, in one run, the physical baseline of a
// PostgreSQL delete (raw: one cascading DELETE per conversation on one
// connection, no receipt, no audit entry), the service over the driver
// (service), and the same over HTTP through one node and two (http,
// http2nodes), and prints each rate's ratio to the raw loop. It skips
// unless CONVSTORE_TEST_POSTGRES_URL is set:
//
//	go test -run '^$' -bench DeletePostgres -benchtime 300x ./bench/
func BenchmarkDeletePostgres(b *testing.B) {
	pgtest.URL(b)
	for _, msgs := range deleteSizes {
		name := fmt.Sprintf("postgres/raw/msgs=%d", msgs)
		b.Run(name, func(b *testing.B) { benchRawDelete(b, name, msgs) })
		for _, mode := range deleteModes {
			benchDelete(b, "postgres", mode.name, mode.nodes, msgs)
		}
	}
	for _, msgs := range deleteSizes {
		raw := rates[fmt.Sprintf("postgres/raw/msgs=%d", msgs)]
		for _, mode := range deleteModes {
			if r := rates[fmt.Sprintf("postgres/%s/msgs=%d", mode.name, msgs)]; raw > 0 && r > 0 {
				label := mode.name
				if label == "engine" {
					label = "service"
				}
				fmt.Printf("BenchmarkDeletePostgres msgs=%d: raw %.0f convs/s, %s %.0f convs/s, %s/raw = %.2f\n",
					msgs, raw, label, r, label, r/raw)
			}
		}
	}
}

// benchRawDelete deletes conversations (created through the service, with
// the timer stopped) with a bare cascading DELETE each, on one connection
// of its own: what the database itself costs.
func benchRawDelete(b *testing.B, name string, msgs int) {
	e := newEnv(b, "postgres", 0)
	conn := rawConn(b, e)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		ids := e.createConversations(b, min(batchSize, b.N-done), msgs)
		b.StartTimer()
		for _, id := range ids {
			tag, err := conn.Exec(e.ctx, `DELETE FROM conversations WHERE tenant_id = $1 AND id = $2`, e.tenant[:], id[:])
			if err != nil || tag.RowsAffected() != 1 {
				b.Fatalf("raw delete: %v, %d rows", err, tag.RowsAffected())
			}
		}
		done += len(ids)
	}
	b.StopTimer()
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "convs/s")
	rates[name] = rate
}

// rawConn opens a connection of its own to the schema e's store lives in,
// closed when b ends.
func rawConn(b *testing.B, e *env) *pgx.Conn {
	b.Helper()
	node, ok := e.store.(*pgtest.Node)
	if !ok {
		b.Fatalf("the store is a %T, not a PostgreSQL node", e.store)
	}
	cfg, err := pgx.ParseConfig(pgtest.URL(b))
	if err != nil {
		b.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = node.DB.Schema()
	conn, err := pgx.ConnectConfig(e.ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
