package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore/forensic"
	"github.com/convstore/convstore/postgres/pgtest"
)

// wantClean says, for each class of file, whether the forensic check must
// find no canary there in any phase.
//
// Issue 10 seals every content field before it reaches an engine (package
// seal, wired in by package service): every class is clean, in every
// phase, on both engines; this test is issue 10's acceptance test. A
// class set to false would assert the claims below instead (where the
// canaries linger in plaintext), which is how the scanner showed its teeth
// before sealing.
var wantClean = map[string]bool{
	// Sealed content: ciphertext only.
	forensic.ClassSQLiteDB:    true,
	forensic.ClassSQLiteWAL:   true,
	forensic.ClassBlob:        true,
	forensic.ClassPGHeap:      true,
	forensic.ClassPGTOAST:     true,
	forensic.ClassPGIndex:     true,
	forensic.ClassPGStatistic: true,
	forensic.ClassPGWAL:       true,
	// Clean before sealing, and must stay so.
	forensic.ClassServerLog:     true, // convstore logs routes and ids, never content
	forensic.ClassPGServerLog:   true, // conflicts are found before PostgreSQL would log the key
	forensic.ClassSQLiteSHM:     true, // the WAL index holds page numbers only
	forensic.ClassSQLiteJournal: true, // WAL mode keeps no rollback journal
	forensic.ClassDataOther:     true,
}

// claim is where today's check must (or must not) find canaries.
type claim struct {
	phase, class string
	which        func(c *forensic.Canary) bool
	want         presence
	why          string
}

// presence is what a claim asserts of the canaries it selects.
type presence int

const (
	everyOne presence = iota // each is found in the class
	someOne                  // at least one is
	noneOf                   // none is: true whether sealed or not
)

// Canary selectors.
func inDatabase(c *forensic.Canary) bool {
	return c.Stored() && c.Kind != forensic.AttachmentBytes
}
func current(c *forensic.Canary) bool   { return inDatabase(c) && c.Kind != forensic.Replaced }
func deleted(c *forensic.Canary) bool   { return c.Deleted && c.Stored() }
func kept(c *forensic.Canary) bool      { return !c.Deleted && c.Stored() }
func bytesOf(c *forensic.Canary) bool   { return c.Kind == forensic.AttachmentBytes }
func stored(c *forensic.Canary) bool    { return c.Stored() }
func anyCanary(c *forensic.Canary) bool { return true }
func and(fs ...func(*forensic.Canary) bool) func(*forensic.Canary) bool {
	return func(c *forensic.Canary) bool {
		for _, f := range fs {
			if !f(c) {
				return false
			}
		}
		return true
	}
}

// sqliteClaims is where the SQLite engine leaves content today. The check
// runs a PASSIVE checkpoint before the deletes (what SQLite does by itself
// on a busy server) and a TRUNCATE checkpoint after them.
var sqliteClaims = []claim{
	{forensic.PhaseBeforeDelete, forensic.ClassSQLiteWAL, inDatabase, everyOne, "every write goes through the WAL"},
	{forensic.PhaseBeforeDelete, forensic.ClassSQLiteDB, current, everyOne, "a checkpoint copies it into the database file"},
	{forensic.PhaseBeforeDelete, forensic.ClassBlob, bytesOf, everyOne, "attachment bytes are files of their own"},
	{forensic.PhaseAfterDelete, forensic.ClassSQLiteWAL, and(deleted, current), everyOne, "secure_delete's zeroed pages are new WAL frames; the old frames stay"},
	{forensic.PhaseAfterDelete, forensic.ClassSQLiteDB, and(deleted, current), everyOne, "the database file keeps deleted content until the next checkpoint"},
	{forensic.PhaseAfterDelete, forensic.ClassBlob, and(deleted, bytesOf), noneOf, "a delete removes its attachment files"},
	{forensic.PhaseAfterCheckpoint, forensic.ClassSQLiteDB, deleted, noneOf, "the checkpoint copies secure_delete's zeroed pages back"},
	{forensic.PhaseAfterCheckpoint, forensic.ClassSQLiteWAL, anyCanary, noneOf, "wal_checkpoint(TRUNCATE) empties the WAL"},
	{forensic.PhaseAfterCheckpoint, forensic.ClassSQLiteDB, and(kept, current), everyOne, "live content is plaintext at rest"},
	{forensic.PhaseAfterRestart, forensic.ClassSQLiteDB, and(kept, current), everyOne, "live content is plaintext at rest"},
	{forensic.PhaseAfterRestart, forensic.ClassBlob, and(kept, bytesOf), everyOne, "live attachment bytes are plaintext files"},
}

// indexed selects the native fields that have a B-tree index.
func indexed(c *forensic.Canary) bool {
	return c.Door == "native" && (c.Field == "user_id" || c.Field == "external_id" || c.Field == "attachment name")
}

// text selects values small enough to stay in the heap.
func text(c *forensic.Canary) bool { return c.Kind == forensic.Text }

// toasted selects values PostgreSQL moves out of line.
func toasted(c *forensic.Canary) bool {
	return c.Kind == forensic.LargeText || c.Kind == forensic.AttachmentBytes
}

// postgresClaims is where the PostgreSQL engine leaves content today. The
// check runs ANALYZE and a CHECKPOINT before the deletes (what autovacuum
// and checkpoint_timeout do by themselves) and a CHECKPOINT after them.
var postgresClaims = []claim{
	// Only some for pg_wal: a checkpoint may remove a segment the run
	// wrote (the report counts them), when other clients of a shared
	// server fill the WAL meanwhile.
	{forensic.PhaseBeforeDelete, forensic.ClassPGWAL, stored, someOne, "every write goes through the WAL"},
	{forensic.PhaseBeforeDelete, forensic.ClassPGHeap, text, everyOne, "rows are in the heap"},
	{forensic.PhaseBeforeDelete, forensic.ClassPGTOAST, toasted, everyOne, "large values and blob chunks are in TOAST"},
	{forensic.PhaseAfterCheckpoint, forensic.ClassPGHeap, and(deleted, text), everyOne, "DELETE only marks tuples dead"},
	{forensic.PhaseAfterCheckpoint, forensic.ClassPGTOAST, and(deleted, toasted), everyOne, "dead TOAST chunks keep their bytes"},
	{forensic.PhaseAfterCheckpoint, forensic.ClassPGIndex, and(deleted, indexed), everyOne, "index entries of dead rows stay until VACUUM"},
	{forensic.PhaseAfterCheckpoint, forensic.ClassPGStatistic, deleted, someOne, "ANALYZE's samples outlive the rows"},
	{forensic.PhaseAfterCheckpoint, forensic.ClassPGWAL, deleted, someOne, "pg_wal keeps everything until its segments are recycled"},
	{forensic.PhaseAfterRestart, forensic.ClassPGHeap, and(kept, text), everyOne, "live content is plaintext at rest"},
}

// everywhere is what holds on both engines, sealed or not.
var everywhere = []claim{}

// TestForensicSQLite runs the forensic check on the SQLite engine.
func TestForensicSQLite(t *testing.T) {
	r := runForensicCheck(t, forensicOptions{DB: "sqlite:", Data: filepath.Join(t.TempDir(), "data")})
	wantCoverage(t, r, forensic.ClassSQLiteDB, forensic.ClassSQLiteWAL, forensic.ClassBlob, forensic.ClassServerLog)
	checkClaims(t, r, sqliteClaims)
}

// TestForensicPostgres runs the forensic check on the PostgreSQL engine,
// when CONVSTORE_TEST_POSTGRES_URL names a server whose data directory is
// readable here.
func TestForensicPostgres(t *testing.T) {
	url := pgtest.URL(t)
	r := runForensicCheck(t, forensicOptions{DB: url})
	if r.Incomplete != "" {
		t.Skipf("the check cannot prove anything here: %s", r.Incomplete)
	}
	classes := []string{forensic.ClassPGHeap, forensic.ClassPGTOAST, forensic.ClassPGIndex, forensic.ClassPGStatistic,
		forensic.ClassPGWAL, forensic.ClassServerLog}
	if logs, _ := filepath.Glob(forensic.DefaultPGLogGlob); len(logs) > 0 {
		classes = append(classes, forensic.ClassPGServerLog)
	}
	wantCoverage(t, r, classes...)
	checkClaims(t, r, postgresClaims)
}

// runForensicCheck runs the check and the claims both engines share.
func runForensicCheck(t *testing.T, o forensicOptions) *forensic.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	r, err := RunForensic(ctx, o, io.Discard)
	if err != nil {
		t.Fatalf("the check did not run: %v", err)
	}
	if testing.Verbose() {
		var b strings.Builder
		r.WriteText(&b, false)
		t.Log("\n" + b.String())
	}
	doors := map[string]bool{}
	for _, c := range r.Canaries {
		doors[c.Door] = true
	}
	for _, d := range forensic.Doors {
		if !doors[d] {
			t.Errorf("no canary written through the %s door", d)
		}
	}
	checkClaims(t, r, everywhere)
	return r
}

// wantCoverage fails unless every phase scanned files of every class: a
// clean result over nothing proves nothing.
func wantCoverage(t *testing.T, r *forensic.Report, classes ...string) {
	t.Helper()
	for _, p := range r.Phases {
		for _, class := range classes {
			if p.Files[class] == 0 {
				t.Errorf("%s: no %s file scanned", p.Name, class)
			}
		}
	}
}

// checkClaims asserts, for every class wantClean says is clean, that no
// phase found a canary there, and for the others today's claims. A claim
// that canaries are absent holds sealed or not, so it is always checked.
func checkClaims(t *testing.T, r *forensic.Report, claims []claim) {
	t.Helper()
	for _, p := range r.Phases {
		dirty := map[string][]forensic.Hit{}
		for _, h := range p.Hits {
			if wantClean[h.Class] {
				dirty[h.Class] = append(dirty[h.Class], h)
			}
		}
		for class, hits := range dirty {
			var examples []string
			for _, h := range hits[:min(len(hits), 5)] {
				examples = append(examples, fmt.Sprintf("%s in %s at %d (%s)", h.Canary.Label(), h.Path, h.Offset, h.Form))
			}
			t.Errorf("%s: %d hits in %s, a class that must be clean, e.g.\n\t%s", p.Name, len(hits), class, strings.Join(examples, "\n\t"))
		}
	}
	for _, c := range claims {
		if c.class != "" && wantClean[c.class] && c.want != noneOf {
			continue // sealed: the clean check above covers it
		}
		p := r.Phase(c.phase)
		if p == nil {
			t.Fatalf("no phase %q in the report", c.phase)
		}
		n, hits := 0, 0
		for _, can := range r.Canaries {
			if !c.which(can) {
				continue
			}
			n++
			found := false
			if c.class == "" {
				found = len(p.Classes(can)) > 0
			} else {
				found = p.Found(can, c.class)
			}
			if found {
				hits++
			}
			switch {
			case c.want == everyOne && !found:
				t.Errorf("%s, %s: %s not found, but %s", c.phase, c.class, can.Label(), c.why)
			case c.want == noneOf && found:
				t.Errorf("%s, %s: %s found, but %s", c.phase, orAll(c.class), can.Label(), c.why)
			}
		}
		if n == 0 {
			t.Errorf("%s, %s: the claim %q selects no canary", c.phase, orAll(c.class), c.why)
		}
		if c.want == someOne && hits == 0 {
			t.Errorf("%s, %s: none of %d canaries found, but %s", c.phase, c.class, n, c.why)
		}
	}
}

func orAll(class string) string {
	if class == "" {
		return "any file"
	}
	return class
}

// TestForensicPostgresWithoutFiles: a check that cannot read the
// PostgreSQL server's files says so and fails, even though it found nothing.
func TestForensicPostgresWithoutFiles(t *testing.T) {
	url := pgtest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout, stderr strings.Builder
	missing := filepath.Join(t.TempDir(), "missing")
	err := runForensic(ctx, &Env{Stdout: &stdout, Stderr: &stderr}, []string{"--db", url, "--pg-data", missing, "--pg-log", missing + ".log"})
	if err == nil || !strings.Contains(err.Error(), "the check is incomplete") || !strings.Contains(err.Error(), "cannot be read here") {
		t.Fatalf("error %v: want the check to fail as incomplete, saying why", err)
	}
	for _, want := range []string{"INCOMPLETE: no canary in the files scanned", "Not covered:", "PostgreSQL heap, TOAST, index and WAL files: the server's data directory " + missing} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestForensicCommand runs the command as a user does: it prints what it
// scanned and found, and exits 1 while content is plaintext (0 once every
// class is clean).
func TestForensicCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	stdout, stderr, code := runCLI(t, nil, nil, "forensic", "--data", data)
	sealed := true
	for _, clean := range wantClean {
		sealed = sealed && clean
	}
	wantCode, wantLine := exitError, "PLAINTEXT FOUND:"
	if sealed {
		wantCode, wantLine = exitOK, "CLEAN:"
	}
	if code != wantCode {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, wantCode, stderr)
	}
	for _, want := range []string{"Scanned:", "FILE CLASS", forensic.ClassSQLiteWAL, "Found (file classes", "DOOR", "inkeep",
		"Not covered:", "free blocks of the filesystem", wantLine} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if entries, err := os.ReadDir(data); err == nil && len(entries) > 0 {
		t.Errorf("the check left %d entries in its data directory", len(entries))
	}
}

// TestForensicRefusesData: the check writes test data, so it will not run
// on a data directory or database file that holds something.
func TestForensicRefusesData(t *testing.T) {
	data := t.TempDir()
	if err := os.WriteFile(filepath.Join(data, "convstore.db"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runCLI(t, nil, nil, "forensic", "--data", data)
	if code != exitError || !strings.Contains(stderr, "is not empty") {
		t.Fatalf("exit %d, stderr %q: want 1 and a message that the directory is not empty", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(data, "convstore.db")); err != nil || string(b) != "x" {
		t.Fatalf("the existing file was touched: %q, %v", b, err)
	}
	db := filepath.Join(t.TempDir(), "old.db")
	if err := os.WriteFile(db, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runCLI(t, nil, nil, "forensic", "--db", "sqlite:"+db)
	if code != exitError || !strings.Contains(stderr, "needs a new database file") {
		t.Fatalf("exit %d, stderr %q: want 1 and a message that the file exists", code, stderr)
	}
}
