package main

import (
	"context"
	"net/http"
	"net/netip"
	"reflect"
	"testing"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

func TestParseRateLimit(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]convhttp.RateLimit{
		"100/s:200": {Rate: 100, Burst: 200},
		"100:200":   {Rate: 100, Burst: 200},
		"50":        {Rate: 50},
		"10/m:20":   {Rate: 10.0 / 60, Burst: 20},
		"36/h":      {Rate: 0.01},
		"0.5/s:1":   {Rate: 0.5, Burst: 1},
		"0":         {},
		"off":       {},
	} {
		got, err := parseRateLimit(in)
		if err != nil || got != want {
			t.Errorf("parseRateLimit(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "-1", "10/d", "10/s:0", "10/s:x", "10/s:-3", "NaN", "Inf", "/s", "10/s:20:30"} {
		if got, err := parseRateLimit(in); err == nil {
			t.Errorf("parseRateLimit(%q) = %+v, want an error", in, got)
		}
	}
	// What the help shows parses back to the same limit.
	for _, l := range []convhttp.RateLimit{defaultKeyRateLimit, defaultAddressRateLimit, defaultPublicRateLimit, defaultAuthFailureRateLimit, {Rate: 0.01}} {
		s := formatRateLimit(l)
		back, err := parseRateLimit(s)
		if err != nil || back.Burst != l.Burst || back.Rate-l.Rate > 1e-9 || l.Rate-back.Rate > 1e-9 {
			t.Errorf("%+v formats as %q, which parses as %+v, %v", l, s, back, err)
		}
	}
	if s := formatRateLimit(defaultAuthFailureRateLimit); s != "10/m:20" {
		t.Errorf("default auth-failure limit shows as %q", s)
	}
}

func TestRateLimitFlagsAndEnvironment(t *testing.T) {
	t.Parallel()
	m := NewMain()
	m.Stderr = &syncBuffer{}
	env := map[string]string{
		"CONVSTORE_IP_RATE_LIMIT":   "0",
		"CONVSTORE_RATE_LIMIT":      "1/s:1", // the flag wins
		"CONVSTORE_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,::ffff:172.16.0.0/108",
	}
	if err := m.ParseFlags([]string{"--rate-limit", "5/s:10", "--auth-failure-rate-limit", "3/m"}, mapEnv(env)); err != nil {
		t.Fatal(err)
	}
	got := m.Config.RateLimits()
	want := convhttp.RateLimits{
		Key:         convhttp.RateLimit{Rate: 5, Burst: 10},
		Public:      defaultPublicRateLimit,
		AuthFailure: convhttp.RateLimit{Rate: 0.05},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
			netip.MustParsePrefix("172.16.0.0/12")},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("limits %+v, want %+v", got, want)
	}
	for _, args := range [][]string{{"--rate-limit", "fast"}, {"--trusted-proxies", "10.0.0.0/33"}, {"--trusted-proxies", "proxy.local"}} {
		m := NewMain()
		m.Stderr = &syncBuffer{}
		if err := m.ParseFlags(args, nil); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

// TestServeRateLimit runs the server with a tight per-key limit and checks
// the client sees ERATELIMITED with the server's Retry-After.
func TestServeRateLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "--rate-limit", "1/h:2")
	c := ts.client()
	ctx := context.Background()
	for range 2 {
		if _, _, err := c.FindConversations(ctx, convstore.ID{}, convstore.ConversationFilter{}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err := c.FindConversations(ctx, convstore.ID{}, convstore.ConversationFilter{})
	if convstore.ErrorCode(err) != convstore.ERATELIMITED {
		t.Fatalf("third request: %v, want %s", err, convstore.ERATELIMITED)
	}
	req, _ := http.NewRequest("GET", ts.m.URL()+"/v1/conversations", nil)
	req.Header.Set("Authorization", "Bearer "+testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3600" {
		t.Fatalf("status %d, Retry-After %q; want 429 and 3600", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
