package service_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/keyring"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/service/servicetest"
	"github.com/convstore/convstore/sqlite"
)

// indexColumns returns every blind index stored, by table and column, and
// the conversations' recorded index roots.
func indexColumns(t testing.TB, db *sql.DB) (map[string][][]byte, []uint32) {
	t.Helper()
	out := map[string][][]byte{}
	for _, q := range []string{
		"SELECT user_idx FROM conversations", "SELECT external_idx FROM conversations",
		"SELECT name_idx FROM attachments", "SELECT key_idx FROM conversation_meta_index",
		"SELECT pair_idx FROM conversation_meta_index", "SELECT external_idx FROM message_external_ids",
	} {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var v []byte
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
			out[q] = append(out[q], v)
		}
		rows.Close()
	}
	var roots []uint32
	rows, err := db.Query("SELECT index_root FROM conversations")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r uint32
		rows.Scan(&r)
		roots = append(roots, r)
	}
	return out, roots
}

func makeIndexed(t testing.TB, ctx context.Context, svc *service.Service, tenantID convstore.ID, n int) []*convstore.Conversation {
	var out []*convstore.Conversation
	for i := range n {
		c, _ := servicetest.MustCreateConversation(t, ctx, svc, tenantID, &convstore.ConversationCreate{
			ExternalID: fmt.Sprint("ext-", i), UserID: fmt.Sprint("user-", i%3),
			Metadata: convstore.Metadata{"tag": "vip", "n": fmt.Sprint(i)},
			Messages: []*convstore.MessageCreate{{Role: convstore.RoleUser, Content: "hi",
				Metadata: convstore.Metadata{convstore.MessageExternalIDKey: fmt.Sprint("m-", i)}}}})
		servicetest.MustPutAttachment(t, ctx, svc, tenantID, c.ID, fmt.Sprint("f", i), []byte("x"))
		out = append(out, c)
	}
	return out
}

// After a re-index, every stored blind index differs from before (none is
// left under the old root), and every conversation records the new root.
func TestReindexRewritesEveryIndex(t *testing.T) {
	e := open(t, service.Options{Keyring: servicetest.NewKeyring(t)})
	tn, _ := e.tenant(t)
	makeIndexed(t, e.ctx, e.svc, tn.ID, 4)
	raw := e.rawDB(t)
	before, roots := indexColumns(t, raw)
	if !slices.Equal(roots, []uint32{1, 1, 1, 1}) {
		t.Fatalf("index roots before %v", roots)
	}
	if _, err := e.svc.RotateIndexRoot(e.ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Reindex(e.ctx, service.ReindexOptions{}); err != nil {
		t.Fatal(err)
	}
	after, roots := indexColumns(t, raw)
	if !slices.Equal(roots, []uint32{2, 2, 2, 2}) {
		t.Errorf("index roots after %v, want 2 everywhere", roots)
	}
	for q, vs := range before {
		if len(after[q]) != len(vs) || len(vs) == 0 {
			t.Errorf("%s: %d values after, %d before", q, len(after[q]), len(vs))
		}
		for _, v := range vs {
			if slices.ContainsFunc(after[q], func(w []byte) bool { return bytes.Equal(v, w) }) {
				t.Errorf("%s: %x is still stored after the re-index", q, v)
			}
		}
	}
}

// A server that stops halfway through a re-index finishes it at its next
// start (RunReindex), with the keyring read again from its file.
func TestRunReindexResumes(t *testing.T) {
	dir := t.TempDir()
	ring := servicetest.NewKeyring(t)
	e := openIn(t, dir, service.Options{Keyring: ring}, nil)
	tn, _ := e.tenant(t)
	convs := makeIndexed(t, e.ctx, e.svc, tn.ID, 5)
	if _, err := e.svc.RotateIndexRoot(e.ctx); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	_, err := e.svc.Reindex(ctx, service.ReindexOptions{Batch: 1, Each: func(p service.ReindexProgress) {
		if p.Reindexed == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted Reindex: %v", err)
	}
	e.svc.Close()

	ring2, err := keyring.Open(e.ctx, keyring.Config{Path: ring.Path()})
	if err != nil {
		t.Fatal(err)
	}
	defer ring2.Close()
	if got := ring2.IndexRoots(); !slices.Equal(got, []uint32{1, 2}) {
		t.Fatalf("roots after the interruption %v, want [1 2]", got)
	}
	e = openIn(t, dir, service.Options{Keyring: ring2}, nil)
	e.svc.RunReindex(e.ctx, time.Hour)
	if got := e.svc.IndexRoots(); !slices.Equal(got, []uint32{2}) {
		t.Errorf("roots after RunReindex %v, want [2]", got)
	}
	if _, roots := indexColumns(t, e.rawDB(t)); slices.ContainsFunc(roots, func(r uint32) bool { return r != 2 }) {
		t.Errorf("index roots after RunReindex %v", roots)
	}
	for i, c := range convs {
		got, err := e.svc.FindConversationByExternalID(e.ctx, tn.ID, fmt.Sprint("ext-", i))
		if err != nil || got.ID != c.ID {
			t.Errorf("ext-%d after RunReindex: %v, %v", i, got, err)
		}
	}
	// Nothing left: the next start does nothing.
	e.svc.RunReindex(e.ctx, time.Hour)
}

// BenchmarkReindex measures the re-index rate on SQLite: conversations
// with a user id, an external id, two metadata pairs and one attachment
// each, re-indexed under a new root per iteration, one conversation per
// transaction and DefaultReindexBatch per transaction, on one store in one
// run (compare the two rates).
//
//	go test -run '^$' -bench Reindex -benchtime 3x ./service/
func BenchmarkReindex(b *testing.B) {
	const n = 1000
	e := openBench(b, b.TempDir())
	tn, _ := servicetest.MustCreateTenant(b, e.ctx, e.svc, "bench")
	makeIndexed(b, e.ctx, e.svc, tn.ID, n)
	for _, batch := range []int{1, service.DefaultReindexBatch} {
		b.Run(fmt.Sprint("batch=", batch), func(b *testing.B) {
			var total int
			start := time.Now()
			for range b.N {
				if _, err := e.svc.RotateIndexRoot(e.ctx); err != nil {
					b.Fatal(err)
				}
				p, err := e.svc.Reindex(e.ctx, service.ReindexOptions{Batch: batch})
				if err != nil || p.Reindexed != n {
					b.Fatalf("Reindex = %+v, %v", p, err)
				}
				total += p.Reindexed
			}
			b.ReportMetric(float64(total)/time.Since(start).Seconds(), "conversations/s")
		})
	}
}

// openBench opens a sealed SQLite service for a benchmark.
func openBench(b *testing.B, dir string) *env {
	ctx := context.Background()
	fs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	drv, err := sqlite.Open(ctx, filepath.Join(dir, "convstore.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	svc := service.New(drv, fs, service.Options{Keyring: servicetest.NewKeyring(b), Logger: slog.New(slog.DiscardHandler)})
	b.Cleanup(func() { svc.Close() })
	return &env{ctx: ctx, dir: dir, drv: drv, blobs: fs, svc: svc}
}
