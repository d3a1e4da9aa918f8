package forensic

import (
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFile writes b to a new file in dir and returns its path.
func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// found returns the forms in which the scan found c, with their offsets.
func found(res *ScanResult, c *Canary) map[string][]int64 {
	out := map[string][]int64{}
	for _, h := range res.Hits {
		if h.Canary == c {
			out[h.Form] = append(out[h.Form], h.Offset)
		}
	}
	return out
}

// TestScanFindsEveryForm writes one canary in each form a storage layer
// may use, base64 at each alignment within its 3-byte groups, and expects
// each found once, in its form, at its offset; a canary of another run is
// not reported.
func TestScanFindsEveryForm(t *testing.T) {
	s := NewSet()
	other := NewSet()
	foreign := other.New("native", "title", false, Text)
	type placed struct {
		c      *Canary
		form   string
		offset int64
	}
	var want []placed
	var file []byte
	// Raw, UTF-16 and hex canaries start where their encoding starts.
	for _, tc := range []struct {
		form string
		f    func(v string) []byte
	}{
		{FormRaw, func(v string) []byte { return []byte(v) }},
		{FormUTF16LE, func(v string) []byte { return []byte(utf16Bytes(v, false)) }},
		{FormUTF16BE, func(v string) []byte { return []byte(utf16Bytes(v, true)) }},
		{FormHexLower, func(v string) []byte { return []byte(hex.EncodeToString([]byte(v))) }},
		{FormHexUpper, func(v string) []byte { return []byte(strings.ToUpper(hex.EncodeToString([]byte(v)))) }},
	} {
		v := s.New("native", tc.form, false, Text)
		c := s.Lookup(v)
		file = append(file, "..filler.."...)
		want = append(want, placed{c, tc.form, int64(len(file))})
		file = append(file, tc.f(v)...)
	}
	// base64 of a canary that starts 0, 1 or 2 bytes into a group: the
	// scan matches from the first whole group of the canary on.
	for lead := range 3 {
		for _, e := range []struct {
			form string
			enc  *base64.Encoding
		}{{FormBase64, base64.StdEncoding}, {FormBase64URL, base64.URLEncoding}} {
			v := s.New("native", e.form, false, Text)
			c := s.Lookup(v)
			plain := append([]byte(strings.Repeat("~", lead)), v...)
			encoded := e.enc.EncodeToString(plain)
			skip := (3 - lead) % 3 // canary bytes in the first, shared group
			groupStart := (lead + skip) / 3 * 4
			form := e.form
			if encoded == base64.StdEncoding.EncodeToString(plain) {
				form = FormBase64 // without + or /, base64url is base64: one hit
			}
			file = append(file, "\n"...)
			want = append(want, placed{c, form, int64(len(file) + groupStart)})
			file = append(file, encoded...)
		}
	}
	file = append(file, foreign...)
	path := writeFile(t, t.TempDir(), "data", file)
	res, err := s.Scan([]File{{Path: path, Class: ClassSQLiteDB}})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range want {
		got := found(res, p.c)
		if len(got) != 1 || len(got[p.form]) != 1 || got[p.form][0] != p.offset {
			t.Errorf("%s canary: found %v, want once as %s at %d", p.form, got, p.form, p.offset)
		}
	}
	if len(res.Hits) != len(want) {
		t.Errorf("%d hits, want %d: %+v", len(res.Hits), len(want), res.Hits)
	}
	if res.Files[ClassSQLiteDB] != 1 || res.Bytes[ClassSQLiteDB] != int64(len(file)) {
		t.Errorf("scanned %d files, %d bytes; want 1, %d", res.Files[ClassSQLiteDB], res.Bytes[ClassSQLiteDB], len(file))
	}
}

// TestScanAcrossChunks puts canaries on and around the boundary between
// two reads and at the very end: each is found exactly once.
func TestScanAcrossChunks(t *testing.T) {
	s := NewSet()
	s.New("native", "not written", false, Text) // patterns have their length once a canary exists
	overlap := maxPattern(s.forms()) - 1
	if overlap != 2*CanaryLen-1 {
		t.Fatalf("overlap %d, want %d (hex is the longest form)", overlap, 2*CanaryLen-1)
	}
	size := 2*chunkSize + 100
	file := make([]byte, size)
	// At least CanaryLen apart: before the next read's overlap, at its
	// start, across the boundary, after it; the same around the second
	// boundary; at the end.
	offsets := []int{0, chunkSize - overlap - 30, chunkSize - overlap, chunkSize - 20, chunkSize + 10,
		2*chunkSize - overlap - 1, 2*chunkSize - 3, size - CanaryLen}
	var canaries []*Canary
	for _, off := range offsets {
		c := s.Lookup(s.New("native", "x", false, Text))
		canaries = append(canaries, c)
		copy(file[off:], c.Value)
	}
	path := writeFile(t, t.TempDir(), "big", file)
	res, err := s.Scan([]File{{Path: path, Class: ClassSQLiteWAL}})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range canaries {
		got := found(res, c)
		if len(got[FormRaw]) != 1 || got[FormRaw][0] != int64(offsets[i]) {
			t.Errorf("canary at %d: found %v", offsets[i], got)
		}
	}
	if len(res.Hits) != len(offsets) {
		t.Errorf("%d hits, want %d", len(res.Hits), len(offsets))
	}
}

// TestScanFromOffset: a log is scanned from where it ended when the run
// began, unless it is now shorter (rotated), then from its start.
func TestScanFromOffset(t *testing.T) {
	s := NewSet()
	before, after := s.New("native", "before", false, Text), s.New("native", "after", false, Text)
	dir := t.TempDir()
	content := "old line " + before + "\nnew line " + after + "\n"
	path := writeFile(t, dir, "server.log", []byte(content))
	from := int64(strings.Index(content, "new line"))
	res, err := s.Scan([]File{{Path: path, Class: ClassPGServerLog, From: from}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1 || res.Hits[0].Canary.Value != after || res.Hits[0].Offset != int64(strings.Index(content, after)) {
		t.Fatalf("hits %+v: want only the canary after the start offset", res.Hits)
	}
	if res.Bytes[ClassPGServerLog] != int64(len(content))-from {
		t.Errorf("read %d bytes, want %d", res.Bytes[ClassPGServerLog], int64(len(content))-from)
	}
	res, err = s.Scan([]File{{Path: path, Class: ClassPGServerLog, From: int64(len(content)) + 100}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 2 {
		t.Fatalf("a log shorter than its start offset: %d hits, want both canaries", len(res.Hits))
	}
}

// TestScanPathsAndVanishedFiles: a canary in a file's name is a hit; a
// listed file that is gone is counted, not an error.
func TestScanPathsAndVanishedFiles(t *testing.T) {
	s := NewSet()
	name := s.New("native", "attachment name", false, Text)
	dir := t.TempDir()
	path := writeFile(t, dir, name+".bin", []byte("no canary inside"))
	res, err := s.Scan([]File{{Path: path, Class: ClassBlob}, {Path: filepath.Join(dir, "gone"), Class: ClassBlob}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 1 || res.Hits[0].Form != "path" || res.Hits[0].Canary.Value != name {
		t.Fatalf("hits %+v: want the name in the path", res.Hits)
	}
	if res.Vanished != 1 || res.Files[ClassBlob] != 1 {
		t.Fatalf("vanished %d, files %d: want 1 and 1", res.Vanished, res.Files[ClassBlob])
	}
}

// TestDataDirFiles classifies the database's files, wherever it is, and
// every file under the data directory.
func TestDataDirFiles(t *testing.T) {
	data := t.TempDir()
	elsewhere := t.TempDir()
	db := filepath.Join(elsewhere, "store.db")
	for _, p := range []string{db, db + "-wal", db + "-shm", filepath.Join(data, "blobs", "ab", "cd", "abcdef"), filepath.Join(data, "stray")} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Dir(p), filepath.Base(p), []byte("x"))
	}
	files, err := DataDirFiles(data, filepath.Join(data, "blobs"), db)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range files {
		got[filepath.Base(f.Path)] = f.Class
	}
	want := map[string]string{"store.db": ClassSQLiteDB, "store.db-wal": ClassSQLiteWAL, "store.db-shm": ClassSQLiteSHM,
		"abcdef": ClassBlob, "stray": ClassDataOther}
	if len(got) != len(want) {
		t.Fatalf("files %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: class %q, want %q", k, got[k], v)
		}
	}
}
