package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/convstore/convstore"
)

func newFS(t *testing.T) *FS {
	t.Helper()
	s, err := NewFS(filepath.Join(t.TempDir(), "blobs", "nested"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// files returns every regular file under root, relative to it.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keys(t *testing.T, s *FS) []string {
	t.Helper()
	var out []string
	if err := s.Keys(context.Background(), func(k string) error { out = append(out, k); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestNewFSCreatesRoot(t *testing.T) {
	s := newFS(t)
	if fi, err := os.Stat(s.Root()); err != nil || !fi.IsDir() {
		t.Fatalf("root not created: %v", err)
	}
}

func TestPutOpenRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := newFS(t)
	body := []byte("hello, blob")
	n, sum, err := s.Put(ctx, "abcdef01", bytes.NewReader(body), 100)
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(body)
	if n != int64(len(body)) || !bytes.Equal(sum, want[:]) {
		t.Fatalf("size %d sha %x, want %d %x", n, sum, len(body), want)
	}
	if got := files(t, s.Root()); !slices.Equal(got, []string{filepath.Join("ab", "cd", "abcdef01")}) {
		t.Fatalf("files = %v", got)
	}
	rc, err := s.Open(ctx, "abcdef01")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, _ := io.ReadAll(rc)
	if !bytes.Equal(got, body) {
		t.Fatalf("read %q", got)
	}
}

func TestPutReplaces(t *testing.T) {
	ctx := context.Background()
	s := newFS(t)
	for _, b := range []string{"first", "second"} {
		if _, _, err := s.Put(ctx, "key1", strings.NewReader(b), 100); err != nil {
			t.Fatal(err)
		}
	}
	rc, _ := s.Open(ctx, "key1")
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "second" {
		t.Fatalf("got %q", got)
	}
}

func TestPutMax(t *testing.T) {
	ctx := context.Background()
	s := newFS(t)
	if n, _, err := s.Put(ctx, "exact", strings.NewReader("12345"), 5); err != nil || n != 5 {
		t.Fatalf("exactly max: n=%d err=%v", n, err)
	}
	_, _, err := s.Put(ctx, "toolong", strings.NewReader("123456"), 5)
	if convstore.ErrorCode(err) != convstore.ETOOLARGE || convstore.ErrorField(err) != "body" {
		t.Fatalf("err = %v, want ETOOLARGE on body", err)
	}
	if got := files(t, s.Root()); len(got) != 1 {
		t.Fatalf("files left behind: %v", got)
	}
}

type cancelReader struct {
	cancel context.CancelFunc
	n      int
}

func (r *cancelReader) Read(p []byte) (int, error) {
	r.n++
	if r.n == 2 {
		r.cancel()
	}
	return copy(p, "chunk"), nil
}

func TestPutContextCancel(t *testing.T) {
	s := newFS(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, _, err := s.Put(ctx, "cancelled", &cancelReader{cancel: cancel}, 1<<20)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := files(t, s.Root()); len(got) != 0 {
		t.Fatalf("files left behind: %v", got)
	}
}

func TestInvalidKey(t *testing.T) {
	ctx := context.Background()
	s := newFS(t)
	for _, k := range []string{"", "abc", "ABCD", "ab/cd", "../../etc", ".tmp-abcd", strings.Repeat("a", MaxKeyLen+1)} {
		if _, _, err := s.Put(ctx, k, strings.NewReader("x"), 10); convstore.ErrorCode(err) != convstore.EINVALID {
			t.Errorf("Put(%q) err = %v, want EINVALID", k, err)
		}
		if err := s.Delete(ctx, k); convstore.ErrorCode(err) != convstore.EINVALID {
			t.Errorf("Delete(%q) err = %v, want EINVALID", k, err)
		}
		if _, err := s.Open(ctx, k); convstore.ErrorCode(err) != convstore.ENOTFOUND {
			t.Errorf("Open(%q) err = %v, want ENOTFOUND", k, err)
		}
	}
}

func TestOpenMissing(t *testing.T) {
	_, err := newFS(t).Open(context.Background(), "missing1")
	if convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("err = %v, want ENOTFOUND", err)
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s := newFS(t)
	if _, _, err := s.Put(ctx, "abcd1234", strings.NewReader("x"), 10); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, "abzz1234", strings.NewReader("y"), 10); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := s.Delete(ctx, "abcd1234"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Open(ctx, "abcd1234"); convstore.ErrorCode(err) != convstore.ENOTFOUND {
		t.Fatalf("after delete: %v", err)
	}
	// The emptied shard goes; the shared parent stays while it holds abzz.
	if _, err := os.Stat(filepath.Join(s.Root(), "ab", "cd")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("empty shard kept: %v", err)
	}
	if got := keys(t, s); !slices.Equal(got, []string{"abzz1234"}) {
		t.Fatalf("keys = %v", got)
	}
	if err := s.Delete(ctx, "abzz1234"); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(s.Root()); len(entries) != 0 {
		t.Fatalf("root not empty: %v", entries)
	}
}

func TestDeleteRemovesCrashedTemp(t *testing.T) {
	s := newFS(t)
	dir := filepath.Join(s.Root(), "ke", "y1")
	os.MkdirAll(dir, 0o700)
	stale := filepath.Join(dir, tempPrefix+"key1-123")
	other := filepath.Join(dir, tempPrefix+"key12-456")
	os.WriteFile(stale, []byte("partial"), 0o600)
	os.WriteFile(other, []byte("partial"), 0o600)
	if err := s.Delete(context.Background(), "key1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temp of key1 kept: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("temp of key12 removed: %v", err)
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	s := newFS(t)
	want := []string{"0000aaaa", "1234", "ffff0000zz"}
	for _, k := range want {
		if _, _, err := s.Put(ctx, k, strings.NewReader(k), 100); err != nil {
			t.Fatal(err)
		}
	}
	// Temporary files, stray files and misplaced keys are not keys.
	os.WriteFile(filepath.Join(s.Root(), "12", "34", tempPrefix+"1234-99"), nil, 0o600)
	os.WriteFile(filepath.Join(s.Root(), "README"), nil, 0o600)
	os.WriteFile(filepath.Join(s.Root(), "12", "34", "abcd"), nil, 0o600)
	if got := keys(t, s); !slices.Equal(got, want) {
		t.Fatalf("keys = %v, want %v", got, want)
	}
	stop := errors.New("stop")
	n := 0
	err := s.Keys(ctx, func(string) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Fatalf("fn error not returned: %v after %d", err, n)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Keys(cctx, func(string) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Keys: %v", err)
	}
}

// Put and Delete on keys sharing shard directories must not trip over each
// other's directory creation and removal.
func TestConcurrentPutDelete(t *testing.T) {
	ctx := context.Background()
	s := newFS(t)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				key := "abcd" + string(rune('a'+w)) + strings.Repeat("0", i%3+1)
				if _, _, err := s.Put(ctx, key, strings.NewReader("x"), 10); err != nil {
					t.Error(err)
					return
				}
				if err := s.Delete(ctx, key); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if got := keys(t, s); len(got) != 0 {
		t.Fatalf("keys left: %v", got)
	}
}

// blockingReader yields one chunk, then signals started and blocks until
// release is closed, then ends.
type blockingReader struct {
	started chan struct{}
	release chan struct{}
	n       int
}

func (r *blockingReader) Read(p []byte) (int, error) {
	r.n++
	switch r.n {
	case 1:
		return copy(p, "first chunk"), nil
	case 2:
		close(r.started)
		<-r.release
	}
	return 0, io.EOF
}

// A killed upload leaves a temporary file nobody holds: RemoveStaleTemp
// removes it, and keeps the file of an upload under way and every blob.
func TestRemoveStaleTemp(t *testing.T) {
	ctx := context.Background()
	s := newFS(t)
	if _, _, err := s.Put(ctx, "kept0001", strings.NewReader("blob"), 100); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Root(), "de", "ad")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, tempPrefix+"dead0001-123")
	if err := os.WriteFile(stale, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}

	r := &blockingReader{started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, _, err := s.Put(ctx, "live0001", r, 100)
		done <- err
	}()
	<-r.started // the live upload's temporary file exists and is locked

	n, err := s.RemoveStaleTemp(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("RemoveStaleTemp removed %d files, want 1", n)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("emptied shard directory kept: %v", err)
	}
	close(r.release)
	if err := <-done; err != nil {
		t.Fatalf("the live upload failed: %v", err)
	}
	if got := keys(t, s); !slices.Equal(got, []string{"kept0001", "live0001"}) {
		t.Fatalf("keys = %v", got)
	}
	rc, err := s.Open(ctx, "live0001")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "first chunk" {
		t.Errorf("live upload stored %q", got)
	}
}

// Blob files are private to their owner, and so are the shard directories.
func TestFileModes(t *testing.T) {
	s := newFS(t)
	if _, _, err := s.Put(context.Background(), "abcd1234", strings.NewReader("secret"), 100); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{s.Root(), filepath.Join(s.Root(), "ab"), filepath.Join(s.Root(), "ab", "cd"), filepath.Join(s.Root(), "ab", "cd", "abcd1234")} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
}

// TestPutFunc stores what its function writes, with Put's cap, and
// leaves nothing behind when the bytes are too many, when the function
// fails or when ctx ends.
func TestPutFunc(t *testing.T) {
	ctx := context.Background()
	s := newFS(t)
	write := func(parts ...string) func(io.Writer) error {
		return func(w io.Writer) error {
			for _, p := range parts {
				if _, err := io.WriteString(w, p); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if n, err := s.PutFunc(ctx, "func1", 5, write("123", "45")); err != nil || n != 5 {
		t.Fatalf("exactly max: n=%d err=%v", n, err)
	}
	rc, err := s.Open(ctx, "func1")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "12345" {
		t.Fatalf("read %q", got)
	}
	_, err = s.PutFunc(ctx, "func2", 5, write("123", "456"))
	if convstore.ErrorCode(err) != convstore.ETOOLARGE {
		t.Fatalf("err = %v, want ETOOLARGE", err)
	}
	broke := errors.New("body broke off")
	_, err = s.PutFunc(ctx, "func3", 5, func(w io.Writer) error {
		io.WriteString(w, "12")
		return broke
	})
	if !errors.Is(err, broke) {
		t.Fatalf("err = %v, want the function's", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	_, err = s.PutFunc(cctx, "func4", 5, func(w io.Writer) error {
		io.WriteString(w, "12")
		cancel()
		_, err := io.WriteString(w, "3")
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := files(t, s.Root()); len(got) != 1 {
		t.Fatalf("files: %v", got)
	}
}
