//go:build unix

package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The README's walk-through is executable. Fenced blocks whose info string
// has the word "run" are run by bash, in document order, in one shell, in
// a fresh directory, against the freshly built binary:
//
//   - ```sh run: a shell block; its standard output must equal the
//     ```json output (or ```text output) block that follows it, or be
//     empty when none does.
//   - ```console run: "$ command" lines (continued by a trailing
//     backslash), each followed by the output it prints (standard output
//     and error).
//
// ```sh build is the build step, which the test does itself. Outputs are
// compared with ids, secrets, UUIDs and sequence numbers replaced by
// placeholders numbered in order of appearance over the whole README (so
// an id must recur where the sample has it recur), times by one
// placeholder, and runs of spaces collapsed. Blocks without "run" are
// documentation only, so sections can be added freely.
//
// go test ./cmd/convstore -run TestREADME -update rewrites the sample
// outputs from a real run.

var updateREADME = flag.Bool("update", false, "rewrite the README's sample outputs from a real run")

const (
	readmePath  = "../../README.md"
	readmeAddr  = "127.0.0.1:8080" // the address the README uses
	buildLine   = "go build -o bin/convstore ./cmd/convstore"
	stepMarker  = "\x1e" // starts a line that names the next step's output
	readmeLimit = 3 * time.Minute
)

// fence is one fenced code block of the README.
type fence struct {
	info       []string // the info string's words
	start, end int      // line numbers of the body: lines[start:end]
	body       []string
}

func (f *fence) has(word string) bool {
	for _, w := range f.info[min(1, len(f.info)):] {
		if w == word {
			return true
		}
	}
	return false
}

// parseFences returns the README's fenced code blocks.
func parseFences(lines []string) ([]*fence, error) {
	var out []*fence
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "```") {
			continue
		}
		f := &fence{info: strings.Fields(strings.TrimPrefix(lines[i], "```")), start: i + 1}
		j := i + 1
		for j < len(lines) && lines[j] != "```" {
			j++
		}
		if j == len(lines) {
			return nil, fmt.Errorf("README.md:%d: unclosed code block", i+1)
		}
		f.end, f.body = j, lines[i+1:j]
		out = append(out, f)
		i = j
	}
	return out, nil
}

// consoleCommand is one "$ " command of a console block and its expected output.
type consoleCommand struct {
	text   []string // the command's lines, without "$ " and continuation indent kept
	output []string
}

// step is one runnable block.
type step struct {
	block  *fence
	output *fence            // sh: the sample output block, if any
	cmds   []*consoleCommand // console
}

// readmeSteps returns the runnable steps and checks the build block.
func readmeSteps(t *testing.T, fences []*fence) []*step {
	t.Helper()
	var steps []*step
	sawBuild := false
	for i, f := range fences {
		switch {
		case f.has("build"):
			if !strings.Contains(strings.Join(f.body, "\n"), buildLine) {
				t.Fatalf("README.md:%d: the build block must run %q (the test builds the binary the same way)", f.start, buildLine)
			}
			sawBuild = true
		case f.has("run") && len(f.info) > 0 && f.info[0] == "sh":
			s := &step{block: f}
			if i+1 < len(fences) && fences[i+1].has("output") {
				s.output = fences[i+1]
			}
			steps = append(steps, s)
		case f.has("run") && len(f.info) > 0 && f.info[0] == "console":
			s := &step{block: f}
			for n, l := range f.body {
				switch {
				case strings.HasPrefix(l, "$ "):
					s.cmds = append(s.cmds, &consoleCommand{text: []string{strings.TrimPrefix(l, "$ ")}})
				case len(s.cmds) == 0:
					t.Fatalf("README.md:%d: a console block starts with a command (\"$ \")", f.start+n+1)
				case len(s.cmds[len(s.cmds)-1].output) == 0 && strings.HasSuffix(s.cmds[len(s.cmds)-1].text[len(s.cmds[len(s.cmds)-1].text)-1], "\\"):
					c := s.cmds[len(s.cmds)-1]
					c.text = append(c.text, l)
				default:
					c := s.cmds[len(s.cmds)-1]
					c.output = append(c.output, l)
				}
			}
			steps = append(steps, s)
		case f.has("run"):
			t.Fatalf("README.md:%d: only sh and console blocks can run", f.start)
		}
	}
	if !sawBuild {
		t.Fatal("README.md has no ```sh build block")
	}
	if len(steps) == 0 {
		t.Fatal("README.md has no runnable blocks")
	}
	return steps
}

// script returns the bash script of the steps: each step's (and each
// console command's) output is preceded by a marker line naming it.
func script(steps []*step, addr string) string {
	var b strings.Builder
	b.WriteString("set -euo pipefail\n")
	sub := func(s string) string { return strings.ReplaceAll(s, readmeAddr, addr) }
	for i, s := range steps {
		if s.cmds == nil {
			fmt.Fprintf(&b, "printf '\\n%s%d\\n'\n%s\n", stepMarker, i, sub(strings.Join(s.block.body, "\n")))
			continue
		}
		for j, c := range s.cmds {
			fmt.Fprintf(&b, "printf '\\n%s%d.%d\\n'\n{ %s\n} 2>&1\n", stepMarker, i, j, sub(strings.Join(c.text, "\n")))
		}
	}
	return b.String()
}

// splitOutputs splits the script's standard output at the markers.
func splitOutputs(out string) (map[string]string, string) {
	parts := map[string]string{}
	last := ""
	for _, chunk := range strings.Split(out, "\n"+stepMarker)[1:] {
		name, body, _ := strings.Cut(chunk, "\n")
		parts[name] = body
		last = name
	}
	return parts, last
}

// tokens are the parts of an output that change from run to run.
var tokens = regexp.MustCompile(`(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)` + // RFC 3339 time
	`|\b(1[6-9]\d{8})\b` + // Unix seconds
	`|\b(csk_[0-9a-z]{8}(?:[0-9a-z]{32})?)\b` + // key secret or prefix
	`|\b([a-z]{2,5}_[0-9a-z]{26})\b` + // conv_…, req_…
	`|\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b` + // UUID
	`|\b(\d{15,19})\b`) // sequence number

// normalizer numbers the variable tokens of one side (sample or actual)
// in order of appearance over the whole README.
type normalizer map[string]int

var spaces = regexp.MustCompile(`[ \t]+`)

// purgedAt is a receipt's purged_at, null or a time depending on whether
// the background purger has finished when the sample is read.
var purgedAt = regexp.MustCompile(`"purged_at":(?:null|\d+)|purged_at:( +)(?:-|\S+Z)`)

func (n normalizer) normalize(s string) string {
	s = purgedAt.ReplaceAllString(s, "purged_at:<purged>")
	s = tokens.ReplaceAllStringFunc(s, func(tok string) string {
		m := tokens.FindStringSubmatch(tok)
		if m[1] != "" || m[2] != "" {
			return "<time>"
		}
		kind := "id"
		switch {
		case m[3] != "":
			kind = "secret"
		case m[5] != "":
			kind = "uuid"
		case m[6] != "":
			kind = "seq"
		case m[4] != "":
			kind, _, _ = strings.Cut(tok, "_")
		}
		id, ok := n[tok]
		if !ok {
			id = len(n) + 1
			n[tok] = id
		}
		return "<" + kind + "#" + strconv.Itoa(id) + ">"
	})
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		lines = append(lines, strings.TrimSpace(spaces.ReplaceAllString(l, " ")))
	}
	return strings.Join(lines, "\n")
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestREADME runs the README's walk-through and compares its outputs.
func TestREADME(t *testing.T) {
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: the README's walk-through needs it", tool)
		}
	}
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(raw), "\n")
	fences, err := parseFences(lines)
	if err != nil {
		t.Fatal(err)
	}
	steps := readmeSteps(t, fences)

	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(dir, "bin", "convstore"), "./cmd/convstore")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", buildLine, err, out)
	}

	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), readmeLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script(steps, addr))
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + filepath.Join(dir, "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + dir, "LANG=C", "LC_ALL=C", "TMPDIR=" + os.TempDir(),
		"CONVSTORE_ADDR=" + addr, "CONVSTORE_URL=http://" + addr,
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Its own process group, so that a failed run leaves no server behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err = cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	outputs, last := splitOutputs(stdout.String())
	if err != nil {
		where := "before the first step"
		if i, _, _ := strings.Cut(last, "."); i != "" {
			n, _ := strconv.Atoi(i)
			where = fmt.Sprintf("in the block at README.md:%d", steps[n].block.start)
		}
		log, _ := os.ReadFile(filepath.Join(dir, "convstore.log"))
		t.Fatalf("the walk-through failed %s: %v\nits output:\n%s\nstderr:\n%s\nconvstore.log:\n%s", where, err, outputs[last], stderr.String(), log)
	}

	if *updateREADME {
		updateSamples(t, lines, steps, outputs)
		return
	}
	sample, actual := normalizer{}, normalizer{}
	check := func(line int, want, got string) {
		if w, g := sample.normalize(want), actual.normalize(got); w != g {
			t.Errorf("README.md:%d: the sample output differs from the real one (go test ./cmd/convstore -run TestREADME -update rewrites it)\nsample:\n%s\nreal:\n%s\nnormalized sample:\n%s\nnormalized real:\n%s",
				line, want, got, w, g)
		}
	}
	for i, s := range steps {
		if s.cmds == nil {
			got := outputs[strconv.Itoa(i)]
			if s.output == nil {
				if strings.TrimSpace(got) != "" {
					t.Errorf("README.md:%d: the block prints output the README does not show:\n%s", s.block.start, got)
				}
				continue
			}
			check(s.output.start, strings.Join(s.output.body, "\n"), got)
			continue
		}
		for j, c := range s.cmds {
			check(s.block.start, strings.Join(c.output, "\n"), outputs[fmt.Sprintf("%d.%d", i, j)])
		}
	}
}

// updateSamples rewrites the README's sample outputs with a run's.
func updateSamples(t *testing.T, lines []string, steps []*step, outputs map[string]string) {
	t.Helper()
	type edit struct {
		start, end int
		body       []string
	}
	var edits []edit
	trimmed := func(s string) []string {
		s = strings.TrimRight(s, "\n")
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	}
	for i, s := range steps {
		if s.cmds == nil {
			if s.output != nil {
				edits = append(edits, edit{s.output.start, s.output.end, trimmed(outputs[strconv.Itoa(i)])})
			}
			continue
		}
		var body []string
		for j, c := range s.cmds {
			body = append(body, "$ "+c.text[0])
			body = append(body, c.text[1:]...)
			body = append(body, trimmed(outputs[fmt.Sprintf("%d.%d", i, j)])...)
		}
		edits = append(edits, edit{s.block.start, s.block.end, body})
	}
	out := append([]string(nil), lines...)
	for k := len(edits) - 1; k >= 0; k-- { // from the end, so line numbers hold
		e := edits[k]
		out = append(out[:e.start], append(e.body, out[e.end:]...)...)
	}
	if err := os.WriteFile(readmePath, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("rewrote %d sample outputs in README.md", len(edits))
}
