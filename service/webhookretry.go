package service

import (
	"math/rand/v2"
	"time"
)

// DefaultWebhookRetrySchedule is the wait before each retry of a failed
// delivery, before jitter: exponential backoff up to 8 hours. A
// delivery is attempted once and retried len(schedule) times, then it
// fails: at most 23 h 37 min 35 s after its first attempt (the sum; with
// full jitter the retries come, on average, after half of each wait).
var DefaultWebhookRetrySchedule = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 5 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 8 * time.Hour,
}

// retryDelay returns the wait before the retry that follows attempt
// (1 for the first attempt), and false once the retries are spent. The
// wait is drawn uniformly from [0, step] ("full jitter"), so the
// retries of many deliveries that failed together (a receiver that was
// down) spread out rather than return at once.
func webhookRetryDelay(schedule []time.Duration, attempt int) (time.Duration, bool) {
	if attempt < 1 || attempt > len(schedule) {
		return 0, false
	}
	step := schedule[attempt-1]
	if step <= 0 {
		return 0, true
	}
	return rand.N(step + 1), true
}

// retryPeriod is the longest a delivery is retried: the schedule's sum.
func retryPeriod(schedule []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range schedule {
		sum += d
	}
	return sum
}
