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
//     purge (the target: during within 2x of without); and again with
//     the baseline taken in the same minutes as the purge, another
//     conversation of N purged under the same load with the purger held
//     every other second (interleavedPurge);
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
	return service.Options{Logger: slog.New(slog.DiscardHandler), PurgeInterval: -1, PurgeBatch: batch, PurgeYield: yield,
		PurgeAfterBatch: func(int) error {
			if g := heldPurge.Load(); g != nil {
				g.wait()
			}
			return nil
		}}
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
			// The bytes from the insert position, which is exact at once;
			// pg_stat_wal counts the full-page images, from each backend's
			// last report (up to a second late, ten for an idle one).
			if err := statConn.QueryRow(context.Background(), `SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint,
				(SELECT wal_fpi FROM pg_stat_wal)`).Scan(&bytes, &fpi); err != nil {
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

// sample is one round of the foreground load: when it began, and how long
// its append and its page read took.
type sample struct {
	at             time.Time
	append_, read_ time.Duration
}

// foreground is the other clients' load: an append and a page read on
// other conversations, one after the other, until stop.
func foreground(ctx context.Context, svc *service.Service, tenantID convstore.ID, convs []convstore.ID, stop <-chan struct{}) ([]sample, error) {
	var out []sample
	for i := 0; ; i++ {
		select {
		case <-stop:
			return out, nil
		default:
		}
		c := convs[i%len(convs)]
		t0 := time.Now()
		if _, err := svc.CreateMessages(ctx, tenantID, c, []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hello " + strconv.Itoa(i)}}); err != nil {
			return nil, err
		}
		t1 := time.Now()
		if _, _, err := svc.FindMessages(ctx, tenantID, c, convstore.MessageFilter{PageFilter: convstore.PageFilter{Limit: 20, Order: convstore.OrderDesc}}); err != nil {
			return nil, err
		}
		out = append(out, sample{at: t0, append_: t1.Sub(t0), read_: time.Since(t1)})
	}
}

// latencies splits samples into their appends' and reads' latencies.
func latencies(samples []sample) (appends, reads []time.Duration) {
	for _, s := range samples {
		appends, reads = append(appends, s.append_), append(reads, s.read_)
	}
	return appends, reads
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
	huge, raw, alone, interleaved := newConv(), newConv(), newConv(), newConv()
	var others []convstore.ID
	for range 8 {
		others = append(others, newConv())
	}
	b.Logf("loading 4 x %d messages", n)
	for _, c := range []convstore.ID{huge, raw, alone, interleaved} {
		loadMessages(b, r.drv, tenant.ID, c, n)
	}
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
	baseSamples, err := foreground(ctx, r.svc, tenant.ID, others, stop)
	if err != nil {
		b.Fatal(err)
	}
	baseAppends, baseReads := latencies(baseSamples)

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
	var purgeSamples []sample
	var fgErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		purgeSamples, fgErr = foreground(ctx, r.svc, tenant.ID, others, stop)
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
	purgeAppends, purgeReads := latencies(purgeSamples)

	il := interleavedPurge(b, r, tenant.ID, interleaved, others)
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
	b.ReportMetric(ratio(p99(il.runAppends), p99(il.heldAppends)), "append-p99-ratio-interleaved")
	fmt.Printf("  interleaved, %v held / %v run: append p99 held / running %v / %v ratio %.2f (%d / %d samples); read p99 %v / %v ratio %.2f\n",
		purgeHeld, purgeRun, p99(il.heldAppends), p99(il.runAppends), ratio(p99(il.runAppends), p99(il.heldAppends)),
		len(il.heldAppends), len(il.runAppends), p99(il.heldReads), p99(il.runReads), ratio(p99(il.runReads), p99(il.heldReads)))
	if r.walStats != nil {
		fmt.Printf("  WAL written (server-wide)     alone %.0f B/row, %d FPI; under load %.0f B/row, %d FPI (FPI counts may lag)\n",
			float64(w1-w0)/float64(n), f1-f0, float64(w3-w2)/float64(n), f3-f2)
	}
	if r.walSize != nil {
		fmt.Printf("  WAL peak during the purge     %8.1f MB   (target < 64 MB; after the raw delete: %.1f MB)\n",
			float64(walPeak.Load())/(1<<20), float64(rawWAL)/(1<<20))
	}
}

// heldPurge, while a benchmark interleaves, holds the purger between
// batches (purgeOptions' PurgeAfterBatch).
var heldPurge atomic.Pointer[purgeGate]

// purgeGate holds the purger between two batches while held is set, and
// records when each hold began and ended.
type purgeGate struct {
	held  atomic.Bool
	mu    sync.Mutex
	holds [][2]time.Time
}

func (g *purgeGate) wait() {
	if !g.held.Load() {
		return
	}
	start := time.Now()
	for g.held.Load() {
		time.Sleep(time.Millisecond)
	}
	g.mu.Lock()
	g.holds = append(g.holds, [2]time.Time{start, time.Now()})
	g.mu.Unlock()
}

// The interleaved measurement's windows: the purger runs for purgeRun,
// then is held (between two batches) for purgeHeld; a sample counts as
// without the purge if it began at least purgeSettle into a hold and
// ended within it (the purge's last WAL flushed, its batch long over).
const (
	purgeRun    = time.Second
	purgeHeld   = time.Second
	purgeSettle = 200 * time.Millisecond
)

// interleavedLatencies are the foreground's latencies while the purger
// was held and while it ran, in one stretch of time.
type interleavedLatencies struct {
	heldAppends, heldReads, runAppends, runReads []time.Duration
}

// interleavedPurge deletes conv and purges it under the foreground load,
// the purger running and held in turns, so that the latencies with and
// without the purge come from the same minutes of the host: another
// process's burst, or the disk slowing, lands on both. A sequential
// baseline, taken before the purge, cannot tell those from the purge's
// cost, and on a shared host they moved p99 two-fold between runs.
func interleavedPurge(b *testing.B, r *purgeRig, tenantID, conv convstore.ID, others []convstore.ID) *interleavedLatencies {
	ctx := context.Background()
	if _, err := r.svc.DeleteConversation(ctx, tenantID, conv, convstore.DeleteParams{Door: "bench"}); err != nil {
		b.Fatal(err)
	}
	g := &purgeGate{}
	heldPurge.Store(g)
	defer heldPurge.Store(nil)
	stop, purged := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // the turns
		defer wg.Done()
		for {
			select {
			case <-purged:
				g.held.Store(false)
				return
			case <-time.After(purgeRun):
			}
			g.held.Store(true)
			select {
			case <-purged:
				g.held.Store(false)
				return
			case <-time.After(purgeHeld):
			}
			g.held.Store(false)
		}
	}()
	var samples []sample
	var fgErr error
	go func() {
		defer wg.Done()
		samples, fgErr = foreground(ctx, r.svc, tenantID, others, stop)
	}()
	jobs, err := r.svc.Purge(ctx)
	close(purged)
	close(stop)
	wg.Wait()
	if err != nil || jobs != 1 || fgErr != nil {
		b.Fatalf("interleaved Purge = %d, %v; foreground %v", jobs, err, fgErr)
	}
	il := &interleavedLatencies{}
	for _, s := range samples {
		end := s.at.Add(s.append_ + s.read_)
		held := slices.ContainsFunc(g.holds, func(h [2]time.Time) bool {
			return !s.at.Before(h[0].Add(purgeSettle)) && !end.After(h[1])
		})
		if held {
			il.heldAppends, il.heldReads = append(il.heldAppends, s.append_), append(il.heldReads, s.read_)
			continue
		}
		if slices.ContainsFunc(g.holds, func(h [2]time.Time) bool { return end.After(h[0]) && s.at.Before(h[1]) }) {
			continue // straddles a hold's start or end: neither
		}
		il.runAppends, il.runReads = append(il.runAppends, s.append_), append(il.runReads, s.read_)
	}
	return il
}
