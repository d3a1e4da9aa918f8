package sqlite

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/service"
)

// BenchmarkDeleteConversation measures DeleteConversation through the
// store: receipt, audit entry and cascade included. Conversations are
// created in batches with the timer stopped.
func BenchmarkDeleteConversation(b *testing.B) {
	for _, msgs := range []int{10, 1000} {
		b.Run(fmt.Sprintf("messages=%d", msgs), func(b *testing.B) {
			ctx := context.Background()
			db, _ := openBench(b, "FULL", maxBatch)
			tenant := mustTenant(b, db)
			batch := make([]*convstore.MessageCreate, msgs)
			content := strings.Repeat("lorem ipsum dolor sit amet ", 8)
			for i := range batch {
				batch[i] = &convstore.MessageCreate{Role: convstore.RoleUser, Content: content}
			}
			// About 20k messages per pause: more than the page cache holds, so
			// deletes read pages from the file as they would in service.
			per := max(10, 20000/msgs)
			ids := make([]convstore.ID, 0, per)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if len(ids) == 0 {
					b.StopTimer()
					for range min(per, b.N-i) {
						ids = append(ids, mustConversation(b, db, tenant.ID, batch).ID)
					}
					b.StartTimer()
				}
				if _, err := db.DeleteConversation(ctx, tenant.ID, ids[0], convstore.DeleteParams{Door: "bench"}); err != nil {
					b.Fatal(err)
				}
				ids = ids[1:]
			}
			b.StopTimer()
			if s := b.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(float64(b.N)/s, "conversations/s")
			}
		})
	}
}

// BenchmarkAuthenticate compares authenticating a request by a key secret
// (prefix lookup, constant-time hash compare) with an access token
// (primary-key lookup of its hash, joined to its key).
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	db, _ := openBench(b, "FULL", maxBatch)
	_, key, err := db.CreateTenant(ctx, "bench", convstore.DeleteParams{Door: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	_, tok, err := db.CreateAccessToken(ctx, key.TenantID, key.ID, convstore.AudienceSymbl, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		auth func() (*convstore.APIKey, error)
	}{
		{"key", func() (*convstore.APIKey, error) { return db.Authenticate(ctx, key.Secret) }},
		{"access_token", func() (*convstore.APIKey, error) {
			return db.AuthenticateAccessToken(ctx, tok, convstore.AudienceSymbl)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.auth(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// durabilityModes are the write settings BenchmarkDurability compares:
// the engine before this change (NORMAL, one transaction per write), FULL
// with one fsync per write, and FULL with group commit (the default).
var durabilityModes = []struct {
	name        string
	synchronous string
	batch       int
}{
	{"NORMAL", "NORMAL", 1},
	{"FULL", "FULL", 1},
	{"FULL+group", "FULL", maxBatch},
}

// durabilityRun is one configuration of BenchmarkDurability.
type durabilityRun struct {
	name    string
	sync    string
	db      *service.Service
	drv     *DB
	tenant  convstore.ID
	clients int
	del     func(ctx context.Context, id convstore.ID) error
	n       int
	elapsed time.Duration
	created time.Duration // creating the conversations, one client
}

// BenchmarkDurability measures what durable deletes cost, in one run: the
// physical baseline (one cascading DELETE FROM conversations per
// conversation, an autocommit statement on the writer connection, no
// receipt) under synchronous NORMAL and FULL, and DeleteConversation under
// each of durabilityModes with 1 and 8 concurrent clients, on
// conversations of 10 messages (and, for the engine with one client, how
// fast it created them). The configurations take turns, 200
// deletes each per round (b.N rounds), so that the load of a shared
// machine spreads over all of them; the rates and ratios are printed at
// the end:
//
//	go test -run '^$' -bench Durability -benchtime 30x ./sqlite/
func BenchmarkDurability(b *testing.B) {
	const msgs, chunk = 10, 200
	var runs []*durabilityRun
	for _, sync := range []string{"NORMAL", "FULL"} {
		r := &durabilityRun{name: "baseline/" + sync, sync: sync, clients: 1}
		r.db, r.drv, r.tenant = openDurability(b, sync, 1)
		r.del = func(ctx context.Context, id convstore.ID) error {
			_, err := r.drv.w.ExecContext(ctx, `DELETE FROM conversations WHERE tenant_id = ? AND id = ?`, idArg(r.tenant), idArg(id))
			return err
		}
		runs = append(runs, r)
	}
	for _, m := range durabilityModes {
		for _, clients := range []int{1, 8} {
			r := &durabilityRun{name: fmt.Sprintf("engine/%s/clients=%d", m.name, clients), sync: m.synchronous, clients: clients}
			r.db, r.drv, r.tenant = openDurability(b, m.synchronous, m.batch)
			r.del = func(ctx context.Context, id convstore.ID) error {
				_, err := r.db.DeleteConversation(ctx, r.tenant, id, convstore.DeleteParams{Door: "bench"})
				return err
			}
			runs = append(runs, r)
		}
	}
	b.ResetTimer()
	for range b.N {
		for _, r := range runs {
			r.round(b, msgs, chunk)
		}
	}
	b.StopTimer()
	rate := map[string]float64{}
	for _, r := range runs {
		rate[r.name] = float64(r.n) / r.elapsed.Seconds()
		b.ReportMetric(rate[r.name], strings.ReplaceAll(r.name, "/", "-")+"-convs/s")
	}
	if b.N == 1 {
		return // the testing package's first, calibrating run
	}
	fmt.Printf("\nBenchmarkDurability: conversations of %d messages deleted per second (%d each)\n", msgs, runs[0].n)
	for _, r := range runs {
		fmt.Printf("  %-28s %6.0f", r.name, rate[r.name])
		if strings.HasPrefix(r.name, "engine/") {
			fmt.Printf("   engine/baseline(%s) = %.2f   vs engine/NORMAL/clients=1: %.2f",
				r.sync, rate[r.name]/rate["baseline/"+r.sync], rate[r.name]/rate["engine/NORMAL/clients=1"])
			if r.clients == 1 {
				fmt.Printf("   (creates, 1 client: %.0f/s)", float64(r.n)/r.created.Seconds())
			}
		}
		fmt.Println()
	}
	fmt.Printf("  baseline FULL/NORMAL = %.2f\n", rate["baseline/FULL"]/rate["baseline/NORMAL"])
}

// openBench opens a service over a driver with the given durability
// settings, logging nothing.
func openBench(b *testing.B, synchronous string, batch int) (*service.Service, *DB) {
	dir := b.TempDir()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	drv, err := Open(context.Background(), filepath.Join(dir, "convstore.db"), Options{synchronous: synchronous, maxBatch: batch})
	if err != nil {
		b.Fatal(err)
	}
	db := service.New(drv, fs, service.Options{Logger: slog.New(slog.DiscardHandler)})
	b.Cleanup(func() { db.Close() })
	return db, drv
}

// openDurability opens a service with the given durability settings and
// creates a tenant.
func openDurability(b *testing.B, synchronous string, batch int) (*service.Service, *DB, convstore.ID) {
	db, drv := openBench(b, synchronous, batch)
	return db, drv, mustTenant(b, db).ID
}

// round creates n conversations of msgs messages, then times deleting them
// from r.clients goroutines at once.
func (r *durabilityRun) round(b *testing.B, msgs, n int) {
	ctx := context.Background()
	batch := make([]*convstore.MessageCreate, msgs)
	content := strings.Repeat("lorem ipsum dolor sit amet ", 8)
	for i := range batch {
		batch[i] = &convstore.MessageCreate{Role: convstore.RoleUser, Content: content}
	}
	ids := make([]convstore.ID, n)
	start := time.Now()
	for i := range ids {
		ids[i] = mustConversation(b, r.db, r.tenant, batch).ID
	}
	r.created += time.Since(start)
	start = time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range r.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1) - 1; i < int64(len(ids)); i = next.Add(1) - 1 {
				if err := r.del(ctx, ids[i]); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	r.elapsed += time.Since(start)
	r.n += n
}
