package convhttp

import (
	"math"
	"net/http"
	"net/netip"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/time/rate"

	"github.com/convstore/convstore"
)

// DefaultMaxTracked bounds how many keys or addresses each rate limit
// tracks when RateLimits.MaxTracked is 0. An entry costs a few hundred
// bytes, so each limit stays within tens of megabytes whatever a client
// sends.
const DefaultMaxTracked = 65536

// minIdle is the shortest time an unused bucket is kept: shorter would
// only churn the table.
const minIdle = time.Second

// RateLimit is a token bucket: Rate requests per second on average, up to
// Burst at once. The zero value turns the limit off.
type RateLimit struct {
	// Rate is the sustained rate in requests per second; 0 (or less)
	// turns the limit off.
	Rate float64

	// Burst is how many requests may come at once after a quiet spell;
	// 0 means the rate rounded up (at least 1).
	Burst int
}

// On reports whether the limit applies.
func (l RateLimit) On() bool { return l.Rate > 0 && !math.IsInf(l.Rate, 0) && !math.IsNaN(l.Rate) }

// burst returns Burst with its default applied.
func (l RateLimit) burst() int {
	if l.Burst > 0 {
		return l.Burst
	}
	return max(1, int(math.Min(math.Ceil(l.Rate), math.MaxInt32)))
}

// RateLimits configures a server's rate limits as plain data. Each limit is
// a token bucket per key or per client address; a zero RateLimit is off.
// The client address is the host of the connection's remote address (an
// IPv6 address counts as its /64, which one host usually holds whole),
// or, for connections from TrustedProxies, the last address in
// X-Forwarded-For that is not a trusted proxy.
type RateLimits struct {
	// Key limits each API key, charged after authentication.
	Key RateLimit

	// Address limits each client address, charged by every request before
	// anything else is done.
	Address RateLimit

	// Public limits each client address on the routes that need no key
	// and on requests no route matches (scanners, typos), on top of
	// Address.
	Public RateLimit

	// AuthFailure is charged once per failed authentication from a client
	// address. While its bucket is empty, that address cannot
	// authenticate at all (answered 429 without looking at the key), so
	// guessing keys from one address soon stops, while clients elsewhere
	// are unaffected.
	AuthFailure RateLimit

	// TrustedProxies lists the peers whose X-Forwarded-For header is
	// believed. Empty: the header is ignored.
	TrustedProxies []netip.Prefix

	// MaxTracked bounds the keys or addresses each limit remembers; past
	// it the least useful entries are forgotten. 0 means
	// DefaultMaxTracked.
	MaxTracked int
}

// Kinds of rate limit, as Observer.ObserveRateLimited reports them.
const (
	LimitKey         = "key"
	LimitAddress     = "address"
	LimitPublic      = "public"
	LimitAuthFailure = "auth_failure"
)

// Messages of the 429 answers.
const (
	msgKeyLimited     = "Too many requests with this API key; retry after the delay in Retry-After."
	msgAddressLimited = "Too many requests from this address; retry after the delay in Retry-After."
	msgAuthLimited    = "Too many failed authentication attempts from this address; retry after the delay in Retry-After."
)

// Limiter holds the rate-limit state of a node. One Limiter may be shared
// by several Servers (Config.Limiter), so that a client gets one budget
// however many listeners it uses. It is safe for concurrent use.
type Limiter struct {
	key, address, public, authFailure *buckets
	trusted                           []netip.Prefix
	now                               func() time.Time
}

// NewLimiter returns the state of limits.
func NewLimiter(limits RateLimits) *Limiter {
	return newLimiter(limits, time.Now, nil)
}

// newLimiter is NewLimiter with the clock injected: now for the buckets,
// and clock (nil: the wall clock) for forgetting idle entries.
func newLimiter(limits RateLimits, now func() time.Time, clock otter.Clock) *Limiter {
	size := limits.MaxTracked
	if size <= 0 {
		size = DefaultMaxTracked
	}
	return &Limiter{
		key:         newBuckets(limits.Key, size, clock),
		address:     newBuckets(limits.Address, size, clock),
		public:      newBuckets(limits.Public, size, clock),
		authFailure: newBuckets(limits.AuthFailure, size, clock),
		trusted:     limits.TrustedProxies,
		now:         now,
	}
}

// buckets is one limit's token buckets by key or address, bounded in
// number: an entry unused until its bucket has refilled is forgotten (a
// full bucket is what a new entry gets anyway), and past the size the
// cache's eviction policy, which favours entries used often, forgets the
// rest. A client rotating keys or addresses so churns the table without
// growing it.
type buckets struct {
	limit rate.Limit
	burst int
	cache *otter.Cache[string, *rate.Limiter]
}

// newBuckets returns the buckets of l, or nil when l is off.
func newBuckets(l RateLimit, size int, clock otter.Clock) *buckets {
	if !l.On() {
		return nil
	}
	burst := l.burst()
	refill := time.Duration(float64(burst) / l.Rate * float64(time.Second))
	if refill <= 0 || refill > 24*time.Hour { // overflow, or an absurdly slow rate
		refill = 24 * time.Hour
	}
	return &buckets{
		limit: rate.Limit(l.Rate),
		burst: burst,
		cache: otter.Must(&otter.Options[string, *rate.Limiter]{
			MaximumSize:      size,
			ExpiryCalculator: otter.ExpiryAccessing[string, *rate.Limiter](max(refill+time.Second, minIdle)),
			Clock:            clock,
		}),
	}
}

// take spends a token of k's bucket at now. When none is left it spends
// nothing and returns false with the time until one is.
func (b *buckets) take(k string, now time.Time) (time.Duration, bool) {
	if b == nil {
		return 0, true
	}
	lim, _ := b.cache.ComputeIfAbsent(k, func() (*rate.Limiter, bool) {
		return rate.NewLimiter(b.limit, b.burst), false
	})
	res := lim.ReserveN(now, 1)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

// wait returns how long until k's bucket holds a token, without spending
// one: 0 when it holds one now.
func (b *buckets) wait(k string, now time.Time) time.Duration {
	if b == nil {
		return 0
	}
	lim, ok := b.cache.GetIfPresent(k)
	if !ok {
		return 0
	}
	tokens := lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / float64(b.limit) * float64(time.Second))
}

// tracked returns how many entries the buckets hold after pending
// evictions, for tests.
func (b *buckets) tracked() int {
	if b == nil {
		return 0
	}
	b.cache.CleanUp()
	return b.cache.EstimatedSize()
}

// limited returns the 429 error of a rate limit with the delay after which
// the client may retry.
func limited(msg string, delay time.Duration) error {
	return WithRetryAfter(convstore.Errorf(convstore.ERATELIMITED, "%s", msg), delay)
}

// limitAddress charges a request to its client address, and to the public
// limit too for public routes and requests no route matches. It runs
// before anything else is done for the request.
func (s *Server) limitAddress(r *http.Request, public bool) error {
	l := s.cfg.Limiter
	if l.address == nil && (!public || l.public == nil) {
		return nil
	}
	addr, now := l.clientAddr(r), l.now()
	if d, ok := l.address.take(addr, now); !ok {
		s.observeLimited(LimitAddress)
		return limited(msgAddressLimited, d)
	}
	if !public {
		return nil
	}
	if d, ok := l.public.take(addr, now); !ok {
		s.observeLimited(LimitPublic)
		return limited(msgAddressLimited, d)
	}
	return nil
}

// limitKey charges a request to its authenticated key.
func (s *Server) limitKey(key *convstore.APIKey) error {
	l := s.cfg.Limiter
	if l.key == nil {
		return nil
	}
	if d, ok := l.key.take(string(key.ID[:]), l.now()); !ok {
		s.observeLimited(LimitKey)
		return limited(msgKeyLimited, d)
	}
	return nil
}

// checkAuthFailures refuses to authenticate for an address that has spent
// its failed-authentication budget, before the key is even looked at.
func (s *Server) checkAuthFailures(r *http.Request) error {
	l := s.cfg.Limiter
	if l.authFailure == nil {
		return nil
	}
	if d := l.authFailure.wait(l.clientAddr(r), l.now()); d > 0 {
		s.observeLimited(LimitAuthFailure)
		return limited(msgAuthLimited, d)
	}
	return nil
}

// chargeAuthFailure charges a failed authentication to its address and
// returns err, or the 429 of the last failure the budget allowed.
func (s *Server) chargeAuthFailure(r *http.Request, err error) error {
	l := s.cfg.Limiter
	if l.authFailure == nil {
		return err
	}
	if d, ok := l.authFailure.take(l.clientAddr(r), l.now()); !ok {
		s.observeLimited(LimitAuthFailure)
		return limited(msgAuthLimited, d)
	}
	return err
}

// refuse answers a request that matched no route with a rate-limit error
// in the format of the door its path falls under.
func (s *Server) refuse(d Door, w http.ResponseWriter, r *http.Request, err error) {
	setRetryAfter(w, err)
	s.writeError(d, w, r, err)
}
