package pgtest

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotice: the skip notice goes to stderr without a terminal, and to
// the terminal once per marker (once per go command) with one.
func TestNotice(t *testing.T) {
	var stderr, tty bytes.Buffer
	notice(&stderr, nil, "")
	if !strings.Contains(stderr.String(), EnvURL+" not set") {
		t.Fatalf("stderr: %q", stderr.String())
	}
	stderr.Reset()
	marker := filepath.Join(t.TempDir(), "marker")
	for range 3 {
		notice(&stderr, &tty, marker)
	}
	if strings.Count(tty.String(), EnvURL+" not set") != 1 || stderr.Len() != 0 {
		t.Fatalf("tty %q, stderr %q: want the notice once on the terminal", tty.String(), stderr.String())
	}
}
