package convhttp_test

import (
	"fmt"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// BenchmarkRateLimitOverhead serves an authenticated route in process
// with every limit off, then on (rates high enough never to refuse), from
// a few addresses: the ratio is what the limits cost a request.
func BenchmarkRateLimitOverhead(b *testing.B) {
	high := convhttp.RateLimit{Rate: 1e9, Burst: 1e9}
	for _, bc := range []struct {
		name   string
		limits convhttp.RateLimits
	}{
		{"off", convhttp.RateLimits{}},
		{"on", convhttp.RateLimits{Key: high, Address: high, Public: high, AuthFailure: high}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			st := &stubStore{keys: map[string]*convstore.APIKey{
				keyOne: {ID: convstore.ID{1}, Prefix: convstore.KeyPrefix(keyOne), Scopes: convstore.AllScopes},
			}}
			srv := convhttp.NewServer(convhttp.Config{Store: st, RateLimits: bc.limits})
			srv.Mount("/compat/test", &testDoor{srv: srv})
			h := srv.Handler()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					req := httptest.NewRequest("GET", "/compat/test/things/1", nil)
					req.RemoteAddr = fmt.Sprintf("192.0.2.%d:1000", i%8)
					req.Header.Set("X-Test-Key", keyOne)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("status %d", rec.Code)
					}
					i++
				}
			})
		})
	}
}

// BenchmarkTrackedAddressBytes fills the address limit with distinct
// addresses up to its bound and reports the heap each tracked address
// costs, which with DefaultMaxTracked bounds a limit's memory.
func BenchmarkTrackedAddressBytes(b *testing.B) {
	const n = convhttp.DefaultMaxTracked
	for range b.N {
		clock := newTestClock()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		lim := convhttp.NewLimiterWithClock(convhttp.RateLimits{Address: convhttp.RateLimit{Rate: 10, Burst: 20}}, clock.Now, clock)
		srv := convhttp.NewServer(convhttp.Config{Store: &stubStore{}, Limiter: lim})
		h := srv.Handler()
		for i := range n {
			req := httptest.NewRequest("GET", convhttp.PathHealth, nil)
			req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:1000", i>>16, (i>>8)&0xff, i&0xff)
			h.ServeHTTP(httptest.NewRecorder(), req)
		}
		tracked := lim.Tracked()[convhttp.LimitAddress]
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(tracked), "bytes/address")
		b.ReportMetric(float64(tracked), "tracked")
		runtime.KeepAlive(h)
	}
}
