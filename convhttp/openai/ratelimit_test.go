package openai_test

import (
	"encoding/json"
	"testing"

	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
	"github.com/convstore/convstore/convhttp/openai"
)

// limited serves the door at the root with a key limit of one request per
// 1000 seconds.
func limited(e *env) *doortest.Client {
	cfg := e.Config()
	cfg.RateLimits = convhttp.RateLimits{Key: convhttp.RateLimit{Rate: 0.001, Burst: 1}}
	return e.ServeConfig(cfg, func(s *convhttp.Server) { s.Mount("/", openai.New(s)) })
}

// TestRateLimit: past its key's limit a request is 429 type requests code
// rate_limit_exceeded, with Retry-After.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := limited(e)
	doortest.Expect(t, c.Do("POST", "/v1/conversations", map[string]any{}, bearer(e.KeyA)...), 200, "application/json")
	r := c.Do("POST", "/v1/conversations", map[string]any{}, bearer(e.KeyA)...)
	wantError(t, r, 429, "requests", "rate_limit_exceeded")
	if r.Header.Get("Retry-After") != "1000" {
		t.Fatalf("%v: Retry-After %q", r, r.Header.Get("Retry-After"))
	}
}

// TestOfficialSDKRateLimit: the openai SDK raises RateLimitError.
func TestOfficialSDKRateLimit(t *testing.T) {
	t.Parallel()
	dir := doortest.NodeSDK(t, "testdata/sdk")
	e := setup(t)
	c := limited(e)
	var out struct {
		Status     int
		Type, Code string
		RetryAfter string
	}
	raw := doortest.RunNode(t, dir, "ratelimit.mjs", map[string]string{"BASE_URL": c.URL + "/v1", "API_KEY": e.KeyA})
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	if out.Status != 429 || out.Type != "requests" || out.Code != "rate_limit_exceeded" || out.RetryAfter != "1000" {
		t.Fatalf("findings %+v", out)
	}
}
