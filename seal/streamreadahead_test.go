package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
)

// openBoth opens sealed with a Reader and with a read-ahead Reader (read
// through Read in chunks of chunk bytes, or WriteTo when chunk is 0) and
// fails unless both return the same bytes and the same error.
func openBoth(t *testing.T, dek *DEK, aad, sealed []byte, chunk int, what string) ([]byte, error) {
	t.Helper()
	want, wantErr := openStream(dek, aad, sealed)
	r := NewReadAheadReader(bytes.NewReader(sealed), dek, aad)
	defer r.Close()
	var got bytes.Buffer
	var err error
	if chunk == 0 {
		_, err = r.WriteTo(&got)
	} else {
		_, err = io.CopyBuffer(&got, onlyReader{r}, make([]byte, chunk))
	}
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("%s: read-ahead gave %d bytes, %v; Reader %d bytes, %v", what, got.Len(), err, len(want), wantErr)
	}
	if err == nil && r.Size() != int64(len(want)) {
		t.Fatalf("%s: read-ahead Size %d, want %d", what, r.Size(), len(want))
	}
	return got.Bytes(), err
}

// TestReadAheadSameAsReader holds a read-ahead Reader to exactly what
// Reader does on intact, flipped, truncated and rearranged streams: the
// same authenticated bytes, then the same error.
func TestReadAheadSameAsReader(t *testing.T) {
	dek := NewDEK()
	aad := attachmentContext().AAD()
	for _, size := range []int{0, 1, smallSegment, 5*smallSegment + 100} {
		plain := randomBytes(size, uint64(size))
		for _, alg := range streamAlgorithms {
			sealed := sealStream(t, alg, smallSegment, dek, aad, plain, 333)
			for _, chunk := range []int{0, 1, 100, 4 * smallSegment} {
				got, err := openBoth(t, dek, aad, sealed, chunk, fmt.Sprintf("%s %d bytes chunk %d", alg, size, chunk))
				if err != nil || !bytes.Equal(got, plain) {
					t.Fatalf("%s %d bytes: %v", alg, size, err)
				}
			}
			for i := 0; i < len(sealed); i += 7 {
				tampered := bytes.Clone(sealed)
				tampered[i] ^= 0x80
				_, err := openBoth(t, dek, aad, tampered, 100, fmt.Sprintf("%s byte %d flipped", alg, i))
				mustFailIntegrity(t, err, "flipped")
				_, err = openBoth(t, dek, aad, sealed[:i], 0, fmt.Sprintf("%s cut to %d", alg, i))
				mustFailIntegrity(t, err, "cut")
			}
			full := smallSegment + tagSize
			body := sealed[streamHeaderLen:]
			if len(body) > 2*full {
				swapped := bytes.Join([][]byte{sealed[:streamHeaderLen], body[full : 2*full], body[:full], body[2*full:]}, nil)
				_, err := openBoth(t, dek, aad, swapped, 0, "swapped")
				mustFailIntegrity(t, err, "swapped")
			}
		}
	}
	_, err := openBoth(t, NewDEK(), aad, sealStream(t, AES256GCM, smallSegment, dek, aad, []byte("x"), 1), 0, "other key")
	mustFailIntegrity(t, err, "other key")
}

// TestReadAheadSourceError passes the source's error through as itself,
// after the authentic segments before it.
func TestReadAheadSourceError(t *testing.T) {
	dek := NewDEK()
	plain := randomBytes(4*smallSegment, 5)
	sealed := sealStream(t, AES256GCM, smallSegment, dek, nil, plain, 1000)
	boom := errors.New("disk on fire")
	half := streamHeaderLen + 2*(smallSegment+tagSize) + 10
	r := NewReadAheadReader(io.MultiReader(bytes.NewReader(sealed[:half]), iotest.ErrReader(boom)), dek, nil)
	defer r.Close()
	got, err := io.ReadAll(r)
	if !errors.Is(err, boom) || errors.Is(err, ErrIntegrity) {
		t.Fatalf("error %v, want the source's own", err)
	}
	if !bytes.Equal(got, plain[:2*smallSegment]) {
		t.Fatalf("read %d bytes before the error, want the %d of the two whole segments", len(got), 2*smallSegment)
	}
}

// blockingReader yields its bytes, then blocks until released.
type blockingReader struct {
	r        io.Reader
	entered  chan struct{}
	release  chan struct{}
	returned atomic.Bool
}

func (b *blockingReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		close(b.entered)
		<-b.release
		b.returned.Store(true)
	}
	return n, err
}

// TestReadAheadNoLeak closes read-ahead Readers at every stage (unread,
// mid-stream, at the end, after an error, with the goroutine blocked on a
// full queue) and checks that the goroutine count returns to where it
// was, and that a source read under way is waited for, not abandoned.
func TestReadAheadNoLeak(t *testing.T) {
	dek := NewDEK()
	sealed := sealStream(t, AES256GCM, smallSegment, dek, nil, randomBytes(20*smallSegment, 6), 1000)
	base := runtime.NumGoroutine()
	stages := map[string]func(r *Reader){
		"unread":     func(r *Reader) {},
		"one byte":   func(r *Reader) { r.Read(make([]byte, 1)) },
		"mid-stream": func(r *Reader) { r.Read(make([]byte, 3*smallSegment)) },
		"queue full": func(r *Reader) {
			r.Read(make([]byte, 1))
			for !r.ahead.full() { // let the helpers fill every slot and wait
				runtime.Gosched()
			}
		},
		"to the end": func(r *Reader) { io.Copy(io.Discard, r) },
	}
	for name, stage := range stages {
		r := NewReadAheadReader(bytes.NewReader(sealed), dek, nil)
		stage(r)
		r.Close()
		if _, err := r.Read(make([]byte, 1)); err == nil || err == io.EOF && name != "to the end" {
			t.Errorf("%s: Read after Close gave %v", name, err)
		}
		r.Close()
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)/2] ^= 1
	r := NewReadAheadReader(bytes.NewReader(tampered), dek, nil)
	if _, err := io.Copy(io.Discard, r); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("tampered: %v", err)
	}
	r.Close()

	// A source read under way when Close is called is finished first.
	src := &blockingReader{r: bytes.NewReader(sealed[:streamHeaderLen+3*(smallSegment+tagSize)]),
		entered: make(chan struct{}), release: make(chan struct{})}
	r = NewReadAheadReader(src, dek, nil)
	if _, err := r.Read(make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	<-src.entered // the goroutine is in the source's Read
	closed := make(chan struct{})
	go func() { r.Close(); close(closed) }()
	close(src.release)
	<-closed
	if !src.returned.Load() {
		t.Error("Close returned while the source's Read was under way")
	}

	for i := 0; runtime.NumGoroutine() > base; i++ {
		if i == 100000 {
			buf := make([]byte, 1<<16)
			t.Logf("%s", buf[:runtime.Stack(buf, true)])
			t.Fatalf("%d goroutines after closing every reader, %d before", runtime.NumGoroutine(), base)
		}
		runtime.Gosched() // a goroutine that closed done is still exiting
	}
}

// TestReadAheadOneCore runs a read-ahead Reader with one core: no helper,
// the same bytes and errors as a Reader.
func TestReadAheadOneCore(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	if n := aheadHelpers(); n != 0 {
		t.Fatalf("aheadHelpers with one core = %d, want 0", n)
	}
	dek := NewDEK()
	aad := attachmentContext().AAD()
	plain := randomBytes(5*smallSegment+100, 11)
	sealed := sealStream(t, AES256GCM, smallSegment, dek, aad, plain, 333)
	if got, err := openBoth(t, dek, aad, sealed, 0, "intact"); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("intact: %d bytes, %v", len(got), err)
	}
	tampered := bytes.Clone(sealed)
	tampered[streamHeaderLen+2*(smallSegment+tagSize)+5] ^= 1 // the third segment
	got, err := openBoth(t, dek, aad, tampered, 0, "flipped")
	mustFailIntegrity(t, err, "flipped")
	if !bytes.Equal(got, plain[:2*smallSegment]) {
		t.Fatalf("flipped third segment: %d bytes returned, want the first two segments' %d", len(got), 2*smallSegment)
	}
}

// TestPooledSegmentBuffers reads streams of the default segment size one
// after another, each Reader taking the buffer the last one returned: a
// tampered segment still fails after exactly the segments before it, and
// a stream read after it comes out intact.
func TestPooledSegmentBuffers(t *testing.T) {
	dek := NewDEK()
	aad := attachmentContext().AAD()
	plain := randomBytes(3*SegmentSize+100, 12)
	sealed := sealStream(t, AES256GCM, SegmentSize, dek, aad, plain, 1<<16)
	tampered := bytes.Clone(sealed)
	tampered[streamHeaderLen+2*(SegmentSize+tagSize)+5] ^= 1 // the third segment
	for i, ahead := range []bool{false, false, true, false, true} {
		for _, stream := range []struct {
			name   string
			sealed []byte
		}{{"intact", sealed}, {"tampered", tampered}} {
			r := NewReader(bytes.NewReader(stream.sealed), dek, aad)
			if ahead {
				r = NewReadAheadReader(bytes.NewReader(stream.sealed), dek, aad)
			}
			var got bytes.Buffer
			_, err := r.WriteTo(&got)
			r.Close()
			if stream.name == "tampered" {
				mustFailIntegrity(t, err, fmt.Sprintf("round %d tampered", i))
				if !bytes.Equal(got.Bytes(), plain[:2*SegmentSize]) {
					t.Fatalf("round %d tampered: %d bytes written, want the first two segments' %d", i, got.Len(), 2*SegmentSize)
				}
			} else if err != nil || !bytes.Equal(got.Bytes(), plain) {
				t.Fatalf("round %d intact: %d bytes, %v", i, got.Len(), err)
			}
		}
	}
}

// TestReadAheadHelpersOpen reads slowly with two cores: the helper opens
// segments ahead of the caller (not only the caller, as on a busy host),
// and the bytes still come out whole and in order.
func TestReadAheadHelpersOpen(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	dek := NewDEK()
	plain := randomBytes(20*smallSegment+7, 13)
	sealed := sealStream(t, AES256GCM, smallSegment, dek, nil, plain, 1000)
	r := NewReadAheadReader(bytes.NewReader(sealed), dek, nil)
	defer r.Close()
	var got bytes.Buffer
	buf := make([]byte, smallSegment)
	for {
		n, err := r.Read(buf)
		got.Write(buf[:n])
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // the caller is slow; the helper is not
	}
	if !bytes.Equal(got.Bytes(), plain) {
		t.Fatalf("read %d bytes, not the %d written", got.Len(), len(plain))
	}
	r.ahead.mu.Lock()
	helped := r.ahead.helped
	r.ahead.mu.Unlock()
	if helped == 0 {
		t.Fatal("the helper opened no segment of 21 while the caller slept between them")
	}
	t.Logf("the helper opened %d of 21 segments", helped)
}

// TestReadAheadRetiresLateHelpers takes the helper off its core after
// it claims a segment, as heavy load does: the caller, waiting
// on it past helperLate, retires it and opens the rest alone, and the
// bytes come out whole and in order with no goroutine left behind.
func TestReadAheadRetiresLateHelpers(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	base := runtime.NumGoroutine()
	dek := NewDEK()
	plain := randomBytes(40*smallSegment+7, 14)
	sealed := sealStream(t, AES256GCM, smallSegment, dek, nil, plain, 1000)
	var pauses atomic.Int32
	helperPause = func() {
		// The first segment goes through, then the helper stalls.
		if pauses.Add(1) > 1 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	defer func() { helperPause = nil }()
	r := NewReadAheadReader(bytes.NewReader(sealed), dek, nil)
	var got bytes.Buffer
	if _, err := io.CopyN(&got, r, 1); err != nil { // starts the helper
		t.Fatal(err)
	}
	for i := 0; pauses.Load() < 2; i++ { // the helper has claimed a segment and stalls on it
		if i == 10000 {
			t.Fatal("the helper claimed no second segment")
		}
		time.Sleep(100 * time.Microsecond)
	}
	_, err := r.WriteTo(&got)
	if err != nil || !bytes.Equal(got.Bytes(), plain) {
		t.Fatalf("read %d bytes, %v; want the %d written", got.Len(), err, len(plain))
	}
	r.ahead.mu.Lock()
	retired, helped := r.ahead.retired, r.ahead.helped
	r.ahead.mu.Unlock()
	r.Close()
	if !retired || helped > 20 {
		t.Fatalf("retired %v, helper claimed %d of 41 segments; want the helper retired and the caller opening most", retired, helped)
	}
	for i := 0; runtime.NumGoroutine() > base; i++ {
		if i == 1000 {
			t.Fatalf("%d goroutines after Close, %d before", runtime.NumGoroutine(), base)
		}
		time.Sleep(time.Millisecond)
	}
}
