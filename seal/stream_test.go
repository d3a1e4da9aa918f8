package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

var streamAlgorithms = []Algorithm{AES256GCM, ChaCha20Poly1305}

// smallSegment is the segment size of the streams that tamper tests flip
// byte by byte; readers accept it like any other size in range.
const smallSegment = minSegmentSize

func attachmentContext() Context {
	return Context{Tenant: "ten_1", Conversation: "conv_1", Table: "attachments", Column: "bytes", Row: "att_1"}
}

// randomBytes returns n bytes from a seeded generator, so failures repeat.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// sealStream seals plain with a writer of the given segment size, writing
// it in chunks of chunk bytes (0: through ReadFrom).
func sealStream(t testing.TB, alg Algorithm, segment int, dek *DEK, aad, plain []byte, chunk int) []byte {
	return sealStreamSalt(t, alg, segment, nil, dek, aad, plain, chunk)
}

// sealStreamSalt is sealStream with a chosen salt and nonce prefix.
func sealStreamSalt(t testing.TB, alg Algorithm, segment int, salt []byte, dek *DEK, aad, plain []byte, chunk int) []byte {
	t.Helper()
	var out bytes.Buffer
	w := newWriter(alg, segment, salt, &out, dek, aad)
	if chunk == 0 {
		n, err := w.ReadFrom(iotest.OneByteReader(bytes.NewReader(plain)))
		if err != nil || n != int64(len(plain)) {
			t.Fatalf("ReadFrom: %d, %v", n, err)
		}
	} else {
		for p := plain; len(p) > 0; {
			c := min(chunk, len(p))
			if n, err := w.Write(p[:c]); err != nil || n != c {
				t.Fatalf("Write: %d, %v", n, err)
			}
			p = p[c:]
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Size() != int64(len(plain)) {
		t.Errorf("writer Size %d, want %d", w.Size(), len(plain))
	}
	if sum := sha256.Sum256(plain); !bytes.Equal(w.Sum(), sum[:]) {
		t.Error("writer Sum is not the plaintext's SHA-256")
	}
	return out.Bytes()
}

func openStream(dek *DEK, aad, sealed []byte) ([]byte, error) {
	return io.ReadAll(NewReader(bytes.NewReader(sealed), dek, aad))
}

func TestStreamRoundTrip(t *testing.T) {
	dek := NewDEK()
	aad := attachmentContext().AAD()
	seg := SegmentSize
	for _, alg := range streamAlgorithms {
		for _, size := range []int{0, 1, seg - 1, seg, seg + 1, 3 * seg, 3*seg + 5} {
			for _, chunk := range []int{0, 1000, 32 << 10, 200 << 10} {
				if chunk == 0 && size > seg+1 {
					continue // ReadFrom one byte at a time is slow; smaller sizes cover it
				}
				t.Run(fmt.Sprintf("%s/%d/chunk%d", alg, size, chunk), func(t *testing.T) {
					plain := randomBytes(size, uint64(size))
					sealed := sealStream(t, alg, seg, dek, aad, plain, chunk)
					if int64(len(sealed)) != CiphertextSize(int64(size)) {
						t.Errorf("sealed %d bytes into %d, CiphertextSize says %d", size, len(sealed), CiphertextSize(int64(size)))
					}
					r := NewReader(iotest.HalfReader(bytes.NewReader(sealed)), dek, aad)
					got, err := io.ReadAll(r)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, plain) {
						t.Fatalf("opened %d bytes differ from the %d sealed", len(got), size)
					}
					if r.Size() != int64(size) {
						t.Errorf("reader Size %d, want %d", r.Size(), size)
					}
					// WriteTo gives the same bytes.
					var viaWriteTo bytes.Buffer
					if n, err := NewReader(bytes.NewReader(sealed), dek, aad).WriteTo(&viaWriteTo); err != nil || n != int64(size) {
						t.Fatalf("WriteTo: %d, %v", n, err)
					}
					if !bytes.Equal(viaWriteTo.Bytes(), plain) {
						t.Fatal("WriteTo bytes differ")
					}
				})
			}
		}
	}
}

func TestStreamDefaultAlgorithm(t *testing.T) {
	var out bytes.Buffer
	w := NewWriter(&out, NewDEK(), nil)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if out.Bytes()[0] != streamVersion || Algorithm(out.Bytes()[1]) != DefaultStreamAlgorithm {
		t.Fatalf("header %x", out.Bytes()[:2])
	}
	if out.Len() != int(CiphertextSize(0)) {
		t.Fatalf("empty stream is %d bytes, want %d", out.Len(), CiphertextSize(0))
	}
}

// TestStreamEveryByteFlip changes each byte of a three-segment stream in
// turn: none opens to the end.
func TestStreamEveryByteFlip(t *testing.T) {
	dek := NewDEK()
	aad := attachmentContext().AAD()
	plain := randomBytes(2*smallSegment+100, 1)
	for _, alg := range streamAlgorithms {
		sealed := sealStream(t, alg, smallSegment, dek, aad, plain, 300)
		for i := range sealed {
			tampered := bytes.Clone(sealed)
			tampered[i] ^= 0x01
			_, err := openStream(dek, aad, tampered)
			mustFailIntegrity(t, err, fmt.Sprintf("%s: byte %d flipped", alg, i))
		}
	}
}

// TestStreamTruncated cuts the stream at every length, including every
// segment boundary: none opens to the end.
func TestStreamTruncated(t *testing.T) {
	dek := NewDEK()
	aad := attachmentContext().AAD()
	for _, size := range []int{0, 100, 2 * smallSegment, 2*smallSegment + 100} {
		sealed := sealStream(t, AES256GCM, smallSegment, dek, aad, randomBytes(size, 2), 500)
		for n := 0; n < len(sealed); n++ {
			_, err := openStream(dek, aad, sealed[:n])
			mustFailIntegrity(t, err, fmt.Sprintf("%d-byte stream cut to %d of %d bytes", size, n, len(sealed)))
		}
	}
}

// TestStreamRearranged moves, drops, repeats and appends whole segments and
// whole streams: none opens to the end.
func TestStreamRearranged(t *testing.T) {
	dek := NewDEK()
	aad := attachmentContext().AAD()
	plain := randomBytes(3*smallSegment+100, 3)
	sealed := sealStream(t, AES256GCM, smallSegment, dek, aad, plain, 700)
	header, body := sealed[:streamHeaderLen], sealed[streamHeaderLen:]
	full := smallSegment + tagSize
	seg := func(i int) []byte { return body[i*full : min((i+1)*full, len(body))] }
	join := func(parts ...[]byte) []byte { return bytes.Join(append([][]byte{header}, parts...), nil) }
	other := sealStream(t, AES256GCM, smallSegment, dek, aad, plain, 700)
	cases := map[string][]byte{
		"first two swapped":     join(seg(1), seg(0), seg(2), seg(3)),
		"middle dropped":        join(seg(0), seg(2), seg(3)),
		"last dropped":          join(seg(0), seg(1), seg(2)),
		"segment repeated":      join(seg(0), seg(0), seg(1), seg(2), seg(3)),
		"last repeated":         join(seg(0), seg(1), seg(2), seg(3), seg(3)),
		"byte appended":         append(bytes.Clone(sealed), 0),
		"stream appended":       append(bytes.Clone(sealed), sealed...),
		"other stream's header": append(bytes.Clone(other[:streamHeaderLen]), body...),
		"other stream's last":   join(seg(0), seg(1), seg(2), other[streamHeaderLen+3*full:]),
	}
	for name, stream := range cases {
		_, err := openStream(dek, aad, stream)
		mustFailIntegrity(t, err, name)
	}
	// A full last segment followed by anything is caught too.
	exact := sealStream(t, AES256GCM, smallSegment, dek, aad, randomBytes(2*smallSegment, 4), 700)
	_, err := openStream(dek, aad, append(bytes.Clone(exact), exact[streamHeaderLen:streamHeaderLen+full]...))
	mustFailIntegrity(t, err, "segment appended after a full last segment")
}

func TestStreamWrongContextOrKey(t *testing.T) {
	dek := NewDEK()
	c := attachmentContext()
	sealed := sealStream(t, AES256GCM, SegmentSize, dek, c.AAD(), []byte("attachment bytes"), 100)
	moved := c
	moved.Row = "att_2"
	_, err := openStream(dek, moved.AAD(), sealed)
	mustFailIntegrity(t, err, "another row")
	_, err = openStream(NewDEK(), c.AAD(), sealed)
	mustFailIntegrity(t, err, "another key")
}

func TestStreamHeaderChecks(t *testing.T) {
	dek := NewDEK()
	aad := attachmentContext().AAD()
	sealed := sealStream(t, AES256GCM, smallSegment, dek, aad, []byte("x"), 1)
	for name, mutate := range map[string]func([]byte){
		"version":            func(b []byte) { b[0] = recordVersion },
		"algorithm":          func(b []byte) { b[1] = byte(XChaCha20Poly1305) },
		"segment size small": func(b []byte) { b[2], b[3], b[4], b[5] = 0, 0, 0, 1 },
		"segment size huge":  func(b []byte) { b[2], b[3], b[4], b[5] = 0xFF, 0xFF, 0xFF, 0xFF },
	} {
		b := bytes.Clone(sealed)
		mutate(b)
		_, err := openStream(dek, aad, b)
		mustFailIntegrity(t, err, name)
	}
}

// TestStreamSourceError passes an I/O error of the underlying reader
// through as itself: it is not an integrity failure.
func TestStreamSourceError(t *testing.T) {
	dek := NewDEK()
	sealed := sealStream(t, AES256GCM, smallSegment, dek, nil, randomBytes(3*smallSegment, 5), 1000)
	boom := errors.New("disk on fire")
	src := io.MultiReader(bytes.NewReader(sealed[:len(sealed)/2]), iotest.ErrReader(boom))
	_, err := io.ReadAll(NewReader(src, dek, nil))
	if !errors.Is(err, boom) || errors.Is(err, ErrIntegrity) {
		t.Fatalf("error %v, want the source's own", err)
	}
}

type failingWriter struct{ after int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("disk full")
	}
	f.after--
	return len(p), nil
}

// TestWriterErrorIsSticky keeps returning the first write error.
func TestWriterErrorIsSticky(t *testing.T) {
	w := newWriter(AES256GCM, smallSegment, nil, &failingWriter{after: 2}, NewDEK(), nil)
	_, err := w.Write(make([]byte, 10*smallSegment))
	if err == nil {
		t.Fatal("Write succeeded onto a failing writer")
	}
	if _, again := w.Write([]byte("x")); again != err {
		t.Errorf("second Write: %v, want %v", again, err)
	}
	if closeErr := w.Close(); closeErr != err {
		t.Errorf("Close: %v, want %v", closeErr, err)
	}
}

func TestWriteAfterClose(t *testing.T) {
	w := NewWriter(io.Discard, NewDEK(), nil)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("late")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestStreamAllocationsPerSegment checks that sealing and opening allocate
// per stream, not per segment: 16 MiB costs what 1 MiB costs.
func TestStreamAllocationsPerSegment(t *testing.T) {
	dek := NewDEK()
	small, large := randomBytes(1<<20, 6), randomBytes(16<<20, 7)
	sealedSmall := sealStream(t, AES256GCM, SegmentSize, dek, nil, small, 0+32<<10)
	sealedLarge := sealStream(t, AES256GCM, SegmentSize, dek, nil, large, 32<<10)
	sealAllocs := func(plain []byte) float64 {
		return testing.AllocsPerRun(3, func() {
			w := NewWriter(io.Discard, dek, nil)
			w.ReadFrom(bytes.NewReader(plain))
			w.Close()
		})
	}
	openAllocs := func(sealed []byte) float64 {
		return testing.AllocsPerRun(3, func() {
			NewReader(bytes.NewReader(sealed), dek, nil).WriteTo(io.Discard)
		})
	}
	if s, l := sealAllocs(small), sealAllocs(large); l > s {
		t.Errorf("sealing 16 MiB allocates %v times, 1 MiB %v: allocations grow with segments", l, s)
	}
	if s, l := openAllocs(sealedSmall), openAllocs(sealedLarge); l > s {
		t.Errorf("opening 16 MiB allocates %v times, 1 MiB %v: allocations grow with segments", l, s)
	}
}

// FuzzStreamReader feeds mutations of small sealed streams to Reader: it
// never panics, every failure matches ErrIntegrity, and whatever opens to
// the end is exactly the stream that was sealed.
func FuzzStreamReader(f *testing.F) {
	dek := testDEK(f)
	aad := attachmentContext().AAD()
	originals := map[string][]byte{} // sealed stream -> plaintext
	for i, size := range []int{0, 5, smallSegment, 2*smallSegment + 7} {
		plain := randomBytes(size, uint64(i))
		for _, alg := range streamAlgorithms {
			salt := randomBytes(saltSize+noncePrefixSize, uint64(i))
			sealed := sealStreamSalt(f, alg, smallSegment, salt, dek, aad, plain, 256)
			originals[string(sealed)] = plain
			f.Add(sealed)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := openStream(dek, aad, data)
		if err != nil {
			if !errors.Is(err, ErrIntegrity) {
				t.Fatalf("error %v does not match ErrIntegrity", err)
			}
			return
		}
		want, ok := originals[string(data)]
		if !ok {
			t.Fatalf("a stream that was never sealed opened to %d bytes", len(got))
		}
		if !bytes.Equal(got, want) {
			t.Fatal("a sealed stream opened to other bytes")
		}
	})
}

// TestStreamKnownAnswer seals with a fixed salt and nonce prefix and
// compares with the SHA-256 of what an earlier build wrote: a change to the
// stream format or its key derivation, which would make stored attachments
// unreadable, fails here.
func TestStreamKnownAnswer(t *testing.T) {
	dek := testDEK(t)
	aad := attachmentContext().AAD()
	salt := bytes.Repeat([]byte{3}, saltSize+noncePrefixSize)
	plain := bytes.Repeat([]byte(knownPlaintext), 50) // two 1 KiB segments
	for alg, want := range knownStreams {
		got := sealStreamSalt(t, alg, smallSegment, salt, dek, aad, plain, 100)
		if sum := sha256.Sum256(got); hex.EncodeToString(sum[:]) != want {
			t.Errorf("%s: sealed stream's SHA-256 %x differs from the known answer", alg, sum)
		}
		opened, err := openStream(dek, aad, got)
		if err != nil || !bytes.Equal(opened, plain) {
			t.Errorf("%s: opened %d bytes, %v", alg, len(opened), err)
		}
	}
}

var knownStreams = map[Algorithm]string{
	AES256GCM:        "1be08670f3dcb3ecc818f67efaf4e34e8d869be3446626786eab588d23267ff1",
	ChaCha20Poly1305: "f2c7fc152fd7b452c832645ac9d165e9c687ee31946a83058b9b34b125c54207",
}

// TestStreamLayout builds a two-segment stream by hand from the documented
// layout and key derivation, with the standard library only, and Reader
// opens it: the format is what the comments in stream.go say.
func TestStreamLayout(t *testing.T) {
	dek := testDEK(t)
	aad := attachmentContext().AAD()
	header := []byte{0xF6, 1, 0, 0, 4, 0}                   // AES-256-GCM, 1024-byte segments
	header = append(header, bytes.Repeat([]byte{5}, 32)...) // salt
	header = append(header, bytes.Repeat([]byte{6}, 7)...)  // nonce prefix
	streamKey, err := hkdf.Expand(sha256.New, dek.Bytes(), "convstore/seal/v1/stream", 32)
	if err != nil {
		t.Fatal(err)
	}
	key, err := hkdf.Key(sha256.New, streamKey, header[6:38], "stream/"+string(header)+string(aad), 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	plain := randomBytes(1024+10, 8)
	stream := bytes.Clone(header)
	for i, part := range [][]byte{plain[:1024], plain[1024:]} {
		nonce := append(bytes.Clone(header[38:45]), 0, 0, 0, byte(i), byte(i)) // counter, then final flag
		stream = gcm.Seal(stream, nonce, part, nil)
	}
	got, err := openStream(dek, aad, stream)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("opened %d bytes, %v", len(got), err)
	}
}
