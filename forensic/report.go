package forensic

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is what a check wrote, scanned and found.
type Report struct {
	Engine    string
	Canaries  []*Canary
	Phases    []*PhaseReport
	WriteTook time.Duration
	Took      time.Duration
	// NotCovered says what the check could not scan, and why.
	NotCovered []string
	// Incomplete, if set, says why files that should have been scanned
	// were not: a check that found nothing then proves nothing.
	Incomplete string
}

// PhaseReport is one phase's scan.
type PhaseReport struct {
	Name  string
	Notes []string
	*ScanResult
	ScanTook time.Duration
	Took     time.Duration // preparing (delete, checkpoint, restart) and scanning
}

// Hits returns every hit of every phase.
func (r *Report) Hits() []Hit {
	var out []Hit
	for _, p := range r.Phases {
		out = append(out, p.Hits...)
	}
	return out
}

// Phase returns the phase named name, or nil.
func (r *Report) Phase(name string) *PhaseReport {
	for _, p := range r.Phases {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Classes returns the file classes where phase found c, sorted.
func (p *PhaseReport) Classes(c *Canary) []string {
	set := map[string]bool{}
	for _, h := range p.Hits {
		if h.Canary == c {
			set[h.Class] = true
		}
	}
	return sortedKeys(set)
}

// Found reports whether phase found c in a file of class.
func (p *PhaseReport) Found(c *Canary, class string) bool {
	for _, h := range p.Hits {
		if h.Canary == c && h.Class == class {
			return true
		}
	}
	return false
}

// WriteText prints the report: what was scanned, a table of where each
// canary was found in each phase, the files with hits (with offsets when
// verbose), and what is not covered.
func (r *Report) WriteText(w io.Writer, verbose bool) {
	stored, deleted := 0, 0
	for _, c := range r.Canaries {
		if c.Stored() {
			stored++
		}
		if c.Deleted {
			deleted++
		}
	}
	fmt.Fprintf(w, "Wrote %d canaries through %d doors in %s (%d in conversations then deleted, %d in fields the door does not store).\n",
		len(r.Canaries), len(Doors), round(r.WriteTook), deleted, len(r.Canaries)-stored)
	fmt.Fprintf(w, "Forms searched: raw (also the JSON, SQL and URL forms of these canaries), UTF-16 LE/BE, hex, HEX, base64, base64url.\n\n")

	fmt.Fprintln(w, "Scanned:")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprint(tw, "  FILE CLASS")
	for _, p := range r.Phases {
		fmt.Fprintf(tw, "\t%s", strings.ToUpper(p.Name))
	}
	fmt.Fprintln(tw)
	for _, class := range r.classes() {
		fmt.Fprintf(tw, "  %s", class)
		for _, p := range r.Phases {
			fmt.Fprintf(tw, "\t%d, %s", p.Files[class], bytesText(p.Bytes[class]))
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprint(tw, "  (took)")
	for _, p := range r.Phases {
		fmt.Fprintf(tw, "\t%s, scan %s", round(p.Took), round(p.ScanTook))
	}
	fmt.Fprintln(tw)
	tw.Flush()
	for _, p := range r.Phases {
		for _, n := range p.Notes {
			fmt.Fprintf(w, "  %s: %s\n", p.Name, n)
		}
		if p.Vanished > 0 {
			fmt.Fprintf(w, "  %s: %d listed files vanished before they were read\n", p.Name, p.Vanished)
		}
	}

	fmt.Fprintln(w, "\nFound (file classes holding each canary; - is none):")
	tw = tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprint(tw, "  DOOR\tFIELD\tCONVERSATION")
	for _, p := range r.Phases {
		fmt.Fprintf(tw, "\t%s", strings.ToUpper(p.Name))
	}
	fmt.Fprintln(tw)
	for _, c := range r.Canaries {
		fate := "kept"
		if c.Deleted {
			fate = "deleted"
		}
		if !c.Stored() {
			fate = "(not stored)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s", c.Door, c.Field, fate)
		for _, p := range r.Phases {
			fmt.Fprintf(tw, "\t%s", cell(p, c))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()

	if hits := r.Hits(); len(hits) > 0 {
		fmt.Fprintln(w, "\nFiles with hits:")
		for _, p := range r.Phases {
			r.writeFiles(w, p, verbose)
		}
	}

	fmt.Fprintln(w, "\nNot covered:")
	for _, n := range r.NotCovered {
		fmt.Fprintf(w, "  - %s\n", n)
	}
	fmt.Fprintln(w)
	switch found := r.FoundCanaries(); {
	case found > 0:
		fmt.Fprintf(w, "PLAINTEXT FOUND: %d of %d canaries, %d hits in %d files (engine %s, %s).\n",
			found, len(r.Canaries), len(r.Hits()), r.hitFiles(), r.Engine, round(r.Took))
	case r.Incomplete != "":
		fmt.Fprintf(w, "INCOMPLETE: no canary in the files scanned, but %s (engine %s, %s).\n", r.Incomplete, r.Engine, round(r.Took))
	default:
		fmt.Fprintf(w, "CLEAN: no canary in any scanned file in any phase (engine %s, %s).\n", r.Engine, round(r.Took))
	}
}

// FoundCanaries counts the canaries found at least once.
func (r *Report) FoundCanaries() int {
	set := map[*Canary]bool{}
	for _, h := range r.Hits() {
		set[h.Canary] = true
	}
	return len(set)
}

func (r *Report) hitFiles() int {
	set := map[string]bool{}
	for _, h := range r.Hits() {
		set[h.Path] = true
	}
	return len(set)
}

// writeFiles lists a phase's files with hits: how many canaries each holds
// and, when verbose, each hit's canary, form and offset.
func (r *Report) writeFiles(w io.Writer, p *PhaseReport, verbose bool) {
	byFile := map[string][]Hit{}
	var paths []string
	for _, h := range p.Hits {
		if byFile[h.Path] == nil {
			paths = append(paths, h.Path)
		}
		byFile[h.Path] = append(byFile[h.Path], h)
	}
	sort.Strings(paths)
	for _, path := range paths {
		hits := byFile[path]
		canaries := map[*Canary]bool{}
		for _, h := range hits {
			canaries[h.Canary] = true
		}
		fmt.Fprintf(w, "  %s: %s (%s): %d canaries, %d hits", p.Name, path, hits[0].Class, len(canaries), len(hits))
		if !verbose {
			offsets := []string{}
			for i, h := range hits {
				if i == 3 {
					offsets = append(offsets, "…")
					break
				}
				offsets = append(offsets, offsetText(h))
			}
			fmt.Fprintf(w, " at %s\n", strings.Join(offsets, ", "))
			continue
		}
		fmt.Fprintln(w)
		for _, h := range hits {
			fmt.Fprintf(w, "      %s %s: %s\n", offsetText(h), h.Form, h.Canary.Label())
		}
	}
}

func offsetText(h Hit) string {
	if h.Offset < 0 {
		return "its path"
	}
	return fmt.Sprintf("%d", h.Offset)
}

// cell is the table cell of canary c in phase p: the classes holding it,
// each with the forms other than raw it was found in.
func cell(p *PhaseReport, c *Canary) string {
	forms := map[string]map[string]bool{}
	for _, h := range p.Hits {
		if h.Canary != c {
			continue
		}
		if forms[h.Class] == nil {
			forms[h.Class] = map[string]bool{}
		}
		if h.Form != FormRaw {
			forms[h.Class][h.Form] = true
		}
	}
	if len(forms) == 0 {
		return "-"
	}
	var parts []string
	for _, class := range sortedKeys(forms) {
		s := class
		if f := sortedKeys(forms[class]); len(f) > 0 {
			s += "[" + strings.Join(f, ",") + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// classes returns every file class scanned in any phase, sorted.
func (r *Report) classes() []string {
	set := map[string]bool{}
	for _, p := range r.Phases {
		for c := range p.Files {
			set[c] = true
		}
	}
	return sortedKeys(set)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}
