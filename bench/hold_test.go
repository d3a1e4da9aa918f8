package bench

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/convstore/convstore"
)

// placeHolds places n agent holds and n user holds in the tenant, none of
// them on the benchmark's conversations (agent "", user "user-1").
func (e *env) placeHolds(b *testing.B, n int) {
	b.Helper()
	for i := range n {
		for _, c := range []*convstore.HoldCreate{
			{AgentID: "agent-" + strconv.Itoa(i), Reason: "bench"},
			{UserID: "user-held-" + strconv.Itoa(i), Reason: "bench"},
		} {
			if _, err := e.store.CreateHold(e.ctx, e.tenant, c, convstore.DeleteParams{Door: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkDeleteUnderHolds measures conversation deletes (10 messages)
// on the engine with no holds and with 2×100 holds on other users and
// agents in the tenant: the cost of the hold check every delete makes.
func BenchmarkDeleteUnderHolds(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, holds := range []int{0, 100} {
			b.Run(fmt.Sprintf("%s/holds=%d", engine, holds*2), func(b *testing.B) {
				e := newEnv(b, engine, 0)
				e.placeHolds(b, holds)
				b.ResetTimer()
				for done := 0; done < b.N; {
					b.StopTimer()
					ids := e.createConversations(b, min(batchSize, b.N-done), 10)
					b.StartTimer()
					e.deleteAll(b, ids)
					done += len(ids)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "convs/s")
			})
		}
	}
}

// BenchmarkFindHeldConversations measures the batch question retention
// and erasure jobs ask: which of 500 conversations are held, with 2×100
// holds in the tenant and one of the 500 held.
func BenchmarkFindHeldConversations(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			e := newEnv(b, engine, 0)
			e.placeHolds(b, 100)
			ids := e.createConversations(b, convstore.MaxHeldBatch, 1)
			if _, err := e.store.CreateHold(e.ctx, e.tenant, &convstore.HoldCreate{ConversationID: ids[7], Reason: "bench"}, convstore.DeleteParams{Door: "bench"}); err != nil {
				b.Fatal(err)
			}
			hf, ok := e.store.(convstore.HeldFinder)
			if !ok {
				b.Fatalf("%T is no HeldFinder", e.store)
			}
			b.ResetTimer()
			for range b.N {
				held, err := hf.FindHeldConversations(e.ctx, e.tenant, ids)
				if err != nil || len(held) != 1 {
					b.Fatalf("%v, %v", held, err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(len(ids)), "µs/conv")
		})
	}
}
