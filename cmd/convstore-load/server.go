package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/convstore/convstore"
)

// server is the convstore process under attack.
type server struct {
	pid      int
	url, key string
	cmd      *exec.Cmd // nil when attached
	dataDir  string
}

// build compiles ./cmd/convstore into dir.
func build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "convstore")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/convstore")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/convstore (run from the module root): %w", err)
	}
	return bin, nil
}

// start runs bin serve on a free port of 127.0.0.1 and a temporary data
// directory, and waits until it answers /healthz.
func start(ctx context.Context, bin string, extra []string) (*server, error) {
	dir, err := os.MkdirTemp("", "convstore-load-data")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"serve", "--addr", addr, "--data", dir, "--log-level", "error"}, extra...)
	cmd := exec.Command(bin, args...)
	// A fresh random key: servers refuse a bootstrap key without enough
	// randomness.
	loadKey := convstore.NewKeySecret()
	cmd.Env = append(os.Environ(), "CONVSTORE_BOOTSTRAP_KEY="+loadKey)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &server{pid: cmd.Process.Pid, url: "http://" + addr, key: loadKey, cmd: cmd, dataDir: dir}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, fmt.Errorf("%s did not answer /healthz within 30s: %v", bin, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends a started server and removes its data.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(40 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	os.RemoveAll(s.dataDir)
}

// memory is the server's resident memory now and at its peak, in bytes.
func (s *server) memory() (rss, hwm int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
	}
	return rss, hwm, sc.Err()
}

// do sends an authenticated JSON request and decodes the answer into out.
func (s *server) do(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	return s.doRaw(method, path, "application/json", body, out)
}

func (s *server) doRaw(method, path, contentType string, body io.Reader, out any) error {
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// fixture is what the scenarios fetch: a small conversation for the
// well-behaved client, a large one and a large attachment for the
// non-reading clients.
type fixture struct {
	small, large string // conversation ids
	attachment   string // path of the large attachment
}

// prepare creates the fixture through the native API.
func prepare(s *server, messages, attachmentMiB int) (*fixture, error) {
	var f fixture
	var c struct {
		ID string `json:"id"`
	}
	if err := s.do("POST", "/v1/conversations", map[string]any{"title": "small",
		"messages": []map[string]string{{"role": "user", "content": "hello"}}}, &c); err != nil {
		return nil, err
	}
	f.small = c.ID
	if err := s.do("POST", "/v1/conversations", map[string]any{"title": "large"}, &c); err != nil {
		return nil, err
	}
	f.large = c.ID
	content := strings.Repeat("lorem ipsum ", 1<<10/12)
	for done := 0; done < messages; {
		batch := make([]map[string]string, 0, 1000)
		for ; done < messages && len(batch) < 1000; done++ {
			batch = append(batch, map[string]string{"role": []string{"user", "assistant"}[done%2], "content": content})
		}
		if err := s.do("POST", "/v1/conversations/"+f.large+"/messages", map[string]any{"messages": batch}, nil); err != nil {
			return nil, err
		}
	}
	f.attachment = "/v1/conversations/" + f.large + "/attachments/recording.bin"
	body := io.LimitReader(zeros{}, int64(attachmentMiB)<<20)
	if err := s.doRaw("PUT", f.attachment, "application/octet-stream", body, nil); err != nil {
		return nil, err
	}
	return &f, nil
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
