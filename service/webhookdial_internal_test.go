package service

import (
	"net/netip"
	"testing"
	"time"
)

// The dialer refuses metadata and the server's own listeners always,
// other private addresses unless allowed, and nothing public.
func TestWebhookDialForbidden(t *testing.T) {
	s := &Service{}
	s.SetOwnAddrs([]string{"0.0.0.0:8080"})
	strict, lax := s.webhookDialForbidden(false), s.webhookDialForbidden(true)
	for _, tc := range []struct {
		addr          string
		strict, allow bool // forbidden without, with --webhook-allow-private
	}{
		{"93.184.216.34:443", false, false},
		{"[2606:2800:220:1:248:1893:25c8:1946]:443", false, false},
		{"169.254.169.254:80", true, true},
		{"[fd00:ec2::254]:80", true, true},
		{"[::ffff:169.254.169.254]:80", true, true},
		{"127.0.0.1:8080", true, true}, // this server's listener
		{"[::1]:8080", true, true},
		{"127.0.0.1:9000", true, false},
		{"10.1.2.3:443", true, false},
		{"192.168.1.1:443", true, false},
		{"169.254.1.1:80", true, false},
		{"[fe80::1]:80", true, false},
		{"0.0.0.0:80", true, true},
		{"224.0.0.1:80", true, true},
	} {
		ap := netip.MustParseAddrPort(tc.addr)
		if got := strict(ap); got != tc.strict {
			t.Errorf("%s: forbidden = %v without allowing private targets, want %v", tc.addr, got, tc.strict)
		}
		if got := lax(ap); got != tc.allow {
			t.Errorf("%s: forbidden = %v allowing private targets, want %v", tc.addr, got, tc.allow)
		}
	}
}

func TestWebhookRetryDelay(t *testing.T) {
	schedule := []time.Duration{time.Second, time.Minute}
	for range 100 {
		if d, ok := webhookRetryDelay(schedule, 1); !ok || d < 0 || d > time.Second {
			t.Fatalf("after attempt 1: %v, %v; want within [0, 1s]", d, ok)
		}
		if d, ok := webhookRetryDelay(schedule, 2); !ok || d < 0 || d > time.Minute {
			t.Fatalf("after attempt 2: %v, %v; want within [0, 1m]", d, ok)
		}
	}
	if _, ok := webhookRetryDelay(schedule, 3); ok {
		t.Fatal("a retry after the schedule's end")
	}
	if p := retryPeriod(DefaultWebhookRetrySchedule); p != 23*time.Hour+37*time.Minute+35*time.Second {
		t.Fatalf("the default retry period is %v; the README says 23h37m35s", p)
	}
}
