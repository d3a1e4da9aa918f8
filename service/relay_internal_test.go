package service

import (
	"testing"
	"time"
)

// The wait after failures doubles from relayMinBackoff up to the cap,
// each drawn between half of it and all of it.
func TestRelayBackoff(t *testing.T) {
	ceiling := 2 * time.Second
	for n := 1; n <= 30; n++ {
		want := relayMinBackoff << min(n-1, 20)
		want = min(want, ceiling)
		for range 20 {
			if d := relayBackoff(n, ceiling); d < want/2 || d > want {
				t.Fatalf("relayBackoff(%d) = %v, want between %v and %v", n, d, want/2, want)
			}
		}
	}
}
