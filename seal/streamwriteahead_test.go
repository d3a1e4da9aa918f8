package seal

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"
	"testing/iotest"
)

// TestWriteAheadSameStream holds a write-ahead Writer to exactly the bytes
// a Writer writes with the same salt, through Write in chunks and through
// ReadFrom, with the same Size and Sum.
func TestWriteAheadSameStream(t *testing.T) {
	dek := NewDEK()
	aad := attachmentContext().AAD()
	salt := randomBytes(saltSize+noncePrefixSize, 9)
	for _, size := range []int{0, 1, smallSegment, 2 * smallSegment, 7*smallSegment + 3} {
		plain := randomBytes(size, uint64(size))
		for _, alg := range streamAlgorithms {
			want := sealStreamSalt(t, alg, smallSegment, salt, dek, aad, plain, 500)
			for _, chunk := range []int{0, 1, 700, 3 * smallSegment} {
				var out bytes.Buffer
				w := newWriter(alg, smallSegment, salt, &out, dek, aad)
				w.ahead = &writeAhead{}
				if chunk == 0 {
					if _, err := w.ReadFrom(iotest.HalfReader(bytes.NewReader(plain))); err != nil {
						t.Fatal(err)
					}
				} else {
					if _, err := io.CopyBuffer(w, onlyReader{bytes.NewReader(plain)}, make([]byte, chunk)); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				what := fmt.Sprintf("%s %d bytes chunk %d", alg, size, chunk)
				if !bytes.Equal(out.Bytes(), want) {
					t.Fatalf("%s: write-ahead stream differs from Writer's", what)
				}
				if got, err := openStream(dek, aad, out.Bytes()); err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("%s: opens to %d bytes, %v", what, len(got), err)
				}
				if w.Size() != int64(size) {
					t.Fatalf("%s: Size %d", what, w.Size())
				}
			}
		}
	}
}

// TestWriteAheadErrors: an error of the underlying writer is returned (by
// a later Write or by Close, and by every call after), and Stop leaves an
// incomplete stream that does not open; no goroutine is left behind.
func TestWriteAheadErrors(t *testing.T) {
	dek := NewDEK()
	base := runtime.NumGoroutine()
	plain := randomBytes(10*smallSegment, 3)

	fw := &failingWriter{after: 3}
	w := newWriter(AES256GCM, smallSegment, nil, fw, dek, nil)
	w.ahead = &writeAhead{}
	_, werr := w.Write(plain)
	cerr := w.Close()
	if werr == nil && cerr == nil {
		t.Fatal("a failing underlying writer went unnoticed")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after a failure succeeded")
	}
	if err := w.Close(); err == nil {
		t.Error("second Close after a failure succeeded")
	}

	for _, n := range []int{0, 1, 3 * smallSegment} {
		var out bytes.Buffer
		w := NewWriteAheadWriter(AES256GCM, &out, dek, nil)
		if _, err := w.Write(plain[:n]); err != nil {
			t.Fatal(err)
		}
		w.Stop()
		w.Stop()
		if _, err := w.Write([]byte("x")); err == nil {
			t.Errorf("%d bytes: Write after Stop succeeded", n)
		}
		if err := w.Close(); err == nil {
			t.Errorf("%d bytes: Close after Stop succeeded", n)
		}
		_, err := openStream(dek, nil, out.Bytes())
		mustFailIntegrity(t, err, fmt.Sprintf("stopped after %d bytes", n))
	}

	var out bytes.Buffer
	w = NewWriteAheadWriter(AES256GCM, &out, dek, nil)
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Stop() // after Close: nothing
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if got, err := openStream(dek, nil, out.Bytes()); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Stop after Close spoiled the stream: %v", err)
	}

	for i := 0; runtime.NumGoroutine() > base; i++ {
		if i == 100000 {
			t.Fatalf("%d goroutines left, %d before", runtime.NumGoroutine(), base)
		}
		runtime.Gosched()
	}
}
