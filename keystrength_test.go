package convstore_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
)

func TestValidateCustomKeySecret(t *testing.T) {
	random := func(n int) []byte {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	// Made the recommended ways: always strong enough. Random keys lose a
	// few percent to chance repeats and runs, so try many.
	for range 2000 {
		for what, k := range map[string]string{
			"openssl rand -hex 32":    hex.EncodeToString(random(32)),
			"openssl rand -base64 32": base64.StdEncoding.EncodeToString(random(32)),
			"a generated key":         convstore.NewKeySecret(),
			"csk_ + 64 hex digits":    "csk_" + hex.EncodeToString(random(32)),
		} {
			if err := convstore.ValidateCustomKeySecret(k); err != nil {
				t.Fatalf("%s %q refused: %v", what, k, err)
			}
		}
	}
	for what, k := range map[string]string{
		"the issue's example":        strings.Repeat("a", 24),
		"one repeated character":     strings.Repeat("x", convstore.MaxKeyLength),
		"a walk-through's demo key":  "csk_demo_key_0123456789abcdefghij",
		"the alphabet":               "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
		"a repeated chunk":           strings.Repeat("Tr0ub4dor&3", 20),
		"words":                      "correcthorsebatterystaplecorrecthorsebatterystaple",
		"openssl rand -hex 16":       hex.EncodeToString(random(16)),
		"a strong prefix, weak rest": hex.EncodeToString(random(4)) + strings.Repeat("0", 60),
		"digits counting up":         "20261130201611302026113020261130",
	} {
		err := convstore.ValidateCustomKeySecret(k)
		if convstore.ErrorCode(err) != convstore.EINVALID || convstore.ErrorField(err) != "key" {
			t.Errorf("%s %q: %v, want EINVALID on key", what, k, err)
			continue
		}
		msg := convstore.ErrorMessage(err)
		if !strings.HasPrefix(msg, "key ") || !strings.HasSuffix(msg, convstore.WeakKeyAdvice) || strings.Contains(msg, k[convstore.KeyPrefixLength:]) {
			t.Errorf("%s: message %q must start with \"key \", end with the advice and not repeat the key", what, msg)
		}
	}
	// Length and characters come first, with their own message.
	for _, k := range []string{"", "short", strings.Repeat("f", convstore.MaxKeyLength+1), hex.EncodeToString(random(32)) + " x"} {
		if err := convstore.ValidateCustomKeySecret(k); convstore.ErrorField(err) != "key" || strings.Contains(convstore.ErrorMessage(err), "weak") {
			t.Errorf("malformed key %q: %v", k, err)
		}
	}
}

func TestEstimateKeyBits(t *testing.T) {
	for _, c := range []struct {
		s        string
		min, max float64
	}{
		{"", 0, 0},
		{"aaaaaaaa", 0, 2},                       // one letter, at most 2 bits
		{"0123456789", 0, 2 * 3.33},              // a run: its first two digits
		{"9f86d081884c7d65", 40, 64},             // 16 hex digits: at most 4 bits each
		{"Zq7#kP2!xW9@mR4$", 16 * 6.5, 16 * 6.6}, // every class: about 6.57 bits each
		{"abcabcabcabc", 0, 5 * 2},               // letters, repeated
	} {
		if got := convstore.EstimateKeyBits(c.s); got < c.min || got > c.max {
			t.Errorf("EstimateKeyBits(%q) = %.1f, want %.0f to %.0f", c.s, got, c.min, c.max)
		}
	}
}

func TestAccessTokens(t *testing.T) {
	tok := convstore.NewAccessTokenSecret()
	if !strings.HasPrefix(tok, convstore.AccessTokenPrefix) || len(tok) != convstore.AccessTokenLength || !convstore.IsAccessTokenSecret(tok) {
		t.Fatalf("bad token %q", tok)
	}
	if tok == convstore.NewAccessTokenSecret() {
		t.Fatal("tokens repeat")
	}
	for _, bad := range []string{"", convstore.AccessTokenPrefix, tok[:len(tok)-1], tok + "0", strings.ToUpper(tok),
		convstore.AccessTokenPrefix + strings.Repeat("u", 40), convstore.AccessTokenPrefix + strings.Repeat("\x00", 40),
		convstore.NewKeySecret(), "symbl." + tok[4:]} {
		if convstore.IsAccessTokenSecret(bad) {
			t.Errorf("IsAccessTokenSecret(%q) = true", bad)
		}
	}
	for ttl, want := range map[time.Duration]time.Duration{
		time.Second: time.Second, time.Hour: time.Hour, convstore.MaxAccessTokenTTL: convstore.MaxAccessTokenTTL,
		30 * 24 * time.Hour: convstore.MaxAccessTokenTTL,
	} {
		if got, err := convstore.AccessTokenTTL(ttl); got != want || err != nil {
			t.Errorf("AccessTokenTTL(%v) = %v, %v; want %v", ttl, got, err, want)
		}
	}
	for _, ttl := range []time.Duration{0, -time.Second} {
		if _, err := convstore.AccessTokenTTL(ttl); convstore.ErrorField(err) != "ttl" {
			t.Errorf("AccessTokenTTL(%v): %v, want EINVALID on ttl", ttl, err)
		}
	}
}
