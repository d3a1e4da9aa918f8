package seal

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Reader opens a sealed stream from an underlying reader, one segment at a
// time. It returns a segment's bytes only once that segment is
// authenticated, and io.EOF only after the final segment; a stream cut
// short, reordered or extended ends in an error matching ErrIntegrity
// instead. Bytes already returned came from authentic segments, but a
// consumer must still treat any error as the failure of the whole stream
// (abort a download, discard a copy). A Reader is not safe for concurrent
// use.
type Reader struct {
	src     io.Reader
	dek     *DEK
	aad     []byte
	aead    cipher.AEAD
	nonce   [streamNonceSize]byte
	segment int    // plaintext segment size from the header
	buf     []byte // one sealed segment; opened in place
	plain   []byte // opened bytes not yet returned
	carry   byte   // the byte read past a full segment: the next one's first
	counter uint32
	final   bool // the final segment has been opened
	size    int64
	err     error
}

// NewReader returns a Reader that opens the stream in src with dek and aad.
// Nothing is read until the first Read.
func NewReader(src io.Reader, dek *DEK, aad []byte) *Reader {
	return &Reader{src: src, dek: dek, aad: aad}
}

// Read returns opened plaintext.
func (r *Reader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.final {
			return 0, io.EOF
		}
		r.err = r.next()
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// WriteTo writes every opened segment to w until the stream ends (io.Copy
// uses it). It returns nil at the end of an intact stream.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(r.plain) > 0 {
			n, err := w.Write(r.plain)
			total += int64(n)
			r.plain = r.plain[n:]
			if err != nil {
				return total, err
			}
			continue
		}
		if r.err != nil {
			return total, r.err
		}
		if r.final {
			return total, nil
		}
		r.err = r.next()
	}
}

// Size returns the number of plaintext bytes opened so far: the stream's
// plaintext size once Read has returned io.EOF. The Reader computes no
// digest: every segment is authenticated already, and hashing would double
// the cost of a download (see BenchmarkStream).
func (r *Reader) Size() int64 { return r.size }

// next reads and opens the next segment into r.plain.
func (r *Reader) next() error {
	if r.aead == nil {
		if err := r.readHeader(); err != nil {
			return err
		}
	}
	sealedLen := r.segment + tagSize
	// Read one byte past a full segment: if the stream goes on, this
	// segment is not the last.
	buf := r.buf[:sealedLen+1]
	start := 0
	if r.counter > 0 {
		buf[0] = r.carry
		start = 1
	}
	n, err := io.ReadFull(r.src, buf[start:])
	n += start
	final := false
	switch {
	case err == nil:
		r.carry = buf[sealedLen]
		n = sealedLen
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		final = true
	default:
		return err
	}
	if n < tagSize {
		return integrity("stream truncated")
	}
	if !final && r.counter == math.MaxUint32 {
		return integrity("stream longer than 2^32-1 segments")
	}
	setSegmentNonce(r.nonce[:], r.counter, final)
	plain, err := r.aead.Open(buf[:0], r.nonce[:], buf[:n], nil)
	if err != nil {
		return integrity(fmt.Sprintf("segment %d failed authentication (altered, reordered, truncated or extended)", r.counter))
	}
	r.counter++
	r.final = final
	r.plain = plain
	r.size += int64(len(plain))
	return nil
}

func (r *Reader) readHeader() error {
	header := make([]byte, streamHeaderLen)
	if _, err := io.ReadFull(r.src, header); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return integrity("stream header truncated")
		}
		return err
	}
	if header[0] != streamVersion {
		return integrity(fmt.Sprintf("unknown stream version %#x", header[0]))
	}
	segment := binary.BigEndian.Uint32(header[2:6])
	if segment < minSegmentSize || segment > maxSegmentSize {
		return integrity(fmt.Sprintf("stream segment size %d out of range", segment))
	}
	aead, err := streamAEAD(r.dek, header, r.aad)
	if err != nil {
		return err
	}
	r.aead = aead
	r.segment = int(segment)
	r.buf = make([]byte, r.segment+tagSize+1)
	copy(r.nonce[:], header[6+saltSize:])
	return nil
}
