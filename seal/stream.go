package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"

	"golang.org/x/crypto/chacha20poly1305"
)

// Stream layout:
//
//	header:   version 0xF6 | algorithm | segment size (uint32, big endian) |
//	          salt (32 bytes) | nonce prefix (7 bytes)
//	segments: each a plaintext segment of exactly the segment size sealed
//	          with its 16-byte tag, except the last, which holds the rest
//	          (0 to segment size bytes) and is sealed with the final flag.
//
// The segment key is HKDF-SHA256 of the DEK's stream subkey with the salt,
// over the whole header and the caller's additional data, so a changed
// header or a stream moved to another context yields another key. Segment
// i's nonce is prefix | i (uint32, big endian) | final (0 or 1): a segment
// moved, dropped or marked final where it was not fails to open.
const (
	streamVersion   = 0xF6
	saltSize        = 32
	noncePrefixSize = 7
	streamHeaderLen = 2 + 4 + saltSize + noncePrefixSize
	streamNonceSize = noncePrefixSize + 4 + 1

	// SegmentSize is the plaintext size of every segment but the last.
	SegmentSize = 64 << 10

	// Readers accept segment sizes in this range only, so a corrupted
	// header cannot make them allocate without bound.
	minSegmentSize = 1 << 10
	maxSegmentSize = 4 << 20
)

// DefaultStreamAlgorithm is the algorithm NewWriter uses. Each stream has
// its own key, so 96-bit nonces built from a counter never repeat under a
// key; see BenchmarkStream for the choice.
const DefaultStreamAlgorithm = AES256GCM

// errStreamTooLong is returned past 2^32-1 segments (256 TiB).
var errStreamTooLong = errors.New("seal: stream longer than 2^32-1 segments")

// CiphertextSize returns the size of the sealed stream of a plaintext of n
// bytes: the header, the bytes, and one tag per segment (at least one).
func CiphertextSize(n int64) int64 {
	segments := n / SegmentSize
	if n%SegmentSize != 0 || n == 0 {
		segments++
	}
	return streamHeaderLen + n + segments*tagSize
}

// streamAEAD derives the segment cipher of a stream from its header.
func streamAEAD(dek *DEK, header, aad []byte) (cipher.AEAD, error) {
	alg := Algorithm(header[1])
	info := make([]byte, 0, len("stream/")+len(header)+len(aad))
	info = append(append(append(info, "stream/"...), header...), aad...)
	key, err := hkdf.Key(sha256.New, dek.subkey("stream"), header[6:6+saltSize], string(info), 32)
	if err != nil {
		return nil, err
	}
	switch alg {
	case AES256GCM:
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		return cipher.NewGCM(block)
	case ChaCha20Poly1305:
		return chacha20poly1305.New(key)
	}
	return nil, integrity(fmt.Sprintf("unknown stream algorithm %d", header[1]))
}

// Writer seals the bytes written to it as a stream onto an underlying
// writer, one segment at a time. Close seals the last segment; until then
// the stream is incomplete and will not open. A Writer is not safe for
// concurrent use.
type Writer struct {
	dst     io.Writer
	aead    cipher.AEAD
	header  []byte // written before the first segment, then nil
	nonce   [streamNonceSize]byte
	segment int     // plaintext segment size
	buf     []byte  // buffered plaintext; capacity segment+tagSize for sealing in place
	next    [1]byte // ReadFrom's look-ahead; a field, so it does not escape per segment
	counter uint32
	size    int64
	hash    hash.Hash
	err     error // the first error; every later call returns it
	closed  bool
	ahead   *writeAhead // nil: segments are sealed on the caller's goroutine
}

// NewWriter returns a Writer that seals onto dst under dek with aad
// (normally Context.AAD()), using DefaultStreamAlgorithm.
func NewWriter(dst io.Writer, dek *DEK, aad []byte) *Writer {
	return NewWriterWith(DefaultStreamAlgorithm, dst, dek, aad)
}

// NewWriterWith is NewWriter with a chosen algorithm. It panics on an
// algorithm other than AES256GCM and ChaCha20Poly1305.
func NewWriterWith(alg Algorithm, dst io.Writer, dek *DEK, aad []byte) *Writer {
	return newWriter(alg, SegmentSize, nil, dst, dek, aad)
}

// newWriter takes the segment size too, so tests can flip every byte of a
// stream of several small segments, and the salt and nonce prefix (nil:
// random), so fuzz seeds come out the same in every fuzzing process.
func newWriter(alg Algorithm, segment int, salt []byte, dst io.Writer, dek *DEK, aad []byte) *Writer {
	if alg != AES256GCM && alg != ChaCha20Poly1305 {
		panic("seal: unknown stream algorithm " + alg.String())
	}
	header := make([]byte, streamHeaderLen)
	header[0], header[1] = streamVersion, byte(alg)
	binary.BigEndian.PutUint32(header[2:6], uint32(segment))
	if salt == nil {
		rand.Read(header[6:]) // salt and nonce prefix
	} else {
		copy(header[6:], salt)
	}
	aead, err := streamAEAD(dek, header, aad)
	if err != nil {
		panic(err) // only for an unknown algorithm, excluded above
	}
	w := &Writer{dst: dst, aead: aead, header: header, hash: sha256.New(),
		segment: segment, buf: make([]byte, 0, segment+tagSize)}
	copy(w.nonce[:], header[6+saltSize:])
	return w
}

// Write seals p as it fills segments. A full segment is sealed and written
// only once more bytes arrive, since the last segment is sealed
// differently.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("seal: write after Close")
	}
	n := 0
	for len(p) > 0 {
		if len(w.buf) == w.segment {
			if err := w.flush(false); err != nil {
				return n, err
			}
		}
		c := copy(w.buf[len(w.buf):w.segment], p)
		w.hash.Write(p[:c])
		w.buf = w.buf[:len(w.buf)+c]
		w.size += int64(c)
		n += c
		p = p[c:]
	}
	return n, nil
}

// ReadFrom seals everything r yields until io.EOF, reading straight into
// the segment buffer (io.Copy uses it). It does not Close the stream.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("seal: write after Close")
	}
	var total int64
	for {
		if len(w.buf) == w.segment {
			// Read one byte past the full segment to learn whether it is
			// the last; it starts the next segment.
			n, err := io.ReadFull(r, w.next[:])
			if n == 1 {
				if err := w.flush(false); err != nil {
					return total, err
				}
				w.buf = append(w.buf, w.next[0])
				w.hash.Write(w.next[:])
				w.size++
				total++
			}
			if err == io.EOF {
				return total, nil
			} else if err != nil {
				return total, err
			}
			continue
		}
		n, err := r.Read(w.buf[len(w.buf):w.segment])
		if n > 0 {
			w.hash.Write(w.buf[len(w.buf) : len(w.buf)+n])
			w.buf = w.buf[:len(w.buf)+n]
			w.size += int64(n)
			total += int64(n)
		}
		if err == io.EOF {
			return total, nil
		} else if err != nil {
			return total, err
		}
	}
}

// Close seals and writes the last segment (and the header, for an empty
// stream). It does not close the underlying writer. Closing twice does
// nothing more. A write-ahead Writer's Close waits for its goroutine and
// returns the first error of writing to the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		w.Stop()
		return w.err
	}
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.flush(true)
	if w.ahead != nil {
		w.ahead.stop()
		if err == nil {
			err = w.ahead.failed()
		}
		if err != nil {
			w.err = err
		}
	}
	return err
}

// Size returns the number of plaintext bytes written so far.
func (w *Writer) Size() int64 { return w.size }

// Sum returns the SHA-256 of the plaintext written so far.
func (w *Writer) Sum() []byte { return w.hash.Sum(nil) }

// flush seals the buffered plaintext as the next segment and writes it.
func (w *Writer) flush(final bool) error {
	if w.ahead != nil {
		return w.flushAhead(final)
	}
	if w.header != nil {
		if _, err := w.dst.Write(w.header); err != nil {
			w.err = err
			return err
		}
		w.header = nil
	}
	if !final && w.counter == math.MaxUint32 {
		w.err = errStreamTooLong
		return w.err
	}
	setSegmentNonce(w.nonce[:], w.counter, final)
	sealed := w.aead.Seal(w.buf[:0], w.nonce[:], w.buf, nil)
	if _, err := w.dst.Write(sealed); err != nil {
		w.err = err
		return err
	}
	w.counter++
	w.buf = w.buf[:0]
	return nil
}

// setSegmentNonce writes segment i's counter and final flag after the
// nonce prefix.
func setSegmentNonce(nonce []byte, i uint32, final bool) {
	binary.BigEndian.PutUint32(nonce[noncePrefixSize:], i)
	nonce[streamNonceSize-1] = 0
	if final {
		nonce[streamNonceSize-1] = 1
	}
}
