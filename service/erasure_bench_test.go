package service

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/sqlite"
)

// BenchmarkErasure compares, per conversation of one end user on SQLite,
// a dry run's count, an erasure job (create + run, one receipt each) and
// the same deletes made directly with DeleteConversation: the job's cost
// over the deletes themselves is its bookkeeping (selector walk, cancel
// check, progress commits).
func BenchmarkErasure(b *testing.B) {
	const convs = 200
	setup := func(b *testing.B) (*Service, convstore.ID, []convstore.ID) {
		b.Helper()
		ctx := context.Background()
		dir := b.TempDir()
		fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
		if err != nil {
			b.Fatal(err)
		}
		drv, err := sqlite.Open(ctx, filepath.Join(dir, "convstore.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		s := New(drv, fs, Options{})
		b.Cleanup(func() { s.Close() })
		tenant, _, err := s.CreateTenant(ctx, "t", convstore.DeleteParams{Door: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		ids := make([]convstore.ID, convs)
		for i := range ids {
			c, _, err := s.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{UserID: "u",
				Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hello"}}})
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = c.ID
		}
		return s, tenant.ID, ids
	}
	sel := convstore.ErasureSelector{UserID: "u"}
	p := convstore.DeleteParams{Door: "bench"}
	b.Run("DryRun", func(b *testing.B) {
		s, tenant, _ := setup(b)
		b.ResetTimer()
		for range b.N {
			if _, err := s.CreateErasure(context.Background(), tenant, &convstore.ErasureCreate{Selector: sel, DryRun: true}, p); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*convs), "ns/conv")
	})
	b.Run("Job", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			s, tenant, _ := setup(b)
			b.StartTimer()
			if _, err := s.CreateErasure(context.Background(), tenant, &convstore.ErasureCreate{Selector: sel}, p); err != nil {
				b.Fatal(err)
			}
			if n, err := s.RunErasures(context.Background(), ErasureRunOptions{}); err != nil || n != 1 {
				b.Fatal(n, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*convs), "ns/conv")
	})
	b.Run("DirectDeletes", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			s, tenant, ids := setup(b)
			b.StartTimer()
			for _, id := range ids {
				if _, err := s.DeleteConversation(context.Background(), tenant, id, p); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*convs), "ns/conv")
	})
}
