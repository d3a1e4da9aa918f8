package convhttp

import (
	"time"

	"github.com/maypok86/otter/v2"
)

// NewLimiterWithClock is NewLimiter on a test clock: now for the buckets,
// clock for forgetting idle entries.
func NewLimiterWithClock(limits RateLimits, now func() time.Time, clock otter.Clock) *Limiter {
	return newLimiter(limits, now, clock)
}

// Tracked returns how many keys and addresses each limit holds.
func (l *Limiter) Tracked() map[string]int {
	return map[string]int{
		LimitKey:         l.key.tracked(),
		LimitAddress:     l.address.tracked(),
		LimitPublic:      l.public.tracked(),
		LimitAuthFailure: l.authFailure.tracked(),
	}
}
