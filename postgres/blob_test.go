package postgres_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
)

// TestBlobStoreBasics covers the built-in store on its own: chunk
// boundaries, empty blobs, replacement, ETOOLARGE, missing keys and Keys.
func TestBlobStoreBasics(t *testing.T) {
	t.Parallel()
	db := pgtest.Open(t)
	ctx := testCtx(t)
	bs := db.DB.Blobs()
	sizes := []int{0, 1, postgres.ChunkSize - 1, postgres.ChunkSize, postgres.ChunkSize + 1, 2*postgres.ChunkSize + 7}
	for i, size := range sizes {
		key := fmt.Sprintf("key%02d", i)
		body := make([]byte, size)
		(&genReader{n: int64(size), state: uint64(i + 1)}).Read(body)
		n, sum, err := bs.Put(ctx, key, bytes.NewReader(body), int64(size))
		want := sha256.Sum256(body)
		if err != nil || n != int64(size) || !bytes.Equal(sum, want[:]) {
			t.Fatalf("Put %d bytes: %d, %x, %v", size, n, sum, err)
		}
		rc, err := bs.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("reading back %d bytes: got %d bytes, err %v", size, len(got), err)
		}
	}
	if got := count(t, db, `SELECT count(*) FROM blob_chunks WHERE key = 'key05'`); got != 3 {
		t.Errorf("a blob of 2 chunks + 7 bytes has %d chunks, want 3", got)
	}

	// Put replaces; too large leaves the old blob alone and nothing new.
	if _, _, err := bs.Put(ctx, "key01", bytes.NewReader([]byte("new")), 10); err != nil {
		t.Fatal(err)
	}
	_, _, err := bs.Put(ctx, "key01", &genReader{n: 2*postgres.ChunkSize + 1}, 2*postgres.ChunkSize)
	if convstore.ErrorCode(err) != convstore.ETOOLARGE || convstore.ErrorField(err) != "body" {
		t.Errorf("Put over max: %v, want ETOOLARGE on body", err)
	}
	_, _, err = bs.Put(ctx, "huge", &genReader{n: 3 * postgres.ChunkSize}, postgres.ChunkSize)
	if convstore.ErrorCode(err) != convstore.ETOOLARGE {
		t.Errorf("Put over max: %v, want ETOOLARGE", err)
	}
	rc, err := bs.Open(ctx, "key01")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(rc); string(got) != "new" {
		t.Errorf("key01 = %q after a too-large replacement, want %q", got, "new")
	}
	if _, err := bs.Open(ctx, "huge"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("Open of a too-large put: %v, want ENOTFOUND", err)
	}

	var keys []string
	if err := bs.Keys(ctx, func(k string) error { keys = append(keys, k); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(sizes) {
		t.Errorf("Keys = %q, want %d keys", keys, len(sizes))
	}

	// A blob deleted while being read fails the read, not silently.
	rc, err = bs.Open(ctx, "key05")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(rc, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if err := bs.Delete(ctx, "key05"); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); err == nil {
		t.Errorf("reading a blob deleted midway succeeded")
	}
	if err := bs.Delete(ctx, "key05"); err != nil {
		t.Errorf("Delete of a missing blob: %v", err)
	}
	if _, err := bs.Open(ctx, "key05"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("Open after Delete: %v, want ENOTFOUND", err)
	}
}

// TestBlobStorePutFunc stores what its function writes in chunks as Put
// does (the last up to ChunkSlack longer), with Put's cap; a failing function or a too-large body leaves the
// old blob alone and nothing new.
func TestBlobStorePutFunc(t *testing.T) {
	t.Parallel()
	db := pgtest.Open(t)
	ctx := testCtx(t)
	bs := db.DB.Blobs()
	// Writes of a sealed segment's size, which straddle chunk boundaries.
	writeAll := func(body []byte) func(io.Writer) error {
		return func(w io.Writer) error {
			for len(body) > 0 {
				k := min(len(body), 65552)
				if _, err := w.Write(body[:k]); err != nil {
					return err
				}
				body = body[k:]
			}
			return nil
		}
	}
	sizes := []int{0, 1, postgres.ChunkSize, postgres.ChunkSize + 1, 2*postgres.ChunkSize + 7,
		postgres.ChunkSize + postgres.ChunkSlack, postgres.ChunkSize + postgres.ChunkSlack + 1, 3*postgres.ChunkSize + postgres.ChunkSlack + 1}
	for i, size := range sizes {
		key := fmt.Sprintf("fkey%02d", i)
		body := make([]byte, size)
		(&genReader{n: int64(size), state: uint64(i + 1)}).Read(body)
		n, err := bs.PutFunc(ctx, key, int64(size), writeAll(body))
		if err != nil || n != int64(size) {
			t.Fatalf("PutFunc %d bytes: %d, %v", size, n, err)
		}
		rc, err := bs.Open(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("reading back %d bytes: got %d bytes, err %v", size, len(got), err)
		}
	}
	// The last chunk takes up to ChunkSlack bytes more; every other chunk
	// is ChunkSize bytes.
	for i, want := range []int{0, 1, 1, 1, 2, 1, 2, 4} {
		key := fmt.Sprintf("fkey%02d", i)
		if got := count(t, db, `SELECT count(*) FROM blob_chunks WHERE key = '`+key+`'`); got != want {
			t.Errorf("a blob of %d bytes has %d chunks, want %d", sizes[i], got, want)
		}
		if got := count(t, db, `SELECT count(*) FROM blob_chunks WHERE key = '`+key+`' AND n < `+fmt.Sprint(want-1)+` AND length(data) <> `+fmt.Sprint(postgres.ChunkSize)); got != 0 {
			t.Errorf("a blob of %d bytes has %d chunks before its last of other than ChunkSize bytes", sizes[i], got)
		}
	}

	big := make([]byte, 2*postgres.ChunkSize+1)
	_, err := bs.PutFunc(ctx, "fkey01", 2*postgres.ChunkSize, writeAll(big))
	if convstore.ErrorCode(err) != convstore.ETOOLARGE || convstore.ErrorField(err) != "body" {
		t.Errorf("PutFunc over max: %v, want ETOOLARGE on body", err)
	}
	broke := errors.New("body broke off")
	_, err = bs.PutFunc(ctx, "fkey01", 10, func(w io.Writer) error {
		w.Write([]byte("abc"))
		return broke
	})
	if !errors.Is(err, broke) {
		t.Errorf("PutFunc whose function fails: %v, want its error", err)
	}
	rc, err := bs.Open(ctx, "fkey01")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(rc); len(got) != 1 {
		t.Errorf("fkey01 holds %d bytes after failed replacements, want its 1", len(got))
	}
	_, err = bs.PutFunc(ctx, "fhuge", 10, func(w io.Writer) error {
		w.Write([]byte("abc"))
		return broke
	})
	if _, err := bs.Open(ctx, "fhuge"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Errorf("Open of a failed PutFunc: %v, want ENOTFOUND", err)
	}
}

// TestLargeAttachmentStreams puts a 50 MB recording through PutAttachment
// from a reader that generates it, and checks that neither writing nor
// reading holds it in memory: the heap in use stays far below its size,
// and its chunks reach the database while the body is still being read.
//
// Not parallel: it measures the process's heap, which parallel tests
// would grow; Go runs it before every parallel test of the package.
func TestLargeAttachmentStreams(t *testing.T) {
	const size = 50 << 20
	db := pgtest.Open(t)
	ctx := testCtx(t)
	tenant := mustTenant(t, ctx, db)
	conv, _, err := db.CreateConversation(ctx, tenant.ID, &convstore.ConversationCreate{})
	if err != nil {
		t.Fatal(err)
	}

	peak := watchHeap(t)
	var flushed atomic.Int64
	gen := &genReader{n: size, state: 42}
	gen.hook = func(off int64) {
		// At 40 MB in, 30 MB of chunks must already be in the database
		// (uncommitted rows take space too).
		if off >= 40<<20 && flushed.Load() == 0 {
			var bytes int64
			if err := postgres.Pool(db.DB).QueryRow(ctx, `SELECT pg_total_relation_size('blob_chunks')`).Scan(&bytes); err != nil {
				t.Errorf("measuring blob_chunks: %v", err)
			}
			flushed.Store(bytes)
		}
	}
	hash := sha256.New()
	a, err := db.PutAttachment(ctx, tenant.ID, conv.ID, &convstore.AttachmentPut{
		Name: "call.wav", ContentType: "audio/wav", Body: io.TeeReader(gen, hash), MaxBytes: 64 << 20,
	})
	if err != nil {
		t.Fatalf("PutAttachment of 50 MB: %v", err)
	}
	want := hex.EncodeToString(hash.Sum(nil))
	if a.Size != size || a.SHA256 != want {
		t.Errorf("record: size %d sha256 %s, want %d %s", a.Size, a.SHA256, size, want)
	}
	if got := flushed.Load(); got < 30<<20 {
		t.Errorf("blob_chunks held %d bytes 40 MB into the body: chunks are not written while streaming", got)
	}

	_, rc, err := db.OpenAttachment(ctx, tenant.ID, conv.ID, "call.wav")
	if err != nil {
		t.Fatal(err)
	}
	readHash := sha256.New()
	n, err := io.Copy(readHash, rc)
	rc.Close()
	if err != nil || n != size {
		t.Fatalf("reading back: %d bytes, %v", n, err)
	}
	if got := hex.EncodeToString(readHash.Sum(nil)); got != want {
		t.Errorf("read back sha256 %s, want %s", got, want)
	}
	if grew := peak(); grew > 20<<20 {
		t.Errorf("heap in use grew by %d MB while streaming 50 MB, want far less", grew>>20)
	} else {
		t.Logf("heap in use grew by at most %.1f MB while streaming 50 MB", float64(grew)/(1<<20))
	}
}

// watchHeap samples the heap in use until the returned function is
// called, which returns the largest growth over the starting value.
func watchHeap(t *testing.T) func() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, top := ms.HeapInuse, ms.HeapInuse
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				top = max(top, ms.HeapInuse)
			}
		}
	}()
	var once sync.Once
	done := func() uint64 {
		once.Do(func() { close(stop); wg.Wait() })
		return top - base
	}
	t.Cleanup(func() { done() })
	return done
}
