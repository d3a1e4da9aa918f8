//go:build unix

package seal

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

var sink []byte

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs fn b.N times and reports, besides wall time, the CPU time per
// operation: on a shared machine wall time swings with the other load and
// CPU time much less, so ratios are taken between cpu-ns/op figures.
func loop(b *testing.B, fn func()) {
	b.Helper()
	start := cpuTime()
	n := 0
	for b.Loop() {
		fn()
		n++
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
}

// BenchmarkRecord measures sealing and opening one field value of a
// typical size (a title, a message, a large message) against copying the
// plaintext into a new buffer, which storing it unsealed costs too.
//
//	go test -run '^$' -bench 'Record|DEK' -benchmem ./seal/
func BenchmarkRecord(b *testing.B) {
	dek := NewDEK()
	aad := testContext().AAD()
	for _, size := range []int{50, 1 << 10, 64 << 10} {
		plain := randomBytes(size, 1)
		b.Run(fmt.Sprintf("size=%d/plain", size), func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			loop(b, func() { sink = bytes.Clone(plain) })
		})
		for _, alg := range recordAlgorithms {
			sealed := SealWith(alg, dek, plain, aad)
			b.Run(fmt.Sprintf("size=%d/%s/seal", size, alg), func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				loop(b, func() { sink = SealWith(alg, dek, plain, aad) })
			})
			b.Run(fmt.Sprintf("size=%d/%s/open", size, alg), func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				loop(b, func() {
					var err error
					if sink, err = Open(dek, sealed, aad); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// BenchmarkDEK measures what a request pays to start using a conversation's
// key: parse the unwrapped bytes and seal a first 50-byte value (which
// builds the cipher).
func BenchmarkDEK(b *testing.B) {
	raw := NewDEK().Bytes()
	aad := testContext().AAD()
	plain := randomBytes(50, 2)
	for _, alg := range recordAlgorithms {
		b.Run(alg.String(), func(b *testing.B) {
			b.ReportAllocs()
			loop(b, func() {
				dek, err := ParseDEK(raw)
				if err != nil {
					b.Fatal(err)
				}
				sink = SealWith(alg, dek, plain, aad)
			})
		})
	}
}

// onlyReader and onlyWriter hide ReadFrom and WriteTo, so io.Copy goes
// through its own buffer as it does between a request body and a file.
type onlyReader struct{ io.Reader }
type onlyWriter struct{ io.Writer }

const streamBenchSize = 64 << 20

// BenchmarkStream measures sealing and opening a 64 MiB attachment against
// what the blob store does with it unsealed, in memory and onto a file with
// fsync: an upload copies the bytes through SHA-256 (plain/write), a
// download copies them (plain/read). A sealed upload computes the same
// SHA-256 of the plaintext in the Writer. read opens a stream on the
// caller's goroutine; read-ahead opens the next segment on another while
// the caller consumes the current one, as the service does. allocs/segment
// is per 64 KiB segment.
//
//	go test -run '^$' -bench Stream -benchmem -benchtime 5x ./seal/
func BenchmarkStream(b *testing.B) {
	dek := NewDEK()
	aad := attachmentContext().AAD()
	plain := randomBytes(streamBenchSize, 3)
	segments := float64(streamBenchSize / SegmentSize)
	perSegment := func(b *testing.B, fn func()) {
		b.ReportMetric(testing.AllocsPerRun(1, fn)/segments, "allocs/segment")
	}
	copyPlain := func(dst io.Writer, src io.Reader) {
		if _, err := io.Copy(onlyWriter{dst}, onlyReader{src}); err != nil {
			b.Fatal(err)
		}
	}
	uploadPlain := func(dst io.Writer, src io.Reader) {
		h := sha256.New()
		copyPlain(io.MultiWriter(dst, h), src)
		sink = h.Sum(nil)
	}
	seal := func(alg Algorithm, dst io.Writer, src io.Reader) {
		w := NewWriterWith(alg, onlyWriter{dst}, dek, aad)
		if _, err := io.Copy(w, onlyReader{src}); err != nil {
			b.Fatal(err)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	open := func(dst io.Writer, src io.Reader) {
		if _, err := io.Copy(onlyWriter{dst}, NewReader(onlyReader{src}, dek, aad)); err != nil {
			b.Fatal(err)
		}
	}
	openAhead := func(dst io.Writer, src io.Reader) {
		r := NewReadAheadReader(onlyReader{src}, dek, aad)
		defer r.Close()
		if _, err := io.Copy(onlyWriter{dst}, r); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("memory/plain/write", func(b *testing.B) {
		b.SetBytes(streamBenchSize)
		b.ReportAllocs()
		loop(b, func() { uploadPlain(io.Discard, bytes.NewReader(plain)) })
	})
	b.Run("memory/plain/read", func(b *testing.B) {
		b.SetBytes(streamBenchSize)
		b.ReportAllocs()
		loop(b, func() { copyPlain(io.Discard, bytes.NewReader(plain)) })
	})
	for _, alg := range streamAlgorithms {
		var sealed bytes.Buffer
		seal(alg, &sealed, bytes.NewReader(plain))
		sealOnce := func() { seal(alg, io.Discard, bytes.NewReader(plain)) }
		openOnce := func() { open(io.Discard, bytes.NewReader(sealed.Bytes())) }
		b.Run("memory/"+alg.String()+"/write", func(b *testing.B) {
			b.SetBytes(streamBenchSize)
			b.ReportAllocs()
			loop(b, sealOnce)
			perSegment(b, sealOnce)
		})
		b.Run("memory/"+alg.String()+"/read", func(b *testing.B) {
			b.SetBytes(streamBenchSize)
			b.ReportAllocs()
			loop(b, openOnce)
			perSegment(b, openOnce)
		})
		b.Run("memory/"+alg.String()+"/read-ahead", func(b *testing.B) {
			b.SetBytes(streamBenchSize)
			b.ReportAllocs()
			loop(b, func() { openAhead(io.Discard, bytes.NewReader(sealed.Bytes())) })
		})
	}

	// Onto a file with fsync and back, as the blob store does.
	dir := b.TempDir()
	toFile := func(name string, write func(io.Writer)) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		write(f)
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	fromFile := func(name string, read func(io.Reader)) {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		read(f)
	}
	b.Run("file/plain/write", func(b *testing.B) {
		b.SetBytes(streamBenchSize)
		loop(b, func() { toFile("plain", func(w io.Writer) { uploadPlain(w, bytes.NewReader(plain)) }) })
	})
	b.Run("file/plain/read", func(b *testing.B) {
		b.SetBytes(streamBenchSize)
		loop(b, func() { fromFile("plain", func(r io.Reader) { copyPlain(io.Discard, r) }) })
	})
	for _, alg := range streamAlgorithms {
		name := "sealed-" + alg.String()
		b.Run("file/"+alg.String()+"/write", func(b *testing.B) {
			b.SetBytes(streamBenchSize)
			loop(b, func() { toFile(name, func(w io.Writer) { seal(alg, w, bytes.NewReader(plain)) }) })
		})
		b.Run("file/"+alg.String()+"/read", func(b *testing.B) {
			b.SetBytes(streamBenchSize)
			loop(b, func() { fromFile(name, func(r io.Reader) { open(io.Discard, r) }) })
		})
		b.Run("file/"+alg.String()+"/read-ahead", func(b *testing.B) {
			b.SetBytes(streamBenchSize)
			loop(b, func() { fromFile(name, func(r io.Reader) { openAhead(io.Discard, r) }) })
		})
	}
}
