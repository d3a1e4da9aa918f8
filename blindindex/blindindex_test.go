package blindindex

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

func testRoot(b byte) []byte { return bytes.Repeat([]byte{b}, RootSize) }

func mustKey(t testing.TB, root []byte, tenant string) *Key {
	t.Helper()
	k, err := DeriveKey(root, 1, tenant)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKnownAnswer computes an index by hand from the documented
// construction: HKDF-SHA256(root, info = prefix + tenant), then HMAC-SHA256
// over length-prefixed field and value, truncated to 16 bytes.
func TestKnownAnswer(t *testing.T) {
	root := testRoot(7)
	tenantKey, err := hkdf.Key(sha256.New, root, nil, "convstore/blindindex/v1/tenant/ten_1", 32)
	if err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, tenantKey)
	m.Write([]byte("\x07user_id\x05alice"))
	want := m.Sum(nil)[:16]
	got := mustKey(t, root, "ten_1").Index("user_id", "alice")
	if !bytes.Equal(got, want) {
		t.Fatalf("index %x, want %x", got, want)
	}
	// Pinned, so a change of construction (which would orphan every stored
	// index) fails here too.
	if h := hex.EncodeToString(got); h != pinnedIndex {
		t.Fatalf("index %s, pinned %s", h, pinnedIndex)
	}
}

const pinnedIndex = "80621c321a9711b9711a51711dc62c69"

func TestEqualityOnlyWithinTenantAndField(t *testing.T) {
	root := testRoot(1)
	a, b := mustKey(t, root, "ten_a"), mustKey(t, root, "ten_b")
	if !bytes.Equal(a.Index("user_id", "alice"), mustKey(t, root, "ten_a").Index("user_id", "alice")) {
		t.Fatal("one tenant's index of one value differs between calls")
	}
	if len(a.Index("user_id", "alice")) != Size {
		t.Fatalf("index is %d bytes", len(a.Index("user_id", "alice")))
	}
	distinct := [][]byte{
		a.Index("user_id", "alice"),
		a.Index("user_id", "Alice"),
		a.Index("user_id", "bob"),
		a.Index("external_id", "alice"),
		b.Index("user_id", "alice"),
		mustKey(t, testRoot(2), "ten_a").Index("user_id", "alice"),
		a.Index("metadata", "ab", "c"),
		a.Index("metadata", "a", "bc"),
		a.Index("metadata", "abc"),
		a.Index("metadataabc"),
	}
	for i := range distinct {
		for j := i + 1; j < len(distinct); j++ {
			if bytes.Equal(distinct[i], distinct[j]) {
				t.Errorf("indexes %d and %d are equal", i, j)
			}
		}
	}
}

func TestDeriveKeyChecks(t *testing.T) {
	if _, err := DeriveKey(make([]byte, 16), 1, "ten_1"); err == nil {
		t.Error("a 16-byte root was accepted")
	}
	if _, err := DeriveKey(testRoot(1), 1, ""); err == nil {
		t.Error("an empty tenant was accepted")
	}
	if k := mustKey(t, testRoot(1), "ten_1"); k.RootID() != 1 {
		t.Errorf("RootID %d", k.RootID())
	}
}

func BenchmarkIndex(b *testing.B) {
	k := mustKey(b, testRoot(1), "ten_1")
	b.ReportAllocs()
	for b.Loop() {
		k.Index("user_id", "user-1234567890")
	}
}

func BenchmarkDeriveKey(b *testing.B) {
	root := testRoot(1)
	b.ReportAllocs()
	for b.Loop() {
		DeriveKey(root, 1, "ten_1")
	}
}
