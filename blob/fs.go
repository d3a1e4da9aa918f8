package blob

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/convstore/convstore"
)

// Key bounds. Keys are chosen by the engine; the first four characters name
// the shard directories, so a key needs at least four.
const (
	MinKeyLen = 4
	MaxKeyLen = 128
)

// tempPrefix starts every temporary file name. A dot is never part of a key,
// so Keys can tell temporary files apart from blobs.
const tempPrefix = ".tmp-"

// FS is a convstore.BlobStore that keeps each blob in a file at
// root/<key[0:2]>/<key[2:4]>/<key>. Writes go to a temporary file in the same
// directory and are renamed into place after fsync, so a blob file is either
// absent or complete. Files are created readable by their owner only (0600)
// and directories 0700. FS is safe for concurrent use.
//
// A Put holds an exclusive lock (flock) on its temporary file until the
// file is renamed into place, so RemoveStaleTemp can tell the temporary
// files of live uploads from those a killed process left.
type FS struct {
	root string
}

var _ convstore.BlobStore = (*FS)(nil)

// NewFS returns a blob store rooted at dir, creating the directory if needed.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blob: empty root directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("blob: create root: %w", err)
	}
	return &FS{root: abs}, nil
}

// Root returns the absolute root directory.
func (s *FS) Root() string { return s.root }

// ValidKey reports whether key is MinKeyLen..MaxKeyLen characters of [a-z0-9].
func ValidKey(key string) bool {
	if len(key) < MinKeyLen || len(key) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (s *FS) dir(key string) string { return filepath.Join(s.root, key[0:2], key[2:4]) }

func (s *FS) path(key string) string { return filepath.Join(s.dir(key), key) }

func checkKey(key string) error {
	if !ValidKey(key) {
		return convstore.Invalidf("key", "blob key must be %d to %d characters of [a-z0-9]", MinKeyLen, MaxKeyLen)
	}
	return nil
}

// Put writes r under key and returns its size and SHA-256. It fails with
// ETOOLARGE once more than max bytes arrive, and stops when ctx ends; in
// every failure the temporary file is removed and nothing is left behind.
// An existing blob under key is replaced.
func (s *FS) Put(ctx context.Context, key string, r io.Reader, max int64) (int64, []byte, error) {
	h := sha256.New()
	n, err := s.put(ctx, key, max, func(f *os.File) (int64, error) {
		// Read one byte past max so an exactly-max body is accepted and a
		// longer one is detected without reading it all.
		return io.Copy(io.MultiWriter(f, h), io.LimitReader(ctxReader{ctx, r}, max+1))
	})
	if err != nil {
		return 0, nil, err
	}
	return n, h.Sum(nil), nil
}

// PutFunc stores under key what write writes to the writer it is given,
// as Put stores a reader's bytes, without a SHA-256: the caller has the
// digest it needs (the service sealing attachment bytes hashes the
// plaintext; a digest of the ciphertext would cost an upload as much
// again as sealing it). Each Write goes straight to the file, so a
// writer that produces whole segments stores them without a pipe, a
// goroutine or a copy in between. More than max bytes fail the write with
// ETOOLARGE; an error from write (or ctx ending) fails the Put, and
// nothing is left behind.
func (s *FS) PutFunc(ctx context.Context, key string, max int64, write func(w io.Writer) error) (int64, error) {
	return s.put(ctx, key, max, func(f *os.File) (int64, error) {
		w := &capWriter{ctx: ctx, w: f, left: max, max: max}
		err := write(w)
		return max - w.left, err
	})
}

// put writes what fill writes to a temporary file under key, then syncs
// it and renames it into place.
func (s *FS) put(ctx context.Context, key string, max int64, fill func(f *os.File) (int64, error)) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	f, err := s.createTemp(key)
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
			f.Close()
		}
	}()
	if err := lockFile(f); err != nil {
		return 0, fmt.Errorf("blob: lock %s: %w", key, err)
	}

	n, err := fill(f)
	if err != nil {
		return 0, fmt.Errorf("blob: write %s: %w", key, err)
	}
	if n > max {
		return 0, tooLarge(max)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("blob: sync %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// Renamed while still open and locked: a temporary file whose lock is
	// free is never one that is about to become a blob.
	if err := os.Rename(tmp, s.path(key)); err != nil {
		return 0, fmt.Errorf("blob: rename %s: %w", key, err)
	}
	ok = true
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("blob: close %s: %w", key, err)
	}
	// Make the rename itself durable; a failure here is not worth failing a
	// write whose bytes are already synced.
	syncDir(s.dir(key))
	return n, nil
}

// tooLarge is the error of a body over max bytes.
func tooLarge(max int64) error {
	return &convstore.Error{Code: convstore.ETOOLARGE, Field: "body",
		Message: fmt.Sprintf("body must be at most %d bytes", max)}
}

// capWriter writes to w until more than max bytes would be written, and
// stops once ctx ends, as ctxReader stops a Put.
type capWriter struct {
	ctx  context.Context
	w    io.Writer
	left int64
	max  int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if int64(len(p)) > c.left {
		return 0, tooLarge(c.max)
	}
	n, err := c.w.Write(p)
	c.left -= int64(n)
	return n, err
}

// createTemp creates a temporary file in key's shard directory. A concurrent
// Delete may remove an empty shard directory while MkdirAll or CreateTemp
// runs, so a missing directory is retried a few times. MkdirAll can also
// report "file exists" when another Put creates the directory and a Delete
// removes it again between its mkdir and its check; that is retried too.
func (s *FS) createTemp(key string) (*os.File, error) {
	dir := s.dir(key)
	var err error
	for range 10 {
		if err = os.MkdirAll(dir, 0o700); err == nil {
			var f *os.File
			if f, err = os.CreateTemp(dir, tempPrefix+key+"-*"); err == nil {
				return f, nil
			}
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	return nil, fmt.Errorf("blob: create temp: %w", err)
}

// Open returns a reader of the blob. ENOTFOUND if missing.
func (s *FS) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if !ValidKey(key) {
		return nil, convstore.NotFound("blob")
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, convstore.NotFound("blob")
	} else if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	return f, nil
}

// Delete removes the blob, any temporary file a crashed Put left for the
// same key, and then the shard directories if they are empty. A missing blob
// is not an error.
func (s *FS) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := os.Remove(s.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	dir := s.dir(key)
	// An engine queues a key's removal before it uploads, so deleting the
	// key is also how a crash in the middle of Put gets cleaned up.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix+key+"-") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("blob: delete %s: %w", key, err)
			}
		}
	}
	// Best effort: Remove fails on a non-empty directory, which is fine.
	if os.Remove(dir) == nil {
		os.Remove(filepath.Dir(dir))
	}
	return nil
}

// RemoveStaleTemp removes the temporary files that no Put is writing (a
// process killed mid-upload left them) and returns how many it removed. A
// temporary file is stale when its lock is free; the temporary files of
// uploads under way, in this process or another on the same host, are
// kept. Where file locks are not supported it removes nothing. The SQLite
// engine calls it when it opens.
func (s *FS) RemoveStaleTemp(ctx context.Context) (int, error) {
	removed := 0
	err := s.walkFiles(ctx, func(path string, d fs.DirEntry) error {
		if !strings.HasPrefix(d.Name(), tempPrefix) {
			return nil
		}
		stale, err := unlocked(path)
		if err != nil || !stale {
			return err
		}
		if err := os.Remove(path); err == nil {
			removed++
			// Best effort, as in Delete.
			if dir := filepath.Dir(path); os.Remove(dir) == nil {
				os.Remove(filepath.Dir(dir))
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("blob: remove stale temporary file: %w", err)
		}
		return nil
	})
	return removed, err
}

// unlocked reports whether no one holds the lock of the file at path. A
// file that is gone (renamed into place, or removed) is not stale.
func unlocked(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("blob: open temporary file: %w", err)
	}
	defer f.Close()
	return tryLock(f)
}

// Keys calls fn with every stored key, skipping temporary files and anything
// not at its shard path. It stops at the first error from fn or when ctx ends.
func (s *FS) Keys(ctx context.Context, fn func(key string) error) error {
	return s.walkFiles(ctx, func(path string, d fs.DirEntry) error {
		key := d.Name()
		if !ValidKey(key) || path != s.path(key) {
			return nil
		}
		return fn(key)
	})
}

// walkFiles calls fn with every regular file under the root, passing over
// entries a concurrent Delete removed. It stops at the first error from fn
// or when ctx ends.
func (s *FS) walkFiles(ctx context.Context, fn func(path string, d fs.DirEntry) error) error {
	return filepath.WalkDir(s.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed by a concurrent Delete
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return fn(path, d)
	})
}

// ctxReader stops reading once ctx ends, so a slow upload is abandoned.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
