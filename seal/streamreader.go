package seal

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
)

// Reader opens a sealed stream from an underlying reader, one segment at a
// time. It returns a segment's bytes only once that segment is
// authenticated, and io.EOF only after the final segment; a stream cut
// short, reordered or extended ends in an error matching ErrIntegrity
// instead. Bytes already returned came from authentic segments, but a
// consumer must still treat any error as the failure of the whole stream
// (abort a download, discard a copy). A Reader is not safe for concurrent
// use.
//
// A Reader from NewReadAheadReader opens the next segments on helper
// goroutines while the caller consumes the current one; it must be
// closed.
type Reader struct {
	seg   segmenter
	buf   []byte // one sealed segment; opened in place
	plain []byte // opened bytes not yet returned
	final bool   // the final segment has been opened
	size  int64
	err   error

	ahead  *readAhead // nil: segments are opened on the caller's goroutine
	closed bool
}

// segmenter reads and opens the segments of a stream in order. It is used
// by one goroutine at a time: the caller's, or a read-ahead goroutine's.
type segmenter struct {
	src     io.Reader
	dek     *DEK
	aad     []byte
	aead    cipher.AEAD
	header  []byte
	nonce   [streamNonceSize]byte
	segment int  // plaintext segment size from the header
	carry   byte // the byte read past a full segment: the next one's first
	counter uint32
}

// NewReader returns a Reader that opens the stream in src with dek and aad
// on the caller's goroutine. Nothing is read until the first Read.
func NewReader(src io.Reader, dek *DEK, aad []byte) *Reader {
	return &Reader{seg: segmenter{src: src, dek: dek, aad: aad}}
}

// NewReadAheadReader is NewReader with segments also opened on helper
// goroutines (one per core besides the caller's, up to three) ahead of
// the caller, at most twice as many segments as there are openers. The
// caller opens any segment no helper has taken yet itself, so on a busy
// host, where helpers rarely get a turn, it works as a Reader does; on
// idle cores the segments open side by side while the caller hands on
// the current one. The source is still read in order, one segment at a
// time (by whichever goroutine claims the segment). The helpers start
// after the first segment, if more follow; Close stops them and waits for
// them (a source read under way is finished, not interrupted), after
// which src is no longer used. Every segment is still authenticated
// before any of its bytes are returned, and segments are returned in
// order. With one core it starts no helper.
func NewReadAheadReader(src io.Reader, dek *DEK, aad []byte) *Reader {
	r := NewReader(src, dek, aad)
	r.ahead = &readAhead{}
	return r
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
// uses it), straight from the buffer it was opened in. It returns nil at
// the end of an intact stream.
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

// errReaderClosed is what a Reader returns after Close.
var errReaderClosed = errors.New("seal: read after Close")

// Close stops a read-ahead goroutine and waits until it has returned. It
// does not close the source. Reading after Close fails; closing twice does
// nothing more.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.ahead != nil {
		r.ahead.close()
	}
	putSegmentBuffer(r.buf)
	r.buf = nil
	r.plain = nil
	if r.err == nil {
		r.err = errReaderClosed
	}
	return nil
}

// next opens the next segment into r.plain.
func (r *Reader) next() error {
	var s opened
	if r.ahead != nil {
		s = r.ahead.next(&r.seg)
	} else {
		s = r.seg.open(&r.buf)
	}
	if s.err != nil {
		return s.err
	}
	r.final = s.final
	r.plain = s.plain
	r.size += int64(len(s.plain))
	return nil
}

// opened is one segment's outcome: its plaintext, opened in buf, or the
// error that ends the stream.
type opened struct {
	buf   []byte
	plain []byte
	final bool
	err   error
}

// open reads and opens the next segment in *buf, allocating it (after
// reading the header, which gives its size) when it is too small.
func (s *segmenter) open(buf *[]byte) opened {
	j := s.read(buf)
	if j.err != nil {
		return opened{buf: *buf, err: j.err}
	}
	return j.open(s.aead, s.nonce[:])
}

// sealedSegment is one segment as read, to be opened.
type sealedSegment struct {
	buf     []byte
	n       int // sealed length in buf
	counter uint32
	final   bool
	err     error // the stream failed before this segment could be opened
}

// read reads the next sealed segment into *buf and learns whether it is
// the final one. Segments are read in order; they may be opened in any.
func (s *segmenter) read(buf *[]byte) sealedSegment {
	if s.aead == nil {
		if err := s.readHeader(); err != nil {
			return sealedSegment{err: err}
		}
	}
	sealedLen := s.segment + tagSize
	if cap(*buf) < sealedLen+1 {
		if sealedLen == SegmentSize+tagSize {
			*buf = getSegmentBuffer()
		} else {
			*buf = make([]byte, sealedLen+1)
		}
	}
	// Read one byte past a full segment: if the stream goes on, this
	// segment is not the last.
	b := (*buf)[:sealedLen+1]
	start := 0
	if s.counter > 0 {
		b[0] = s.carry
		start = 1
	}
	n, err := io.ReadFull(s.src, b[start:])
	n += start
	final := false
	switch {
	case err == nil:
		s.carry = b[sealedLen]
		n = sealedLen
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		final = true
	default:
		return sealedSegment{buf: b, err: err}
	}
	if n < tagSize {
		return sealedSegment{buf: b, err: integrity("stream truncated")}
	}
	if !final && s.counter == math.MaxUint32 {
		return sealedSegment{buf: b, err: integrity("stream longer than 2^32-1 segments")}
	}
	j := sealedSegment{buf: b, n: n, counter: s.counter, final: final}
	s.counter++
	return j
}

// open authenticates and decrypts the segment in place. nonce starts with
// the stream's nonce prefix; open sets the rest.
func (j *sealedSegment) open(aead cipher.AEAD, nonce []byte) opened {
	setSegmentNonce(nonce, j.counter, j.final)
	plain, err := aead.Open(j.buf[:0], nonce, j.buf[:j.n], nil)
	if err != nil {
		return opened{buf: j.buf, err: integrity(fmt.Sprintf("segment %d failed authentication (altered, reordered, truncated or extended)", j.counter))}
	}
	return opened{buf: j.buf, plain: plain, final: j.final}
}

func (s *segmenter) readHeader() error {
	header := make([]byte, streamHeaderLen)
	if _, err := io.ReadFull(s.src, header); err != nil {
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
	aead, err := streamAEAD(s.dek, header, s.aad)
	if err != nil {
		return err
	}
	s.aead = aead
	s.header = header
	s.segment = int(segment)
	copy(s.nonce[:], header[6+saltSize:])
	return nil
}

// segmentBuffers recycles the buffers of Readers of the default segment
// size, so a download does not allocate (and zero) them anew.
var segmentBuffers = sync.Pool{New: func() any { b := make([]byte, SegmentSize+tagSize+1); return &b }}

// getSegmentBuffer takes a buffer of a default-size segment from the pool.
func getSegmentBuffer() []byte { return *segmentBuffers.Get().(*[]byte) }

// putSegmentBuffer returns a buffer to the pool, if it is one of a
// default-size segment.
func putSegmentBuffer(b []byte) {
	if cap(b) == SegmentSize+tagSize+1 {
		b = b[:cap(b)]
		segmentBuffers.Put(&b)
	}
}
