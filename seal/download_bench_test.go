//go:build unix

package seal

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkDownloadRatio reads a 1 MiB attachment from a (page-cached)
// file as a download does, three ways taking turns in every round so that
// the machine's other load falls on all alike: plain (the file copied to
// the response), read (opened on the caller's goroutine, WriteTo),
// read+copy (the same through io.Copy's buffer) and read-ahead (opened by
// NewReadAheadReader's workers). It prints each way's wall time
// and CPU time per download and their ratios to plain (rate ratio: plain
// time / sealed time, as BenchmarkSealRatio reports).
//
//	go test -run '^$' -bench DownloadRatio -benchtime 2000x ./seal/
func BenchmarkDownloadRatio(b *testing.B) {
	dek := NewDEK()
	aad := attachmentContext().AAD()
	plain := randomBytes(1<<20, 8)
	dir := b.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			b.Fatal(err)
		}
		return p
	}
	plainPath := write("plain", plain)
	sealedPath := write("sealed", sealStream(b, AES256GCM, SegmentSize, dek, aad, plain, 1<<16))
	ways := []struct {
		name string
		path string
		read func(f *os.File) (int64, error)
	}{
		{"plain", plainPath, func(f *os.File) (int64, error) { return io.Copy(io.Discard, f) }},
		{"read", sealedPath, func(f *os.File) (int64, error) { return NewReader(f, dek, aad).WriteTo(io.Discard) }},
		// What the service did before: io.Copy around WriteTo, through
		// the destination's buffer.
		{"read+copy", sealedPath, func(f *os.File) (int64, error) {
			return io.Copy(io.Discard, struct{ io.Reader }{NewReader(f, dek, aad)})
		}},
		{"read-ahead", sealedPath, func(f *os.File) (int64, error) {
			r := NewReadAheadReader(f, dek, aad)
			defer r.Close()
			return r.WriteTo(io.Discard)
		}},
	}
	wall := make([]time.Duration, len(ways))
	cpu := make([]time.Duration, len(ways))
	for b.Loop() {
		for i, w := range ways {
			f, err := os.Open(w.path)
			if err != nil {
				b.Fatal(err)
			}
			start, startCPU := time.Now(), cpuTime()
			n, err := w.read(f)
			wall[i] += time.Since(start)
			cpu[i] += cpuTime() - startCPU
			f.Close()
			if err != nil || n != int64(len(plain)) {
				b.Fatalf("%s: %d bytes, %v", w.name, n, err)
			}
		}
	}
	if b.N < 10 {
		return
	}
	fmt.Printf("\nBenchmarkDownloadRatio (%d rounds of 1 MiB): per download, and rate ratio to plain\n", b.N)
	for i, w := range ways {
		fmt.Printf("  %-11s wall %8v (%.2f)  cpu %8v (%.2f)\n", w.name, wall[i]/time.Duration(b.N),
			float64(wall[0])/float64(wall[i]), cpu[i]/time.Duration(b.N), float64(cpu[0])/float64(cpu[i]))
		b.ReportMetric(float64(wall[0])/float64(wall[i]), w.name+"-wall-ratio")
	}
}

// BenchmarkUploadRatio is BenchmarkDownloadRatio's counterpart for a 1 MiB
// upload onto a file (without fsync, which would drown the difference):
// plain hashes the bytes with SHA-256 and writes them, as the blob store
// does; write and write-ahead seal them (the Writer hashes the plaintext)
// on the caller's goroutine or on the Writer's own; write+sum also hashes
// the ciphertext, as the blob store's Put does.
//
//	go test -run '^$' -bench UploadRatio -benchtime 1000x ./seal/
func BenchmarkUploadRatio(b *testing.B) {
	dek := NewDEK()
	aad := attachmentContext().AAD()
	plain := randomBytes(1<<20, 9)
	path := filepath.Join(b.TempDir(), "blob")
	ways := []struct {
		name  string
		write func(f *os.File) error
	}{
		{"plain", func(f *os.File) error {
			h := sha256.New()
			_, err := io.Copy(io.MultiWriter(f, h), onlyReader{bytes.NewReader(plain)})
			sink = h.Sum(nil)
			return err
		}},
		{"write", func(f *os.File) error {
			w := NewWriter(f, dek, aad)
			if _, err := w.ReadFrom(onlyReader{bytes.NewReader(plain)}); err != nil {
				return err
			}
			return w.Close()
		}},
		// What the service did before: the blob store hashed the
		// ciphertext too.
		{"write+sum", func(f *os.File) error {
			h := sha256.New()
			w := NewWriter(io.MultiWriter(f, h), dek, aad)
			if _, err := w.ReadFrom(onlyReader{bytes.NewReader(plain)}); err != nil {
				return err
			}
			sink = h.Sum(nil)
			return w.Close()
		}},
		{"write-ahead", func(f *os.File) error {
			w := NewWriteAheadWriter(AES256GCM, f, dek, aad)
			if _, err := w.ReadFrom(onlyReader{bytes.NewReader(plain)}); err != nil {
				w.Stop()
				return err
			}
			return w.Close()
		}},
	}
	wall := make([]time.Duration, len(ways))
	cpu := make([]time.Duration, len(ways))
	for b.Loop() {
		for i, w := range ways {
			f, err := os.Create(path)
			if err != nil {
				b.Fatal(err)
			}
			start, startCPU := time.Now(), cpuTime()
			err = w.write(f)
			wall[i] += time.Since(start)
			cpu[i] += cpuTime() - startCPU
			f.Close()
			if err != nil {
				b.Fatalf("%s: %v", w.name, err)
			}
		}
	}
	if b.N < 10 {
		return
	}
	fmt.Printf("\nBenchmarkUploadRatio (%d rounds of 1 MiB): per upload, and rate ratio to plain\n", b.N)
	for i, w := range ways {
		fmt.Printf("  %-11s wall %8v (%.2f)  cpu %8v (%.2f)\n", w.name, wall[i]/time.Duration(b.N),
			float64(wall[0])/float64(wall[i]), cpu[i]/time.Duration(b.N), float64(cpu[0])/float64(cpu[i]))
		b.ReportMetric(float64(wall[0])/float64(wall[i]), w.name+"-wall-ratio")
	}
}
