package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/seal"
)

// sealedBlobPrefix starts the blob key of sealed attachment bytes.
const sealedBlobPrefix = "s"

// isSealedBlobKey reports whether key holds sealed bytes.
func isSealedBlobKey(key string) bool { return strings.HasPrefix(key, sealedBlobPrefix) }

// blobAAD is the additional data of an attachment's sealed bytes: its
// conversation and blob key (drawn before the record's id).
func (b box) blobAAD(key string) []byte {
	return seal.Context{Tenant: b.tenant, Conversation: b.conv, Table: tAttachments, Column: "bytes", Row: key}.AAD()
}

// putBlob stores p.Body under key: sealed as it streams (seal.Writer holds
// one 64 KiB segment at a time) when b has a data key, as it is otherwise.
// It returns the plaintext's size and SHA-256, and ETOOLARGE once more
// than p.MaxBytes of plaintext arrive, exactly as the blob store does for
// unsealed bytes.
func (s *Service) putBlob(ctx context.Context, key string, p *convstore.AttachmentPut, b box) (int64, []byte, error) {
	if b.dek == nil {
		return s.blobs.Put(ctx, key, p.Body, p.MaxBytes)
	}
	// Sealing on the caller's goroutine: a write-ahead Writer (sealing on
	// another) costs more than it saves on a busy host (seal's
	// BenchmarkUploadRatio).
	var w *seal.Writer
	var werr error // the sealing side's own failure
	write := func(dst io.Writer) error {
		w = seal.NewWriterWith(streamAlgorithm(b.alg), dst, b.dek, b.blobAAD(key))
		_, werr = w.ReadFrom(&limitReader{r: p.Body, left: p.MaxBytes})
		if werr == nil {
			werr = w.Close()
		} else {
			w.Stop() // the stream stays incomplete; the store discards it
		}
		return werr
	}
	// The cap on the ciphertext is never what stops an upload: the
	// plaintext's is, first.
	max := seal.CiphertextSize(p.MaxBytes) + 1
	var err error
	if fp, ok := s.blobs.(funcPutter); ok {
		_, err = fp.PutFunc(ctx, key, max, write)
	} else {
		err = putPiped(ctx, s.blobs, key, max, write)
	}
	if err != nil {
		// The plaintext's own failure (ETOOLARGE, a body that broke off)
		// reaches the blob store from write; report it as it was.
		if werr != nil && convstore.ErrorCode(werr) != convstore.EINTERNAL {
			return 0, nil, werr
		}
		return 0, nil, err
	}
	return w.Size(), w.Sum(), nil
}

// funcPutter is a blob store that stores what a function writes, without
// hashing it (blob.FS, postgres.BlobStore): a sealed upload needs the
// plaintext's SHA-256, which the seal.Writer computes, not the
// ciphertext's, and each sealed segment goes to the store as it is
// sealed, with no pipe, goroutine or copy in between.
type funcPutter interface {
	PutFunc(ctx context.Context, key string, max int64, write func(w io.Writer) error) (int64, error)
}

// putPiped stores what write writes through a plain Put, over a pipe, for
// a blob store without PutFunc.
func putPiped(ctx context.Context, blobs convstore.BlobStore, key string, max int64, write func(io.Writer) error) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := write(pw)
		pw.CloseWithError(err) // nil: the blob store reads EOF
		done <- err
	}()
	_, _, err := blobs.Put(ctx, key, pr, max)
	pr.CloseWithError(errors.New("service: upload ended")) // unblocks the writer if the store stopped early
	if werr := <-done; err == nil {
		err = werr
	}
	return err
}

// streamAlgorithm is the stream algorithm of a record algorithm: streams
// derive a key per stream and count their nonces, so the ChaCha20 family
// needs no extended nonce there.
func streamAlgorithm(alg seal.Algorithm) seal.Algorithm {
	if alg == seal.XChaCha20Poly1305 {
		return seal.ChaCha20Poly1305
	}
	return alg
}

// limitReader reads r, failing with the blob stores' ETOOLARGE once more
// than left bytes arrive.
type limitReader struct {
	r    io.Reader
	left int64
	max  int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.max == 0 {
		l.max = l.left
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, &convstore.Error{Code: convstore.ETOOLARGE, Field: "body",
			Message: fmt.Sprintf("body must be at most %d bytes", l.max)}
	}
	return n, err
}

// openBlob opens an attachment's bytes: a sealed blob through a
// seal.Reader (one 64 KiB segment in memory at a time), one stored before
// sealing as it is. The Reader opens on the caller's goroutine unless
// Options.ReadAhead (--seal-read-ahead) and there is more than one core:
// a read-ahead Reader costs more than it saves on a busy host (seal's
// BenchmarkDownloadRatio, bench's BenchmarkSealRatio).
func (s *Service) openBlob(ctx context.Context, tenantID, convID convstore.ID, key string) (io.ReadCloser, error) {
	if !isSealedBlobKey(key) {
		return s.blobs.Open(ctx, key)
	}
	if s.z.ring == nil {
		s.logger.Error("sealed attachment bytes in a store opened without a keyring", "blob_key", key)
		return nil, errIntegrity()
	}
	dek, err := s.z.key(ctx, s.drv.Reads(), tenantID, convID)
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return nil, convstore.NotFound("attachment") // deleted meanwhile
	} else if err != nil {
		return nil, err
	}
	rc, err := s.blobs.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	b := s.z.box(dek, tenantID, convID)
	open := seal.NewReader
	if s.readAhead && runtime.GOMAXPROCS(0) > 1 {
		open = seal.NewReadAheadReader
	}
	return &sealedBlob{Reader: open(rc, dek, b.blobAAD(key)), c: rc, s: s, key: key}, nil
}

// sealedBlob reads sealed bytes, reporting a failure to open as
// EINTEGRITY (logged) rather than as content.
type sealedBlob struct {
	*seal.Reader
	c   io.Closer
	s   *Service
	key string
}

func (b *sealedBlob) Read(p []byte) (int, error) {
	n, err := b.Reader.Read(p)
	return n, b.check(err)
}

// WriteTo hands each opened segment to w from the buffer it was opened
// in, sparing io.Copy's buffer and a copy of every byte.
func (b *sealedBlob) WriteTo(w io.Writer) (int64, error) {
	n, err := b.Reader.WriteTo(w)
	return n, b.check(err)
}

// check reports a failure to open as EINTEGRITY, logged.
func (b *sealedBlob) check(err error) error {
	if err != nil && errors.Is(err, seal.ErrIntegrity) {
		b.s.logger.Error("sealed attachment bytes failed to open", "blob_key", b.key, "error", err)
		return errIntegrity()
	}
	return err
}

// Close closes the Reader (stopping a read-ahead Reader's goroutines,
// which use the blob's reader) and only then the blob's reader.
func (b *sealedBlob) Close() error {
	b.Reader.Close()
	return b.c.Close()
}
