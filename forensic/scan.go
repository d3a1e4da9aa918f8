package forensic

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
)

// File is one file to scan.
type File struct {
	// Path is where it is.
	Path string
	// Class says what it is, e.g. ClassSQLiteWAL; reports group by it.
	Class string
	// From is the offset to start at: a log shared with other programs
	// is scanned from where it ended when the run began.
	From int64
}

// Hit is a canary found in a file.
type Hit struct {
	Canary *Canary
	// Form is how it was written (FormRaw, FormBase64, …), or "path"
	// when the file's path holds it.
	Form   string
	Path   string
	Class  string
	Offset int64 // in the file; -1 for a path hit
}

// ScanResult is what one scan read and found.
type ScanResult struct {
	// Files and Bytes count what was read, per class.
	Files map[string]int
	Bytes map[string]int64
	// Vanished counts files that were listed but gone when read (a WAL
	// segment recycled, a blob removed meanwhile).
	Vanished int
	Hits     []Hit
}

// chunkSize is how much of a file one read takes.
const chunkSize = 4 << 20

// Scan reads every file and returns the canaries of s found in them, in
// every form, and in their paths. A file that cannot be read fails the
// scan, except one that vanished after it was listed.
func (s *Set) Scan(files []File) (*ScanResult, error) {
	res := &ScanResult{Files: map[string]int{}, Bytes: map[string]int64{}}
	forms := s.forms()
	overlap := maxPattern(forms) - 1
	buf := make([]byte, chunkSize+overlap)
	for _, f := range files {
		res.Hits = append(res.Hits, s.pathHits(f)...)
		n, hits, err := scanFile(f, forms, buf, overlap)
		if errors.Is(err, fs.ErrNotExist) {
			res.Vanished++
			continue
		}
		if err != nil {
			return nil, err
		}
		res.Files[f.Class]++
		res.Bytes[f.Class] += n
		res.Hits = append(res.Hits, hits...)
	}
	sort.SliceStable(res.Hits, func(i, j int) bool {
		a, b := res.Hits[i], res.Hits[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Offset < b.Offset
	})
	return res, nil
}

// pathHits finds canaries in a file's path (an attachment name used as a
// file name would be one).
func (s *Set) pathHits(f File) []Hit {
	var hits []Hit
	for i := 0; ; {
		j := strings.Index(f.Path[i:], s.prefix)
		if j < 0 {
			return hits
		}
		i += j
		if i+CanaryLen <= len(f.Path) {
			if c := s.byValue[f.Path[i:i+CanaryLen]]; c != nil {
				hits = append(hits, Hit{Canary: c, Form: "path", Path: f.Path, Class: f.Class, Offset: -1})
			}
		}
		i++
	}
}

// scanFile reads f from f.From in chunks, each starting with the last
// overlap bytes of the one before, so a pattern cut by a chunk boundary is
// whole in the next chunk. A match belongs to the chunk it starts in
// before that chunk's overlap, so none is counted twice.
func scanFile(f File, forms []*form, buf []byte, overlap int) (int64, []Hit, error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return 0, nil, err
	}
	defer fh.Close()
	from := f.From
	if st, err := fh.Stat(); err == nil && st.Size() < from {
		from = 0 // the file was truncated or replaced since: all of it is new
	}
	if _, err := fh.Seek(from, io.SeekStart); err != nil {
		return 0, nil, fmt.Errorf("forensic: %s: %w", f.Path, err)
	}
	var hits []Hit
	var read int64
	base := from // file offset of buf[0]
	kept := 0    // bytes carried over from the previous chunk
	for {
		n, err := io.ReadFull(fh, buf[kept:])
		read += int64(n)
		end := kept + n
		eof := err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return read, nil, fmt.Errorf("forensic: reading %s: %w", f.Path, err)
		}
		// Matches starting at or after limit are left to the next chunk,
		// which holds them whole.
		limit := end - overlap
		if eof {
			limit = end
		}
		data := buf[:end]
		for _, fm := range forms {
			for i := 0; i < limit; {
				j := bytes.Index(data[i:], fm.needle)
				if j < 0 || i+j >= limit {
					break
				}
				p := i + j
				if p+fm.length <= end {
					if c := fm.patterns[string(data[p:p+fm.length])]; c != nil {
						hits = append(hits, Hit{Canary: c, Form: fm.name, Path: f.Path, Class: f.Class, Offset: base + int64(p)})
					}
				}
				i = p + 1
			}
		}
		if eof {
			return read, hits, nil
		}
		kept = copy(buf, data[limit:])
		base += int64(limit)
	}
}
