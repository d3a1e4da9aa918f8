package postgres_test

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
)

// testCtx returns a context that ends with the test or after two minutes.
func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}

// count runs a count query on node's schema.
func count(tb testing.TB, node *pgtest.Node, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := postgres.Pool(node.DB).QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// blobRows returns the rows of the built-in blob store and its queue.
func blobRows(tb testing.TB, db *pgtest.Node) string {
	tb.Helper()
	return fmt.Sprintf("blobs=%d chunks=%d removals=%d",
		count(tb, db, `SELECT count(*) FROM blobs`),
		count(tb, db, `SELECT count(*) FROM blob_chunks`),
		count(tb, db, `SELECT count(*) FROM blob_removals`))
}

// mustTenant creates a tenant.
func mustTenant(tb testing.TB, ctx context.Context, db convstore.TenantService) *convstore.Tenant {
	tb.Helper()
	tenant, _, err := db.CreateTenant(ctx, "tenant-"+convstore.NewID().Base32(), convstore.DeleteParams{Door: "test"})
	if err != nil {
		tb.Fatalf("CreateTenant: %v", err)
	}
	return tenant
}

// textBatch returns n text messages.
func textBatch(prefix string, n int) []*convstore.MessageCreate {
	out := make([]*convstore.MessageCreate, n)
	for i := range out {
		out[i] = &convstore.MessageCreate{Role: convstore.RoleUser, Content: fmt.Sprintf("%s %d", prefix, i)}
	}
	return out
}

// blobSpy wraps a blob store, counting Delete calls per key, optionally
// failing them or slowing them down.
type blobSpy struct {
	convstore.BlobStore
	fail  bool
	delay time.Duration

	mu      *sync.Mutex
	deletes map[string]int
}

func newBlobSpy(inner convstore.BlobStore) *blobSpy {
	return &blobSpy{BlobStore: inner, mu: &sync.Mutex{}, deletes: map[string]int{}}
}

// sharing returns a spy over the same store that counts into s's map.
func (s *blobSpy) sharing() *blobSpy {
	c := *s
	return &c
}

func (s *blobSpy) Delete(ctx context.Context, key string) error {
	if s.fail {
		return fmt.Errorf("blobSpy: simulated failure removing %s", key)
	}
	time.Sleep(s.delay)
	if err := s.BlobStore.Delete(ctx, key); err != nil {
		return err
	}
	s.mu.Lock()
	s.deletes[key]++
	s.mu.Unlock()
	return nil
}

func (s *blobSpy) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.deletes {
		out[k] = v
	}
	return out
}

// genReader yields n pseudo-random bytes without holding them.
type genReader struct {
	n, off int64
	state  uint64
	hook   func(off int64) // called with the offset before each read
}

func (r *genReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	if r.hook != nil {
		r.hook(r.off)
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		// xorshift64: incompressible enough, and cheap.
		r.state ^= r.state << 13
		r.state ^= r.state >> 7
		r.state ^= r.state << 17
		p[i] = byte(r.state)
	}
	r.off += int64(len(p))
	return len(p), nil
}
