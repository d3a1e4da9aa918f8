package doortest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// NodeSDKEnv names the variable that makes the official-SDK contract tests
// mandatory: set (as .ci/run sets it), a missing node or an SDK directory
// without node_modules fails the test instead of skipping it.
const NodeSDKEnv = "CONVSTORE_TEST_NODE_SDK"

// NodeSDK returns dir (a door's testdata/sdk, holding package.json and
// package-lock.json that pin the vendor's official SDK) once node and the
// installed SDK are there (a package.json without dependencies needs no
// node_modules). Without them the test skips with the command
// that installs them, or fails when NodeSDKEnv is set.
func NodeSDK(tb testing.TB, dir string) string {
	tb.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatal(err)
	}
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not on PATH"
	} else if _, err := os.Stat(filepath.Join(abs, "node_modules")); err != nil && hasDependencies(tb, abs) {
		missing = "the official SDK is not installed: run `npm ci` in " + abs
	}
	if missing == "" {
		return abs
	}
	if os.Getenv(NodeSDKEnv) != "" {
		tb.Fatalf("official SDK contract test: %s (%s is set, so it is required)", missing, NodeSDKEnv)
	}
	tb.Skipf("official SDK contract test skipped: %s (set %s=1 to require it; .ci/run does)", missing, NodeSDKEnv)
	return ""
}

// hasDependencies reports whether dir's package.json names any package to
// install: a script that uses only Node's own fetch (for a vendor without
// an SDK) needs no node_modules, which npm ci does not create then.
func hasDependencies(tb testing.TB, dir string) bool {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var pkg struct {
		Dependencies, DevDependencies map[string]string
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		tb.Fatalf("%s/package.json: %v", dir, err)
	}
	return len(pkg.Dependencies)+len(pkg.DevDependencies) > 0
}

// RunNode runs `node script` in dir (from NodeSDK) with env added to the
// test's environment and returns its standard output. A non-zero exit, or
// a run longer than two minutes, fails the test with both outputs.
// Scripts print their findings as JSON on standard output and may also
// assert with node:assert.
func RunNode(tb testing.TB, dir, script string, env map[string]string) []byte {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("node %s: %v\nstdout:\n%s\nstderr:\n%s", script, err, stdout.String(), stderr.String())
	}
	return stdout.Bytes()
}
