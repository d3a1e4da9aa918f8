package convhttp_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// testClock is a clock the test moves by hand: the rate limits' buckets
// and their idle-entry expiry both read it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// NowNano and Tick make it the idle-entry clock; no ticks: the test cleans
// up explicitly.
func (c *testClock) NowNano() int64                      { return c.Now().UnixNano() }
func (c *testClock) Tick(time.Duration) <-chan time.Time { return nil }

// recordingObserver records what the server observes.
type recordingObserver struct {
	mu       sync.Mutex
	requests []convhttp.RequestRecord
	limited  map[string]int
}

func (o *recordingObserver) ObserveRequest(r convhttp.RequestRecord) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests = append(o.requests, r)
}

func (o *recordingObserver) ObserveRateLimited(kind string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.limited == nil {
		o.limited = map[string]int{}
	}
	o.limited[kind]++
}

func (o *recordingObserver) limitedBy(kind string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.limited[kind]
}

// limitEnv is a server with rate limits on a test clock, driven in process
// so each request can come from any address.
type limitEnv struct {
	t       *testing.T
	srv     *convhttp.Server
	store   *stubStore
	clock   *testClock
	limiter *convhttp.Limiter
	obs     *recordingObserver
}

// Keys of limitEnv: two of one tenant, with distinct ids.
const (
	keyOne = "csk_oneoneoneoneoneoneoneone"
	keyTwo = "csk_twotwotwotwotwotwotwotwo"
)

func newLimitEnv(t *testing.T, limits convhttp.RateLimits) *limitEnv {
	t.Helper()
	st := &stubStore{keys: map[string]*convstore.APIKey{}}
	for i, secret := range []string{keyOne, keyTwo} {
		st.keys[secret] = &convstore.APIKey{ID: convstore.ID{byte(i + 1)}, Name: fmt.Sprint("key ", i+1),
			Prefix: convstore.KeyPrefix(secret), Scopes: convstore.AllScopes}
	}
	clock := newTestClock()
	lim := convhttp.NewLimiterWithClock(limits, clock.Now, clock)
	obs := &recordingObserver{}
	srv := convhttp.NewServer(convhttp.Config{Store: st, Limiter: lim, Observer: obs})
	srv.Mount("/compat/test", &testDoor{srv: srv})
	return &limitEnv{t: t, srv: srv, store: st, clock: clock, limiter: lim, obs: obs}
}

// do serves one request from addr ("192.0.2.1:1234"); hdr holds header
// name/value pairs.
func (e *limitEnv) do(addr, method, path string, hdr ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = addr
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// want checks a status, and for 429 the Retry-After and the test door's
// error body.
func (e *limitEnv) want(rec *httptest.ResponseRecorder, status int, retryAfter string) {
	e.t.Helper()
	if rec.Code != status {
		e.t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if status != http.StatusTooManyRequests {
		return
	}
	if got := rec.Header().Get("Retry-After"); got != retryAfter {
		e.t.Fatalf("Retry-After %q, want %q", got, retryAfter)
	}
	var body struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Status != 429 || body.Error == "" {
		e.t.Fatalf("429 body %q is not the door's error format (%v)", rec.Body, err)
	}
}

const (
	addrA = "192.0.2.1:40000"
	addrB = "198.51.100.7:40000"
)

func TestKeyRateLimit(t *testing.T) {
	t.Parallel()
	e := newLimitEnv(t, convhttp.RateLimits{Key: convhttp.RateLimit{Rate: 0.5, Burst: 2}})
	for range 2 {
		e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 200, "")
	}
	// The third in the same instant is refused; a token comes back in 2 s.
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 429, "2")
	// The same key from elsewhere is the same budget.
	e.want(e.do(addrB, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 429, "2")
	// Another key, even from the same address, has its own.
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyTwo), 200, "")
	// Public routes are not charged to any key.
	e.want(e.do(addrA, "GET", "/compat/test/public", "X-Test-Key", keyOne), 200, "")
	e.clock.Advance(2 * time.Second)
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 200, "")
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 429, "2")
	if n := e.obs.limitedBy(convhttp.LimitKey); n != 3 {
		t.Errorf("observer saw %d key refusals, want 3", n)
	}
}

func TestAuthFailureRateLimit(t *testing.T) {
	t.Parallel()
	e := newLimitEnv(t, convhttp.RateLimits{AuthFailure: convhttp.RateLimit{Rate: 0.1, Burst: 3}})
	// Three wrong keys are three 401s; the fourth failure is refused.
	for _, secret := range []string{"csk_wrongwrongwrongwrong1", "", "csk_wrongwrongwrongwrong2"} {
		e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", secret), 401, "")
	}
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", "csk_wrongwrongwrongwrong3"), 429, "10")
	// While the budget is spent, the address cannot authenticate at all,
	// not even with a valid key, and no key is looked up.
	before := e.store.auths.Load()
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 429, "10")
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", "csk_wrongwrongwrongwrong4"), 429, "10")
	if n := e.store.auths.Load() - before; n != 0 {
		t.Errorf("%d keys looked up for an address out of authentication attempts", n)
	}
	// Another address with a valid key is served, and public routes stay
	// open to the first.
	e.want(e.do(addrB, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 200, "")
	e.want(e.do(addrA, "GET", "/compat/test/public"), 200, "")
	// Once a failure's worth of budget has come back, the address may try
	// again: a valid key is served and does not spend it.
	e.clock.Advance(10 * time.Second)
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 200, "")
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 200, "")
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", "csk_wrongwrongwrongwrong5"), 401, "")
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 429, "10")
	if n := e.obs.limitedBy(convhttp.LimitAuthFailure); n != 4 {
		t.Errorf("observer saw %d auth-failure refusals, want 4", n)
	}
}

func TestAddressRateLimit(t *testing.T) {
	t.Parallel()
	e := newLimitEnv(t, convhttp.RateLimits{Address: convhttp.RateLimit{Rate: 1, Burst: 3}})
	// Every kind of request counts: scoped, public, and unmatched.
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 200, "")
	e.want(e.do(addrA, "GET", "/compat/test/public"), 200, "")
	e.want(e.do(addrA, "GET", "/compat/test/nowhere"), 404, "")
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyTwo), 429, "1")
	e.want(e.do(addrA, "GET", "/compat/test/nowhere"), 429, "1")
	e.want(e.do(addrA, "PUT", "/compat/test/public"), 429, "1") // a 405 would-be
	// Outside every door the native problem format answers.
	rec := e.do(addrA, "GET", "/elsewhere")
	if rec.Code != 429 || rec.Header().Get("Content-Type") != "application/problem+json" || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("outside every door: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	e.want(e.do(addrB, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 200, "")
	if n := e.obs.limitedBy(convhttp.LimitAddress); n != 4 {
		t.Errorf("observer saw %d address refusals, want 4", n)
	}
}

func TestPublicRateLimit(t *testing.T) {
	t.Parallel()
	e := newLimitEnv(t, convhttp.RateLimits{Public: convhttp.RateLimit{Rate: 1, Burst: 2}})
	e.want(e.do(addrA, "GET", "/compat/test/public"), 200, "")
	e.want(e.do(addrA, "GET", "/compat/test/nowhere"), 404, "")
	e.want(e.do(addrA, "GET", "/compat/test/public"), 429, "1")
	e.want(e.do(addrA, "GET", "/compat/test/nowhere"), 429, "1")
	e.want(e.do(addrA, "DELETE", "/compat/test/public"), 429, "1")
	rec := e.do(addrA, "GET", convhttp.PathHealth)
	if rec.Code != 429 || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("probe past the public limit: %d %s", rec.Code, rec.Body)
	}
	// Routes that need a key are not public.
	e.want(e.do(addrA, "GET", "/compat/test/things/1", "X-Test-Key", keyOne), 200, "")
	e.want(e.do(addrB, "GET", "/compat/test/public"), 200, "")
}

func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	e := newLimitEnv(t, convhttp.RateLimits{
		Address:        convhttp.RateLimit{Rate: 1, Burst: 1},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	})
	const proxy = "10.1.1.1:5000"
	xff := func(v string) []string { return []string{"X-Forwarded-For", v} }
	e.want(e.do(proxy, "GET", "/compat/test/public", xff("203.0.113.5")...), 200, "")
	e.want(e.do(proxy, "GET", "/compat/test/public", xff("203.0.113.6")...), 200, "")
	e.want(e.do(proxy, "GET", "/compat/test/public", xff("203.0.113.5")...), 429, "1")
	// Proxies in the chain are skipped; what the client wrote before the
	// first untrusted hop is not believed.
	e.want(e.do(proxy, "GET", "/compat/test/public", xff("198.18.0.1, 203.0.113.6, 10.2.2.2")...), 429, "1")
	e.want(e.do(proxy, "GET", "/compat/test/public", xff("203.0.113.6, 198.18.0.2, 10.2.2.2")...), 200, "")
	// Garbage stops the walk at the last trusted hop.
	e.want(e.do(proxy, "GET", "/compat/test/public", xff("not an address, 10.3.3.3")...), 200, "")
	e.want(e.do(proxy, "GET", "/compat/test/public", xff("nonsense, 10.3.3.3")...), 429, "1")
	// An untrusted peer's header is ignored.
	e.want(e.do(addrA, "GET", "/compat/test/public", xff("203.0.113.7")...), 200, "")
	e.want(e.do(addrA, "GET", "/compat/test/public", xff("203.0.113.8")...), 429, "1")
}

func TestIPv6AddressesCountAsTheirSlash64(t *testing.T) {
	t.Parallel()
	e := newLimitEnv(t, convhttp.RateLimits{Address: convhttp.RateLimit{Rate: 1, Burst: 1}})
	e.want(e.do("[2001:db8:1:2::1]:443", "GET", "/compat/test/public"), 200, "")
	e.want(e.do("[2001:db8:1:2:ffff::9]:443", "GET", "/compat/test/public"), 429, "1")
	e.want(e.do("[2001:db8:1:3::1]:443", "GET", "/compat/test/public"), 200, "")
	// An IPv4-mapped address is its IPv4 address.
	e.want(e.do("[::ffff:192.0.2.1]:443", "GET", "/compat/test/public"), 200, "")
	e.want(e.do(addrA, "GET", "/compat/test/public"), 429, "1")
}

// TestRateLimitMemoryIsBounded sends requests from many more addresses
// and keys than the limits may track, and checks that they track no more,
// and that entries left idle until their bucket refilled are forgotten.
func TestRateLimitMemoryIsBounded(t *testing.T) {
	t.Parallel()
	const maxTracked, clients = 64, 5000
	e := newLimitEnv(t, convhttp.RateLimits{
		Key:         convhttp.RateLimit{Rate: 10, Burst: 20},
		Address:     convhttp.RateLimit{Rate: 10, Burst: 20},
		Public:      convhttp.RateLimit{Rate: 10, Burst: 20},
		AuthFailure: convhttp.RateLimit{Rate: 1, Burst: 5},
		MaxTracked:  maxTracked,
	})
	for i := range clients {
		secret := fmt.Sprintf("csk_rotating%016d", i)
		e.store.keys[secret] = &convstore.APIKey{ID: convstore.ID{0xee, byte(i >> 8), byte(i)}, Prefix: convstore.KeyPrefix(secret), Scopes: convstore.AllScopes}
	}
	for i := range clients {
		addr := fmt.Sprintf("10.%d.%d.1:1000", i>>8, i&0xff)
		e.want(e.do(addr, "GET", "/compat/test/things/1", "X-Test-Key", fmt.Sprintf("csk_rotating%016d", i)), 200, "")
		e.want(e.do(addr, "GET", "/compat/test/nowhere"), 404, "")
		e.want(e.do(addr, "GET", "/compat/test/things/1", "X-Test-Key", "csk_wrongwrongwrongwrong"), 401, "")
	}
	for kind, n := range e.limiter.Tracked() {
		if n < 1 || n > maxTracked {
			t.Errorf("%s limit tracks %d entries after %d clients, want 1 to %d", kind, n, clients, maxTracked)
		}
	}
	// The slowest bucket (5 at 1/s) is full again after 5 s; a second
	// more and every entry is forgotten.
	e.clock.Advance(6*time.Second + time.Millisecond)
	for kind, n := range e.limiter.Tracked() {
		if n != 0 {
			t.Errorf("%s limit still tracks %d idle entries", kind, n)
		}
	}
}

// TestObserverSeesPatterns checks the request records: the route is the
// pattern, never the raw path, and the door is known even for unmatched
// requests.
func TestObserverSeesPatterns(t *testing.T) {
	t.Parallel()
	e := newLimitEnv(t, convhttp.RateLimits{})
	e.want(e.do(addrA, "GET", "/compat/test/things/secret-id-42", "X-Test-Key", keyOne), 200, "")
	e.want(e.do(addrA, "GET", "/compat/test/nowhere/else"), 404, "")
	e.do(addrA, "GET", convhttp.PathHealth)
	e.do(addrA, "BREW", "/compat/test/public")
	want := []convhttp.RequestRecord{
		{Door: "test", Route: "GET /compat/test/things/{id}", Method: "GET", Status: 200},
		{Door: "test", Route: "", Method: "GET", Status: 404},
		{Door: convhttp.DoorServer, Route: "GET " + convhttp.PathHealth, Method: "GET", Status: 200},
		{Door: "test", Route: "", Method: "OTHER", Status: 405},
	}
	e.obs.mu.Lock()
	defer e.obs.mu.Unlock()
	if len(e.obs.requests) != len(want) {
		t.Fatalf("observed %d requests, want %d: %+v", len(e.obs.requests), len(want), e.obs.requests)
	}
	for i, got := range e.obs.requests {
		if got.Duration <= 0 || got.Bytes <= 0 {
			t.Errorf("request %d: duration %v, bytes %d", i, got.Duration, got.Bytes)
		}
		got.Duration, got.Bytes = 0, 0
		if got != want[i] {
			t.Errorf("request %d: %+v, want %+v", i, got, want[i])
		}
	}
}
