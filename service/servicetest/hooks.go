package servicetest

import (
	"testing"
	"time"
)

// skipLegacy skips a test that pins a rule a legacy engine (see
// Harness.Legacy) still breaks, naming the divergence.
func (f *fixture) skipLegacy(t *testing.T, divergence string) {
	t.Helper()
	if f.Legacy != "" {
		t.Skipf("%s implements convstore.Store itself and still diverges here (%s); its port to a driver fixes it", f.Legacy, divergence)
	}
}

// needClock skips a test of a time-bound rule on a store whose clock the
// suite cannot move.
func (f *fixture) needClock(t *testing.T) *Clock {
	t.Helper()
	if f.Clock == nil {
		t.Skip("the store's clock cannot be moved; the time-bound part needs it")
	}
	return f.Clock
}

// pass lets d pass for the store: it moves the store's clock when the
// suite can, and otherwise waits (an engine whose clock the suite cannot
// move, whose stored times must still differ).
func (f *fixture) pass(d time.Duration) {
	if f.Clock != nil {
		f.Clock.Advance(d)
		return
	}
	time.Sleep(d)
}
