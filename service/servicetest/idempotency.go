package servicetest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/service"
)

var idempotencyTests = []subtest{
	{"ClaimSettleReplay", testIdempotencyReplay},
	{"ConcurrentClaims", testIdempotencyConcurrent},
	{"LeaseAndRetention", testIdempotencyExpiry},
	{"InvalidKeys", testIdempotencyInvalid},
}

func idemRequest(key, target string) *convstore.IdempotentRequest {
	return &convstore.IdempotentRequest{Key: key, Fingerprint: []byte("DELETE " + target)}
}

// A first claim runs; a retry while it runs is ECONFLICT; once settled the
// retry gets the answer; another request under the key is Reused; another
// tenant's key of the same name is its own; a released key runs again.
func testIdempotencyReplay(t *testing.T, f *fixture) {
	req := idemRequest("k-1", "/v1/conversations/a")
	claim, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, req)
	if err != nil || claim.Answer != nil || claim.Reused {
		t.Fatalf("first claim = %+v, %v", claim, err)
	}
	_, err = f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, req)
	wantCode(t, err, convstore.ECONFLICT, "a retry while the first runs")
	answer := &convstore.IdempotentAnswer{Status: 200, ContentType: "application/json", Body: []byte(`{"deleted":true}`)}
	if err := f.Store.SettleIdempotencyKey(f.ctx, f.tenant.ID, req, claim, answer); err != nil {
		t.Fatal(err)
	}
	got, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, req)
	if err != nil || got.Answer == nil || got.Answer.Status != 200 || got.Answer.ContentType != answer.ContentType || !bytes.Equal(got.Answer.Body, answer.Body) {
		t.Fatalf("retry = %+v, %v; want the answer %+v", got, err, answer)
	}
	reused, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, idemRequest("k-1", "/v1/conversations/b"))
	if err != nil || !reused.Reused {
		t.Errorf("the key for another request = %+v, %v; want Reused", reused, err)
	}
	other, _ := MustCreateTenant(t, f.ctx, f.Store, uniqueName("idem"))
	theirs, err := f.Store.ClaimIdempotencyKey(f.ctx, other.ID, req)
	if err != nil || theirs.Answer != nil || theirs.Reused {
		t.Errorf("another tenant's claim of the key = %+v, %v; want a new claim", theirs, err)
	}
	// Released: the retry runs again.
	req2 := idemRequest("k-2", "/v1/conversations/a")
	c2, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, req2)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Store.SettleIdempotencyKey(f.ctx, f.tenant.ID, req2, c2, nil); err != nil {
		t.Fatal(err)
	}
	again, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, req2)
	if err != nil || again.Answer != nil || again.Reused {
		t.Errorf("a claim after a release = %+v, %v; want a new claim", again, err)
	}
}

// Of concurrent claims of one key, exactly one wins; the others are
// ECONFLICT.
func testIdempotencyConcurrent(t *testing.T, f *fixture) {
	req := idemRequest("race", "/v1/conversations/a")
	var mu sync.Mutex
	won, conflicts := 0, 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, req)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && c.Answer == nil && !c.Reused:
				won++
			case convstore.ErrorCode(err) == convstore.ECONFLICT:
				conflicts++
			default:
				t.Errorf("a concurrent claim = %+v, %v", c, err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || conflicts != 7 {
		t.Errorf("%d claims won and %d conflicted, want 1 and 7", won, conflicts)
	}
}

// A claim nobody settles lapses after the lease (another request takes the
// key, and the first holder's settle finds nothing); an answer is
// replayed for the retention (24h), then the key is free; the sweeper
// removes expired keys.
func testIdempotencyExpiry(t *testing.T, f *fixture) {
	clock := f.needClock(t)
	req := idemRequest("lease", "/v1/conversations/a")
	first, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, req)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(service.DefaultIdempotencyLease + time.Second)
	second, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, req)
	if err != nil || second.Answer != nil || second.Reused {
		t.Fatalf("a claim after the lease = %+v, %v", second, err)
	}
	ans := &convstore.IdempotentAnswer{Status: 200, Body: []byte("{}")}
	wantCode(t, f.Store.SettleIdempotencyKey(f.ctx, f.tenant.ID, req, first, ans), convstore.ENOTFOUND, "the lapsed claim's settle")
	if err := f.Store.SettleIdempotencyKey(f.ctx, f.tenant.ID, req, second, ans); err != nil {
		t.Fatal(err)
	}
	clock.Advance(convstore.DefaultIdempotencyRetention - time.Minute)
	if got, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, req); err != nil || got.Answer == nil {
		t.Errorf("a retry within the retention = %+v, %v; want the answer", got, err)
	}
	clock.Advance(2 * time.Minute)
	if f.SweepIdempotencyKeys != nil {
		if n, err := f.SweepIdempotencyKeys(f.ctx); n != 1 || err != nil {
			t.Errorf("SweepIdempotencyKeys after the retention = %d, %v; want 1", n, err)
		}
	}
	if got, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, req); err != nil || got.Answer != nil || got.Reused {
		t.Errorf("a claim after the retention = %+v, %v; want a new claim", got, err)
	}
}

func testIdempotencyInvalid(t *testing.T, f *fixture) {
	for _, key := range []string{"", strings.Repeat("k", convstore.MaxIdempotencyKeyLen+1), "caf\u00e9", "tab\tkey"} {
		_, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, idemRequest(key, "/x"))
		wantCode(t, err, convstore.EINVALID, "key "+key)
	}
	_, err := f.Store.ClaimIdempotencyKey(f.ctx, f.tenant.ID, &convstore.IdempotentRequest{Key: "k"})
	wantCode(t, err, convstore.EINVALID, "a request without a fingerprint")
}
