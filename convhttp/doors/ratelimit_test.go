package doors_test

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doors"
	"github.com/convstore/convstore/convhttp/doortest"
)

// limitCase is how the rate-limit test reaches one door on the main
// listener: a read route, the door's credential, and what its 429 looks
// like.
type limitCase struct {
	name        string
	prefix      string
	read        string                    // a GET route needing a read key, relative to prefix
	auth        func(key string) []string // header pairs carrying the key
	contentType string
	bodyHas     string // a fragment only the door's 429 body has
}

func bearer(key string) []string { return []string{"Authorization", "Bearer " + key} }

var limitCases = []limitCase{
	{"native", "", "/v1/conversations", bearer, "application/problem+json", `"code":"rate_limited"`},
	{"stammer", "/compat/stammer", "/en/chatbot/api/v1/conversations/?onlyDeletedConversations=false&chatbot_uuid=" + bot,
		func(k string) []string { return []string{"Authorization", "Token " + k} }, "application/json", `"error":"throttled"`},
	{"symbl", "/compat/symbl", "/v1/conversations", bearer, "application/json", `"statusCode":429`},
	{"elevenlabs", "/compat/elevenlabs", "/v1/convai/conversations",
		func(k string) []string { return []string{"xi-api-key", k} }, "application/json", `"status":"too_many_requests"`},
	{"botpress", "/compat/botpress", "/v1/chat/conversations",
		func(k string) []string { return []string{"Authorization", "Bearer " + k, "x-bot-id", bot} }, "application/json", `"type":"RateLimited"`},
	{"inkeep", "/compat/inkeep", "/conversations", bearer, "application/problem+json", `"code":"too_many_requests"`},
}

// limitedServer serves the main listener's server over env's store with
// limits, from 127.0.0.1.
func limitedServer(t *testing.T, env *doortest.Env, limits convhttp.RateLimits) *doortest.Client {
	t.Helper()
	cfg := env.Config()
	cfg.RateLimits = limits
	s := doors.NewMainServer(cfg)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &doortest.Client{TB: t, URL: ts.URL, Server: s}
}

// from returns a client of the same server whose connections come from
// another loopback address, a different client address to the server.
func from(c *doortest.Client, ip string) *doortest.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	c.TB.Cleanup(tr.CloseIdleConnections)
	return &doortest.Client{TB: c.TB, URL: c.URL, Server: c.Server, HTTP: &http.Client{Transport: tr}}
}

// want429 checks a rate-limit answer in the door's own format.
func want429(t *testing.T, lc limitCase, r *doortest.Response, retryAfter string) {
	t.Helper()
	doortest.Expect(t, r, http.StatusTooManyRequests, lc.contentType)
	if got := r.Header.Get("Retry-After"); got != retryAfter {
		t.Fatalf("%v: Retry-After %q, want %q", r, got, retryAfter)
	}
	if !bytes.Contains(r.Body, []byte(lc.bodyHas)) {
		t.Fatalf("%v: not the %s door's 429 (lacks %s)", r, lc.name, lc.bodyHas)
	}
}

func wantStatus(t *testing.T, r *doortest.Response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%v: want %d", r, status)
	}
}

// TestRateLimitsInEveryDoorsFormat drives each door past each limit and
// checks the 429, its Retry-After and the door's own error body.
func TestRateLimitsInEveryDoorsFormat(t *testing.T) {
	t.Parallel()
	// One token per 1000 s: Retry-After is "1000" right after the burst.
	slow := func(burst int) convhttp.RateLimit { return convhttp.RateLimit{Rate: 0.001, Burst: burst} }
	for _, lc := range limitCases {
		t.Run(lc.name, func(t *testing.T) {
			t.Parallel()
			env := doortest.New(t)

			t.Run("key", func(t *testing.T) {
				c := limitedServer(t, env, convhttp.RateLimits{Key: slow(2)})
				for range 2 {
					wantStatus(t, c.Do("GET", lc.prefix+lc.read, nil, lc.auth(env.KeyA)...), 200)
				}
				want429(t, lc, c.Do("GET", lc.prefix+lc.read, nil, lc.auth(env.KeyA)...), "1000")
				// Another key, from the same address, has its own budget.
				wantStatus(t, c.Do("GET", lc.prefix+lc.read, nil, lc.auth(env.KeyB)...), 200)
			})

			t.Run("address", func(t *testing.T) {
				c := limitedServer(t, env, convhttp.RateLimits{Address: slow(2)})
				wantStatus(t, c.Do("GET", lc.prefix+lc.read, nil, lc.auth(env.KeyA)...), 200)
				wantStatus(t, c.Do("GET", lc.prefix+lc.read, nil, lc.auth(env.KeyB)...), 200)
				want429(t, lc, c.Do("GET", lc.prefix+lc.read, nil, lc.auth(env.KeyB)...), "1000")
				wantStatus(t, from(c, "127.0.0.2").Do("GET", lc.prefix+lc.read, nil, lc.auth(env.KeyA)...), 200)
			})

			t.Run("unmatched", func(t *testing.T) {
				c := limitedServer(t, env, convhttp.RateLimits{Public: slow(1)})
				wantStatus(t, c.Do("GET", lc.prefix+"/no/such/route", nil), 404)
				want429(t, lc, c.Do("GET", lc.prefix+"/no/such/route", nil), "1000")
				want429(t, lc, c.Do("PATCH", lc.prefix+lc.read, nil), "1000") // a would-be 405
				// Routes that need a key are not charged to the public limit.
				wantStatus(t, c.Do("GET", lc.prefix+lc.read, nil, lc.auth(env.KeyA)...), 200)
			})

			t.Run("auth failures", func(t *testing.T) {
				c := limitedServer(t, env, convhttp.RateLimits{AuthFailure: slow(3)})
				for _, bad := range []string{"csk_notakeynotakeynotakey1", "csk_notakeynotakeynotakey2", "csk_notakeynotakeynotakey3"} {
					wantStatus(t, c.Do("GET", lc.prefix+lc.read, nil, lc.auth(bad)...), 401)
				}
				want429(t, lc, c.Do("GET", lc.prefix+lc.read, nil, lc.auth("csk_notakeynotakeynotakey4")...), "1000")
				// The address cannot authenticate any more, even with a
				// valid key; another address with a valid key is served.
				want429(t, lc, c.Do("GET", lc.prefix+lc.read, nil, lc.auth(env.KeyA)...), "1000")
				wantStatus(t, from(c, "127.0.0.3").Do("GET", lc.prefix+lc.read, nil, lc.auth(env.KeyA)...), 200)
			})
		})
	}
}

// TestOneBudgetAcrossListeners checks that a node's servers share one
// Limiter: a key's burst spent on the main listener is spent on the door's
// own listener too.
func TestOneBudgetAcrossListeners(t *testing.T) {
	t.Parallel()
	env := doortest.New(t)
	cfg := env.Config()
	cfg.Limiter = convhttp.NewLimiter(convhttp.RateLimits{Key: convhttp.RateLimit{Rate: 0.001, Burst: 2}})
	main := httptest.NewServer(doors.NewMainServer(cfg).Handler())
	t.Cleanup(main.Close)
	own, _ := doors.NewDoorServer(cfg, "symbl")
	ownTS := httptest.NewServer(own.Handler())
	t.Cleanup(ownTS.Close)
	cm := &doortest.Client{TB: t, URL: main.URL}
	co := &doortest.Client{TB: t, URL: ownTS.URL}
	wantStatus(t, cm.Do("GET", "/v1/conversations", nil, bearer(env.KeyA)...), 200)
	wantStatus(t, co.Do("GET", "/v1/conversations", nil, bearer(env.KeyA)...), 200)
	want429(t, limitCases[2], co.Do("GET", "/v1/conversations", nil, bearer(env.KeyA)...), "1000")
	want429(t, limitCases[0], cm.Do("GET", "/v1/conversations", nil, bearer(env.KeyA)...), "1000")
}
