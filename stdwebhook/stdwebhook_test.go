package stdwebhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/convstore/convstore/stdwebhook"
)

// mustKey decodes a fresh secret, returning both.
func mustKey(t *testing.T) (string, []byte) {
	t.Helper()
	secret := stdwebhook.NewSecret()
	key, err := stdwebhook.DecodeSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	return secret, key
}

// verifier is the official Go library's verifier for secret: the
// independent implementation every signature here is checked with.
func verifier(t *testing.T, secret string) *standardwebhooks.Webhook {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return wh
}

func TestSignVerifiesWithTheOfficialLibrary(t *testing.T) {
	secret, key := mustKey(t)
	body := []byte(`{"type":"conversation.deleted","timestamp":"2026-11-30T20:00:00Z","data":{"id":"evt_1"}}`)
	h := http.Header{}
	stdwebhook.SetHeaders(h, [][]byte{key}, "evt_1", time.Now(), body)
	if err := verifier(t, secret).Verify(body, h); err != nil {
		t.Fatalf("the official library refuses our signature: %v", err)
	}
	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-3] = 'X'
	if err := verifier(t, secret).Verify(tampered, h); err == nil {
		t.Fatal("a tampered body verified")
	}
	other, _ := mustKey(t)
	if err := verifier(t, other).Verify(body, h); err == nil {
		t.Fatal("another secret verified")
	}
	// The official library signs the same bytes the same way.
	ts := time.Unix(1764532800, 0)
	want, err := verifier(t, secret).Sign("evt_1", ts, body)
	if err != nil {
		t.Fatal(err)
	}
	if got := stdwebhook.Sign(key, "evt_1", ts, body); got != want {
		t.Fatalf("Sign = %s, the official library %s", got, want)
	}
}

func TestRotationOverlapSendsTwoSignaturesThatBothVerify(t *testing.T) {
	oldSecret, oldKey := mustKey(t)
	newSecret, newKey := mustKey(t)
	body := []byte(`{"type":"hold.placed"}`)
	h := http.Header{}
	stdwebhook.SetHeaders(h, [][]byte{newKey, oldKey}, "evt_2", time.Now(), body)
	if sigs := strings.Fields(h.Get(stdwebhook.HeaderSignature)); len(sigs) != 2 || !strings.HasPrefix(sigs[0], "v1,") {
		t.Fatalf("webhook-signature = %q, want two v1 signatures", h.Get(stdwebhook.HeaderSignature))
	}
	for _, s := range []string{oldSecret, newSecret} {
		if err := verifier(t, s).Verify(body, h); err != nil {
			t.Fatalf("a receiver with one of the two secrets refuses: %v", err)
		}
	}
}

func TestDecodeSecretRefusesWhatIsNoSecret(t *testing.T) {
	for _, s := range []string{"", "abc", "whsec_", "whsec_!!!!", "whsec_" + strings.Repeat("A", 8), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		if _, err := stdwebhook.DecodeSecret(s); err == nil {
			t.Errorf("DecodeSecret(%q) accepted", s)
		}
	}
}

// loopback is a guard that forbids loopback addresses, as the server's
// does without --webhook-allow-private.
func loopback(ap netip.AddrPort) bool { return ap.Addr().IsLoopback() }

func TestSendDeliversASignedRequestAndKeepsAPrefixOfTheAnswer(t *testing.T) {
	secret, key := mustKey(t)
	var verified atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		verified.Store(verifier(t, secret).Verify(body, r.Header) == nil && r.Header.Get("Content-Type") == "application/json")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, strings.Repeat("é", 1000)) // 2000 bytes, cut inside a character
	}))
	defer srv.Close()
	c := stdwebhook.NewClient(stdwebhook.ClientOptions{Timeout: 5 * time.Second})
	res := stdwebhook.Send(context.Background(), c, stdwebhook.Request{URL: srv.URL, MsgID: "evt_3", At: time.Now(), Body: []byte(`{}`), Keys: [][]byte{key}})
	if !res.OK() || res.Status != http.StatusAccepted || !verified.Load() {
		t.Fatalf("result %+v, verified %v", res, verified.Load())
	}
	if len(res.Prefix) > stdwebhook.MaxResponsePrefix || len(res.Prefix) < stdwebhook.MaxResponsePrefix-1 || !strings.HasPrefix(res.Prefix, "éé") {
		t.Fatalf("prefix of %d bytes: %q", len(res.Prefix), res.Prefix)
	}
}

func TestSendFollowsNoRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	_, key := mustKey(t)
	c := stdwebhook.NewClient(stdwebhook.ClientOptions{})
	res := stdwebhook.Send(context.Background(), c, stdwebhook.Request{URL: srv.URL, MsgID: "evt_4", At: time.Now(), Body: []byte(`{}`), Keys: [][]byte{key}})
	if res.OK() || res.Status != http.StatusTemporaryRedirect || elsewhere.Load() != 0 {
		t.Fatalf("result %+v, redirect target reached %d times", res, elsewhere.Load())
	}
}

func TestSendRefusesAForbiddenAddressAtDialTime(t *testing.T) {
	var reached atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached.Add(1) }))
	defer srv.Close()
	_, key := mustKey(t)
	c := stdwebhook.NewClient(stdwebhook.ClientOptions{Forbidden: loopback})
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	// By address, and by a name that resolves to it: the guard sees the
	// address the dialer is about to connect to.
	for _, u := range []string{srv.URL, "http://localhost:" + port} {
		res := stdwebhook.Send(context.Background(), c, stdwebhook.Request{URL: u, MsgID: "evt_5", At: time.Now(), Body: []byte(`{}`), Keys: [][]byte{key}})
		if res.OK() || !stdwebhook.IsForbidden(res.Err) {
			t.Errorf("%s: result %+v, want a refusal to dial", u, res)
		}
	}
	if reached.Load() != 0 {
		t.Fatalf("the forbidden receiver was reached %d times", reached.Load())
	}
}

func TestSendGivesUpAfterTheTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	_, key := mustKey(t)
	c := stdwebhook.NewClient(stdwebhook.ClientOptions{Timeout: 200 * time.Millisecond})
	start := time.Now()
	res := stdwebhook.Send(context.Background(), c, stdwebhook.Request{URL: srv.URL, MsgID: "evt_6", At: time.Now(), Body: []byte(`{}`), Keys: [][]byte{key}})
	if res.Err == nil || res.OK() || time.Since(start) > 3*time.Second {
		t.Fatalf("result %+v after %v", res, time.Since(start))
	}
}
