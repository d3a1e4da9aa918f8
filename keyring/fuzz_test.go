package keyring

import (
	"context"
	"errors"
	"testing"

	"github.com/convstore/convstore/seal"
)

// FuzzUnwrap feeds arbitrary bytes to Unwrap: it never panics, fails with
// an integrity error (or key destroyed), and opens nothing but the key it
// wrapped.
func FuzzUnwrap(f *testing.F) {
	dir := f.TempDir()
	ctx := context.Background()
	k, err := Open(ctx, Config{Path: dir + "/keyring.json", Create: true})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := k.Rotate(ctx); err != nil {
		f.Fatal(err)
	}
	aad := []byte("ten_1/conv_1")
	dek := seal.NewDEK()
	for _, epoch := range []uint32{1, 2} {
		w, err := k.Wrap(epoch, dek, aad)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(w)
	}
	f.Add([]byte{})
	f.Add([]byte{wrapVersion, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := k.Unwrap(ctx, data, aad)
		if err == nil {
			if string(got.Bytes()) != string(dek.Bytes()) {
				t.Fatal("a forged wrapped key opened")
			}
			return
		}
		if !errors.Is(err, seal.ErrIntegrity) && !errors.Is(err, ErrKeyDestroyed) {
			t.Fatalf("error %v is neither an integrity error nor key destroyed", err)
		}
	})
}

// FuzzDecode feeds arbitrary keyring files to the parser: it never panics,
// and whatever it accepts passes validation.
func FuzzDecode(f *testing.F) {
	ctx := context.Background()
	c := &contents{ID: "00", Epochs: []keyRecord{{ID: 1, Key: make([]byte, 32)}}, IndexRoots: []keyRecord{{ID: 1, Key: make([]byte, 32)}}}
	plain, err := encode(ctx, c, nil, "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plain)
	f.Add([]byte(`{"format":"convstore-keyring","version":1,"contents":{"id":"x","epochs":[],"index_roots":[]},"sha256":""}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decode(ctx, "keyring.json", data, nil, "")
		if err != nil {
			return
		}
		if err := got.validate(); err != nil {
			t.Fatalf("decode accepted an invalid keyring: %v", err)
		}
	})
}
