package service

import (
	"context"
	"errors"
	"fmt"
	"io"
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
// one 64 KiB segment at a time) when b has a data key, as it is otherwise. It returns the plaintext's size and SHA-256, and ETOOLARGE once more
// than p.MaxBytes of plaintext arrive, exactly as the blob store does for
// unsealed bytes.
func (s *Service) putBlob(ctx context.Context, key string, p *convstore.AttachmentPut, b box) (int64, []byte, error) {
	if b.dek == nil {
		return s.blobs.Put(ctx, key, p.Body, p.MaxBytes)
	}
	pr, pw := io.Pipe()
	// Sealing on this goroutine while the caller's stores: a write-ahead
	// Writer (sealing on a third) costs more than it saves on a busy host
	// (seal's BenchmarkUploadRatio).
	w := seal.NewWriterWith(streamAlgorithm(b.alg), pw, b.dek, b.blobAAD(key))
	done := make(chan error, 1)
	go func() {
		_, err := w.ReadFrom(&limitReader{r: p.Body, left: p.MaxBytes})
		if err == nil {
			err = w.Close()
		} else {
			w.Stop() // the stream stays incomplete; the store discards it
		}
		pw.CloseWithError(err) // nil: the blob store reads EOF
		done <- err
	}()
	// The cap on the ciphertext is never what stops an upload: the
	// plaintext's is, first.
	var err error
	if ns, ok := s.blobs.(noSumPutter); ok {
		_, err = ns.PutNoSum(ctx, key, pr, seal.CiphertextSize(p.MaxBytes)+1)
	} else {
		_, _, err = s.blobs.Put(ctx, key, pr, seal.CiphertextSize(p.MaxBytes)+1)
	}
	pr.CloseWithError(errors.New("service: upload ended")) // unblocks the writer if the store stopped early
	werr := <-done
	if err != nil {
		// The plaintext's own failure (ETOOLARGE, a body that broke off)
		// reaches the blob store through the pipe; report it as it was.
		if werr != nil && convstore.ErrorCode(werr) != convstore.EINTERNAL {
			return 0, nil, werr
		}
		return 0, nil, err
	}
	if werr != nil {
		return 0, nil, werr
	}
	return w.Size(), w.Sum(), nil
}

// noSumPutter is a blob store that can store bytes without hashing them
// (blob.FS): a sealed upload needs the plaintext's SHA-256, which the
// seal.Writer computes, not the ciphertext's.
type noSumPutter interface {
	PutNoSum(ctx context.Context, key string, r io.Reader, max int64) (int64, error)
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
// Options.ReadAhead: a read-ahead Reader costs more than it saves on a
// busy host (seal's BenchmarkDownloadRatio, bench's BenchmarkSealRatio).
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
	if s.readAhead {
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
