package metrics_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/metrics"
)

// BenchmarkRequestMetrics reads a conversation through the native door in
// process over SQLite, without and with metrics (the request observer and
// the counting store): the ratio is what metrics cost a request.
func BenchmarkRequestMetrics(b *testing.B) {
	for _, withMetrics := range []bool{false, true} {
		name := map[bool]string{false: "off", true: "on"}[withMetrics]
		b.Run(name, func(b *testing.B) {
			env := doortest.New(b)
			conv, _, err := env.Store.CreateConversation(context.Background(), env.TenantA, &convstore.ConversationCreate{Title: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			cfg := env.Config()
			cfg.Logger = nil // the access log would dominate
			if withMetrics {
				met := metrics.New(nil)
				met.Instrument(env.Store)
				cfg.Observer, cfg.Store = met, met.Store(env.Store)
			}
			h := v1.NewServer(cfg).Handler()
			path := "/v1/conversations/" + conv.ID.Format(convstore.PrefixConversation)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", "Bearer "+env.KeyA)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}

// BenchmarkObserveRequest is the cost of counting one request.
func BenchmarkObserveRequest(b *testing.B) {
	met := metrics.New(nil)
	rec := convhttp.RequestRecord{Door: "native", Route: "GET /v1/conversations/{conversation_id}", Method: "GET", Status: 200, Duration: 1234567}
	b.ReportAllocs()
	for range b.N {
		met.ObserveRequest(rec)
	}
}
