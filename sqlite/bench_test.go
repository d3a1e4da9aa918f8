package sqlite

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

// BenchmarkDeleteConversation measures DeleteConversation through the
// store: receipt, audit entry and cascade included. Conversations are
// created in batches with the timer stopped.
func BenchmarkDeleteConversation(b *testing.B) {
	for _, msgs := range []int{10, 1000} {
		b.Run(fmt.Sprintf("messages=%d", msgs), func(b *testing.B) {
			ctx := context.Background()
			db, _ := openTest(b, b.TempDir(), nil)
			db.logger = slog.New(slog.DiscardHandler)
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
	db, _ := openTest(b, b.TempDir(), nil)
	db.logger = slog.New(slog.DiscardHandler)
	_, key, err := db.CreateTenant(ctx, "bench", convstore.DeleteParams{Door: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	_, tok, err := db.CreateAccessToken(ctx, key.TenantID, key.ID, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		auth func() (*convstore.APIKey, error)
	}{
		{"key", func() (*convstore.APIKey, error) { return db.Authenticate(ctx, key.Secret) }},
		{"access_token", func() (*convstore.APIKey, error) { return db.AuthenticateAccessToken(ctx, tok) }},
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
