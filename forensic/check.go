package forensic

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// Phases of a check, in order: the scan after the writes, after the
// deletes (and their background blob removals), after a checkpoint, and
// after the server restarted.
const (
	PhaseBeforeDelete    = "before delete"
	PhaseAfterDelete     = "after delete"
	PhaseAfterCheckpoint = "after checkpoint"
	PhaseAfterRestart    = "after restart"
)

// Phases lists the phases in order.
var Phases = []string{PhaseBeforeDelete, PhaseAfterDelete, PhaseAfterCheckpoint, PhaseAfterRestart}

// Target is a convstore server under examination and the files it and its
// database write. The forensic command implements it over an in-process
// server.
type Target interface {
	// Engine names the engine: sqlite or postgres.
	Engine() string
	// URL is the server's main listener; Key an API key with the read,
	// write and delete scopes.
	URL() string
	Key() string
	// Prepare brings the target to phase: before delete, whatever the
	// database would do on its own to fresh data (PostgreSQL: ANALYZE);
	// after delete, wait for the background blob removals; after
	// checkpoint, checkpoint the database; after restart, restart the
	// server. It returns notes on what it did, for the report.
	Prepare(ctx context.Context, phase string) ([]string, error)
	// Files lists every file to scan now.
	Files(ctx context.Context) ([]File, error)
	// NotCovered says what the target cannot scan, and why.
	NotCovered() []string
}

// Check writes canaries through every door of t, deletes half of the
// conversations, and scans t's files in every phase. It fails only if the
// check itself could not run; hits are in the report.
func Check(ctx context.Context, t Target) (*Report, error) {
	start := time.Now()
	set := NewSet()
	w := &Workload{URL: t.URL(), Key: t.Key(), Set: set, Client: &http.Client{Timeout: time.Minute}}
	if err := w.Write(ctx); err != nil {
		return nil, err
	}
	r := &Report{Engine: t.Engine(), Canaries: set.Canaries(), WriteTook: time.Since(start)}
	for _, phase := range Phases {
		p := &PhaseReport{Name: phase}
		began := time.Now()
		if phase == PhaseAfterDelete {
			if err := w.Delete(ctx); err != nil {
				return nil, err
			}
		}
		notes, err := t.Prepare(ctx, phase)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", phase, err)
		}
		p.Notes = notes
		scanStart := time.Now()
		files, err := t.Files(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: listing files: %w", phase, err)
		}
		if p.ScanResult, err = set.Scan(files); err != nil {
			return nil, fmt.Errorf("%s: %w", phase, err)
		}
		p.ScanTook = time.Since(scanStart)
		p.Took = time.Since(began)
		r.Phases = append(r.Phases, p)
	}
	r.NotCovered = append(t.NotCovered(), NotCoveredAlways...)
	r.Took = time.Since(start)
	return r, nil
}

// NotCoveredAlways is what no check of files can see.
var NotCoveredAlways = []string{
	"free blocks of the filesystem and the raw block device (unlinked files, overwritten extents, SSD spare area, snapshots): not scanned; a deleted file's blocks keep its bytes until reused",
	"backups, WAL archives, replicas and copies made by other tools",
	"the memory of running processes, and swap",
}
