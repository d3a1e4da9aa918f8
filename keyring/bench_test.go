package keyring

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/convstore/convstore/seal"
)

// BenchmarkRewrap measures the key work of a rotation for one live
// conversation: unwrap its data key under the old epoch and wrap it under
// the new one. A rotation of N conversations spends N times this in CPU,
// besides reading and writing the rows.
//
//	go test -run '^$' -bench Rewrap -benchmem ./keyring/
func BenchmarkRewrap(b *testing.B) {
	ctx := context.Background()
	k, err := Open(ctx, Config{Path: filepath.Join(b.TempDir(), "keyring.json"), Create: true})
	if err != nil {
		b.Fatal(err)
	}
	aad := seal.Context{Tenant: "ten_1", Conversation: "conv_1", Table: "conversation_keys", Column: "dek", Row: "conv_1"}.AAD()
	wrapped, err := k.Wrap(1, seal.NewDEK(), aad)
	if err != nil {
		b.Fatal(err)
	}
	next, err := k.Rotate(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		dek, err := k.Unwrap(ctx, wrapped, aad)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := k.Wrap(next.ID, dek, aad); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnwrap measures what each request that touches a conversation's
// content pays to get its data key.
func BenchmarkUnwrap(b *testing.B) {
	ctx := context.Background()
	k, err := Open(ctx, Config{Path: filepath.Join(b.TempDir(), "keyring.json"), Create: true})
	if err != nil {
		b.Fatal(err)
	}
	aad := []byte("ten_1/conv_1")
	wrapped, err := k.Wrap(1, seal.NewDEK(), aad)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Unwrap(ctx, wrapped, aad); err != nil {
			b.Fatal(err)
		}
	}
}
