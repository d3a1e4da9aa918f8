package postgres_test

import (
	"fmt"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres/pgtest"
)

// BenchmarkDeleteConversation measures permanent deletes of conversations
// of 10 and 1000 messages (with their receipts and audit entries), in
// conversations per second.
func BenchmarkDeleteConversation(b *testing.B) {
	for _, msgs := range []int{10, 1000} {
		b.Run(fmt.Sprintf("msgs=%d", msgs), func(b *testing.B) {
			db := pgtest.Open(b)
			ctx := testCtx(b)
			tenant := mustTenant(b, ctx, db)
			batch := textBatch("benchmark message", msgs)
			ids := make([]convstore.ID, b.N)
			for i := range ids {
				conv, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{Messages: batch})
				if err != nil {
					b.Fatal(err)
				}
				ids[i] = conv.ID
			}
			p := convstore.DeleteParams{Door: "bench"}
			b.ResetTimer()
			for _, id := range ids {
				if _, err := db.DeleteConversation(ctx, tenant.ID, id, p); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conversations/s")
		})
	}
}
