package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/driver"
	"github.com/convstore/convstore/keyring"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/seal"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/sqlite"
)

// rotationKeys is how many live data keys each rotation re-wraps.
const rotationKeys = 20000

// BenchmarkKeyRotation measures how fast a rotation re-wraps live data
// keys (keys/s, and the minutes a store of one million conversations
// would take at that rate), and what it costs the traffic it runs beside:
// appends to a sealed conversation are counted while a rotation runs and
// for as long again without one, taking turns in one run, and their
// ratio reported (append-ratio: 1 means no cost).
//
//	go test -run '^$' -bench KeyRotation -benchtime 3x ./bench/
func BenchmarkKeyRotation(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			svc, drv, ring := openSealed(b, engine)
			tenant, _, err := svc.CreateTenant(ctx, "bench", convstore.DeleteParams{Door: "test"})
			if err != nil {
				b.Fatal(err)
			}
			insertKeys(b, drv, ring, tenant.ID, rotationKeys)
			conv, _, err := svc.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Title: "traffic"})
			if err != nil {
				b.Fatal(err)
			}
			content := strings.Repeat("The caller asks about invoice 17 and a refund. ", 4)
			appendOne := func() {
				m := &convstore.MessageCreate{Role: convstore.RoleUser, Content: content}
				if _, err := svc.CreateMessages(ctx, tenant.ID, conv.ID, []*convstore.MessageCreate{m}); err != nil {
					b.Error(err)
				}
			}
			// appendsDuring counts appends made while fn runs.
			appendsDuring := func(fn func()) (int64, time.Duration) {
				var n atomic.Int64
				stop := make(chan struct{})
				var wg sync.WaitGroup
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						appendOne()
						n.Add(1)
					}
				}()
				start := time.Now()
				fn()
				took := time.Since(start)
				close(stop)
				wg.Wait()
				return n.Load(), took
			}
			var rewrapped int
			var rotating time.Duration
			var withRotation, without int64
			b.ResetTimer()
			for range b.N {
				var out service.KeyRotation
				n, took := appendsDuring(func() {
					if out, err = svc.RotateKeys(ctx, 365*24*time.Hour); err != nil {
						b.Fatal(err)
					}
				})
				if out.Rewrapped < rotationKeys {
					b.Fatalf("rotation re-wrapped %d keys, want %d", out.Rewrapped, rotationKeys)
				}
				rewrapped += out.Rewrapped
				rotating += took
				withRotation += n
				m, _ := appendsDuring(func() { time.Sleep(took) })
				without += m
			}
			b.StopTimer()
			rate := float64(rewrapped) / rotating.Seconds()
			b.ReportMetric(rate, "keys/s")
			b.ReportMetric(1e6/rate/60, "min/1M-keys")
			if without > 0 {
				b.ReportMetric(float64(withRotation)/float64(without), "append-ratio")
			}
			rotationRates[engine] = fmt.Sprintf("%.0f keys/s (1M keys in %.1f min); appends during rotation / without = %.2f",
				rate, 1e6/rate/60, float64(withRotation)/float64(max(without, 1)))
		})
	}
}

// rotationRates keeps each engine's figures for the summary TestMain prints.
var rotationRates = map[string]string{}

// openSealed opens a sealed store of the engine on a fresh database, with
// its driver and keyring.
func openSealed(b *testing.B, engine string) (*service.Service, driver.Driver, *keyring.Keyring) {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	ring, err := keyring.Open(ctx, keyring.Config{Path: filepath.Join(dir, "keyring"), Create: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ring.Close() })
	var drv driver.Driver
	var blobs convstore.BlobStore
	switch engine {
	case "sqlite":
		if blobs, err = blob.NewFS(filepath.Join(dir, "blobs")); err != nil {
			b.Fatal(err)
		}
		if drv, err = sqlite.Open(ctx, filepath.Join(dir, "convstore.db"), sqlite.Options{}); err != nil {
			b.Fatal(err)
		}
	case "postgres":
		db := pgtest.OpenSchema(b, pgtest.NewSchema(b), postgres.Options{MaxConns: 8})
		drv, blobs = db, db.Blobs()
	}
	svc, err := service.Open(drv, blobs, service.Options{Keyring: ring})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.Close() })
	return svc, drv, ring
}

// insertKeys stores n conversations with wrapped data keys straight
// through the driver, a thousand to a transaction (what a rotation reads
// and writes is only the keys).
func insertKeys(b *testing.B, drv driver.Driver, ring *keyring.Keyring, tenant convstore.ID, n int) {
	b.Helper()
	epoch := ring.Current().ID
	for done := 0; done < n; {
		batch := min(1000, n-done)
		err := drv.Write(context.Background(), driver.WriteParams{}, func(ctx context.Context, tx driver.Tx) error {
			now := time.Now().UTC().Truncate(time.Microsecond)
			for range batch {
				id := convstore.NewID()
				if err := tx.ConversationInsert(ctx, &driver.ConversationRow{Conversation: convstore.Conversation{
					ID: id, TenantID: tenant, Seq: convstore.NewSeq(id), CreatedAt: now, UpdatedAt: now}}); err != nil {
					return err
				}
				// As the service binds a wrapped key (service.keyAAD).
				aad := seal.Context{Tenant: tenant.UUID(), Conversation: id.UUID()}.AAD()
				wrapped, err := ring.Wrap(epoch, seal.NewDEK(), aad)
				if err != nil {
					return err
				}
				if err := tx.ConversationKeyInsert(ctx, &driver.ConversationKey{TenantID: tenant, ConversationID: id,
					Epoch: epoch, Wrapped: wrapped, CreatedAt: now}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		done += batch
	}
}
