package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/sqlite"
)

// purgeRig is one engine for BenchmarkPurge: a service with no background
// purger, its driver, a bare bulk delete of one conversation's messages on
// a connection of its own (the engine's raw rate), and the size of its
// write-ahead log where the engine has one to bound (SQLite's WAL).
type purgeRig struct {
	svc     *service.Service
	drv     driver.Driver
	rawDel  func(ctx context.Context, tenantID, convID convstore.ID) (int64, error)
	walSize func() int64 // nil: not measured
	// walStats, where the engine counts it (PostgreSQL's pg_stat_wal,
	// server-wide): WAL bytes and full-page images written so far.
	walStats func() (bytes, fpi int64)
}

// BenchmarkPurge measures, in one run per engine, what deleting a huge
// conversation costs the deleter and everyone else:
//
//   - delete: the latency of DeleteConversation of a conversation of N
//     messages (the target is under 50 ms at a million);
//   - p99 of an append and of a page read on other conversations, without
//     (for as long as the purge took alone, 3 to 30 s) and then during the
//     purge (the target: during within 2x of without);
//   - the purge's rows/s against the engine's raw bulk-delete rate, a bare
//     DELETE FROM messages WHERE tenant_id = ? AND conversation_id = ? of
//     another conversation of N messages (the target: at least 0.5x),
//     both alone, and the purge's again under the foreground load;
//   - PostgreSQL: the WAL written per purged row (pg_stat_wal, so
//     server-wide) and its full-page images;
//   - SQLite: the WAL's peak size during the purge (the target: under
//     64 MB), and after the raw delete for comparison.
//
// N is CONVSTORE_PURGE_MESSAGES (default 100000). PostgreSQL runs when
// CONVSTORE_TEST_POSTGRES_URL is set:
//
//	go test -run '^$' -bench Purge -benchtime 1x ./bench/
//	CONVSTORE_PURGE_MESSAGES=1000000 go test -run '^$' -bench Purge/sqlite -benchtime 1x -timeout 1h ./bench/
func BenchmarkPurge(b *testing.B) {
	n := 100000
	if v := os.Getenv("CONVSTORE_PURGE_MESSAGES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("CONVSTORE_PURGE_MESSAGES=%q: want a positive count", v)
		}
	}
	b.Run("sqlite", func(b *testing.B) { runPurgeBench(b, openSQLitePurgeRig(b), n) })
	b.Run("postgres", func(b *testing.B) { runPurgeBench(b, openPostgresPurgeRig(b), n) })
}

// purgeOptions are the services' options: no background purger, and the
// batch size CONVSTORE_PURGE_BATCH and yield CONVSTORE_PURGE_YIELD if set
// (the defaults otherwise).
func purgeOptions() service.Options {
	batch, _ := strconv.Atoi(os.Getenv("CONVSTORE_PURGE_BATCH"))
	yield, _ := strconv.ParseFloat(os.Getenv("CONVSTORE_PURGE_YIELD"), 64)
	return service.Options{Logger: slog.New(slog.DiscardHandler), PurgeInterval: -1, PurgeBatch: batch, PurgeYield: yield}
}

func openSQLitePurgeRig(b *testing.B) *purgeRig {
	dir := b.TempDir()
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, "convstore.db")
	drv, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	svc := service.New(drv, blobs, purgeOptions())
	b.Cleanup(func() { svc.Close() })
	return &purgeRig{svc: svc, drv: drv,
		rawDel: func(ctx context.Context, tenantID, convID convstore.ID) (int64, error) {
			conn, err := drv.WriterConn(ctx)
			if err != nil {
				return 0, err
			}
			defer conn.Close()
			res, err := conn.ExecContext(ctx, `DELETE FROM messages WHERE tenant_id = ? AND conversation_id = ?`, tenantID[:], convID[:])
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		},
		walSize: func() int64 {
			fi, err := os.Stat(path + "-wal")
			if err != nil {
				return 0
			}
			return fi.Size()
		},
	}
}

func openPostgresPurgeRig(b *testing.B) *purgeRig {
	schema := pgtest.NewSchema(b) // skips without CONVSTORE_TEST_POSTGRES_URL
	node := pgtest.OpenNode(b, schema, pgtest.NodeOptions{Driver: postgres.Options{MaxConns: 8}, Service: purgeOptions()})
	conn := pgConn(b, schema)
	statConn := pgConn(b, schema)
	return &purgeRig{svc: node.Service, drv: node.DB,
		walStats: func() (bytes, fpi int64) {
			if err := statConn.QueryRow(context.Background(), `SELECT wal_bytes::bigint, wal_fpi FROM pg_stat_wal`).Scan(&bytes, &fpi); err != nil {
				b.Fatal(err)
			}
			return bytes, fpi
		},
		rawDel: func(ctx context.Context, tenantID, convID convstore.ID) (int64, error) {
			tag, err := conn.Exec(ctx, `DELETE FROM messages WHERE tenant_id = $1 AND conversation_id = $2`, tenantID[:], convID[:])
			return tag.RowsAffected(), err
		},
	}
}

// loadMessages stores n messages of about 200 bytes in the conversation,
// through the driver in transactions of 5000 (the service would seal and
// check each: minutes for a million).
func loadMessages(b *testing.B, drv driver.Driver, tenantID, convID convstore.ID, n int) {
	ctx := context.Background()
	content := strings.Repeat("lorem ipsum dolor sit amet ", 8)
	for done := 0; done < n; {
		batch := make([]*driver.MessageRow, min(5000, n-done))
		for i := range batch {
			batch[i] = &driver.MessageRow{Message: convstore.Message{ID: convstore.NewID(), ConversationID: convID,
				Role: convstore.RoleUser, Content: content, CreatedAt: time.Now().UTC().Truncate(time.Microsecond)}}
		}
		err := drv.Write(ctx, driver.OnConversation(tenantID, convID), func(ctx context.Context, tx driver.Tx) error {
			if _, err := tx.ConversationBumpMessages(ctx, &driver.ConversationBumpParams{TenantID: tenantID, ID: convID,
				Delta: len(batch), UpdatedAt: time.Now().UTC().Truncate(time.Microsecond)}); err != nil {
				return err
			}
			return tx.MessageInsertMany(ctx, &driver.MessageInsertManyParams{TenantID: tenantID, ConversationID: convID, Messages: batch})
		})
		if err != nil {
			b.Fatal(err)
		}
		done += len(batch)
	}
}

// foreground is the other clients' load: appends and page reads on other
// conversations, one after the other, until stop; it returns each kind's
// latencies.
func foreground(ctx context.Context, svc *service.Service, tenantID convstore.ID, convs []convstore.ID, stop <-chan struct{}) (appends, reads []time.Duration, err error) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return appends, reads, nil
		default:
		}
		c := convs[i%len(convs)]
		t0 := time.Now()
		if _, err := svc.CreateMessages(ctx, tenantID, c, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hello " + strconv.Itoa(i)}}); err != nil {
			return nil, nil, err
		}
		t1 := time.Now()
		if _, _, err := svc.FindMessages(ctx, tenantID, c, convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: 20, Order: convstore.OrderDesc}}); err != nil {
			return nil, nil, err
		}
		appends, reads = append(appends, t1.Sub(t0)), append(reads, time.Since(t1))
	}
}

func p50(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)/2]
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[len(d)*99/100]
}

func runPurgeBench(b *testing.B, r *purgeRig, n int) {
	ctx := context.Background()
	tenant, _, err := r.svc.CreateTenant(ctx, "purge-bench", convstore.DeleteParams{Door: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	newConv := func() convstore.ID {
		c, _, err := r.svc.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
		if err != nil {
			b.Fatal(err)
		}
		return c.ID
	}
	huge, raw, alone := newConv(), newConv(), newConv()
	var others []convstore.ID
	for range 8 {
		others = append(others, newConv())
	}
	b.Logf("loading 3 x %d messages", n)
	loadMessages(b, r.drv, tenant.ID, huge, n)
	loadMessages(b, r.drv, tenant.ID, raw, n)
	loadMessages(b, r.drv, tenant.ID, alone, n)
	checkpoint := func() {
		if cp, ok := r.drv.(driver.Checkpointer); ok {
			if _, err := cp.Checkpoint(ctx); err != nil {
				b.Fatal(err)
			}
		}
	}
	checkpoint()
	b.ResetTimer()

	// The engine's raw bulk-delete rate, on a connection of its own.
	t0 := time.Now()
	gone, err := r.rawDel(ctx, tenant.ID, raw)
	if err != nil || gone != int64(n) {
		b.Fatalf("raw delete: %d rows, %v", gone, err)
	}
	rawDur := time.Since(t0)
	var rawWAL int64
	if r.walSize != nil {
		rawWAL = r.walSize()
	}
	checkpoint()

	// The purge's rate alone, as the raw delete ran: no other load.
	if _, err := r.svc.DeleteConversation(ctx, tenant.ID, alone, convstore.DeleteParams{Door: "bench"}); err != nil {
		b.Fatal(err)
	}
	walAt := func() (int64, int64) {
		if r.walStats == nil {
			return 0, 0
		}
		return r.walStats()
	}
	w0, f0 := walAt()
	t0 = time.Now()
	if jobs, err := r.svc.Purge(ctx); err != nil || jobs != 1 {
		b.Fatalf("Purge alone = %d, %v", jobs, err)
	}
	aloneDur := time.Since(t0)
	w1, f1 := walAt()
	checkpoint()

	// Foreground latencies without a purge, for about as long as the
	// purge will run (its time alone; 3 to 30 s), so that both p99s rest
	// on as many samples and as much of the host's noise.
	stop := make(chan struct{})
	time.AfterFunc(min(max(aloneDur, 3*time.Second), 30*time.Second), func() { close(stop) })
	baseAppends, baseReads, err := foreground(ctx, r.svc, tenant.ID, others, stop)
	if err != nil {
		b.Fatal(err)
	}

	t0 = time.Now()
	d, err := r.svc.DeleteConversation(ctx, tenant.ID, huge, convstore.DeleteParams{Door: "bench"})
	delDur := time.Since(t0)
	if err != nil || d.Messages != n {
		b.Fatalf("DeleteConversation = %+v, %v", d, err)
	}

	// The purge, with the foreground load and WAL sampling alongside.
	var walPeak atomic.Int64
	var wg sync.WaitGroup
	stop = make(chan struct{})
	purgeDone := make(chan struct{})
	if r.walSize != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			for {
				if s := r.walSize(); s > walPeak.Load() {
					walPeak.Store(s)
				}
				select {
				case <-purgeDone:
					return
				case <-t.C:
				}
			}
		}()
	}
	w2, f2 := walAt()
	var purgeAppends, purgeReads []time.Duration
	var fgErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		purgeAppends, purgeReads, fgErr = foreground(ctx, r.svc, tenant.ID, others, stop)
	}()
	t0 = time.Now()
	jobs, err := r.svc.Purge(ctx)
	purgeDur := time.Since(t0)
	close(purgeDone)
	close(stop)
	wg.Wait()
	if err != nil || jobs != 1 || fgErr != nil {
		b.Fatalf("Purge = %d, %v; foreground %v", jobs, err, fgErr)
	}
	w3, f3 := walAt()
	b.StopTimer()

	rawRate, purgeRate, aloneRate := float64(n)/rawDur.Seconds(), float64(n)/purgeDur.Seconds(), float64(n)/aloneDur.Seconds()
	ratio := func(a, b time.Duration) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	b.ReportMetric(float64(delDur.Microseconds())/1000, "delete-ms")
	b.ReportMetric(aloneRate/rawRate, "purge/raw")
	b.ReportMetric(purgeRate/rawRate, "purge-loaded/raw")
	b.ReportMetric(ratio(p99(purgeAppends), p99(baseAppends)), "append-p99-ratio")
	b.ReportMetric(ratio(p99(purgeReads), p99(baseReads)), "read-p99-ratio")
	fmt.Printf("%s, %d messages:\n", r.drv.Name(), n)
	fmt.Printf("  DELETE latency                %8.1f ms   (target < 50 ms)\n", float64(delDur.Microseconds())/1000)
	fmt.Printf("  raw bulk delete               %8.0f rows/s (%v)\n", rawRate, rawDur.Round(time.Millisecond))
	fmt.Printf("  purge alone                   %8.0f rows/s (%v)   purge/raw = %.2f (target >= 0.5)\n", aloneRate, aloneDur.Round(time.Millisecond), aloneRate/rawRate)
	fmt.Printf("  purge under foreground load   %8.0f rows/s (%v)   ratio to raw %.2f\n", purgeRate, purgeDur.Round(time.Millisecond), purgeRate/rawRate)
	fmt.Printf("  append p99 without / during   %8v / %v   ratio %.2f (target <= 2), %d / %d samples\n",
		p99(baseAppends), p99(purgeAppends), ratio(p99(purgeAppends), p99(baseAppends)), len(baseAppends), len(purgeAppends))
	fmt.Printf("  read p99 without / during     %8v / %v   ratio %.2f (target <= 2)\n",
		p99(baseReads), p99(purgeReads), ratio(p99(purgeReads), p99(baseReads)))
	fmt.Printf("  append p50 without / during   %8v / %v\n", p50(baseAppends), p50(purgeAppends))
	if r.walStats != nil {
		fmt.Printf("  WAL written (server-wide)     alone %.0f B/row, %d FPI; under load %.0f B/row, %d FPI\n",
			float64(w1-w0)/float64(n), f1-f0, float64(w3-w2)/float64(n), f3-f2)
	}
	if r.walSize != nil {
		fmt.Printf("  WAL peak during the purge     %8.1f MB   (target < 64 MB; after the raw delete: %.1f MB)\n",
			float64(walPeak.Load())/(1<<20), float64(rawWAL)/(1<<20))
	}
}
