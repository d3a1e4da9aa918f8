package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

func TestParseFlagsTransport(t *testing.T) {
	t.Parallel()
	m := NewMain()
	m.Stderr = io.Discard
	err := m.ParseFlags([]string{"--read-timeout", "5s", "--max-conns-per-ip", "0"}, mapEnv(map[string]string{
		"CONVSTORE_READ_TIMEOUT":      "7s", // the flag wins
		"CONVSTORE_WRITE_TIMEOUT":     "9s",
		"CONVSTORE_MIN_TRANSFER_RATE": "2048",
		"CONVSTORE_MAX_CONNS":         "50",
	}))
	if err != nil {
		t.Fatal(err)
	}
	got, def := m.Config.Transport, defaultTransport()
	if got.ReadTimeout != 5*time.Second || got.WriteTimeout != 9*time.Second || got.MinTransferRate != 2048 ||
		got.MaxConns != 50 || got.MaxConnsPerAddr != 0 || got.ReadHeaderTimeout != def.ReadHeaderTimeout ||
		got.MaxHeaderBytes != def.MaxHeaderBytes || got.TransferWindow != def.TransferWindow {
		t.Fatalf("transport %+v", got)
	}
	if tr := got.serverTransport(); tr.MaxConnsPerAddr >= 0 {
		t.Fatalf("--max-conns-per-ip 0 must mean no cap, got MaxConnsPerAddr %d", tr.MaxConnsPerAddr)
	}

	for _, bad := range [][]string{
		{"--read-header-timeout", "0s"},
		{"--read-timeout", "-1s"},
		{"--write-timeout", "0s"},
		{"--idle-timeout", "0s"},
		{"--transfer-window", "0s"},
		{"--min-transfer-rate", "0"},
		{"--max-header-bytes", "100"},
		{"--max-conns", "0"},
		{"--max-conns-per-ip", "-1"},
	} {
		m := NewMain()
		m.Stderr = io.Discard
		if err := m.ParseFlags(bad, nil); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: error %v, want one naming %s", bad, err, bad[0])
		}
	}
}

// rawConn dials the address from a loopback address ("" for the default)
// and closes the connection at the end of the test.
func rawConn(t *testing.T, addr, from string) net.Conn {
	t.Helper()
	var d net.Dialer
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// roundTrip writes a raw request and reads its response within a generous
// bound; ok is false when the server closed the connection instead.
func roundTrip(t *testing.T, c net.Conn, req string) (resp *http.Response, body []byte, ok bool) {
	t.Helper()
	if _, err := io.WriteString(c, req); err != nil {
		return nil, nil, false
	}
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the server neither answered nor closed the connection")
	}
	if err != nil {
		return nil, nil, false
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	return resp, body, true
}

// served reports whether a new connection from "from" to addr gets an
// answer to healthz. A connection the server resets at accept may already
// fail to dial (the reset can beat connect's return): that is not served.
func served(t *testing.T, addr, from string) bool {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c, err := d.Dial("tcp", addr)
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		return false
	} else if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_, _, ok := roundTrip(t, c, healthz)
	return ok
}

const healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"

// TestConnectionCapSpansListeners: the per-address cap counts the
// connections of every listener of the node, and refuses one address
// while serving another.
func TestConnectionCapSpansListeners(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "--max-conns-per-ip", "2", "--symbl-addr", "127.0.0.1:0")
	main, door := ts.m.Addr(), ts.m.DoorAddr("symbl")
	for _, addr := range []string{main, door} {
		if _, _, ok := roundTrip(t, rawConn(t, addr, "127.0.0.1"), healthz); !ok {
			t.Fatalf("connection to %s refused under the cap", addr)
		}
	}
	for _, addr := range []string{main, door} {
		if served(t, addr, "127.0.0.1") {
			t.Fatalf("a third connection from 127.0.0.1 (to %s) was served", addr)
		}
	}
	if resp, _, ok := roundTrip(t, rawConn(t, main, "127.0.0.2"), healthz); !ok || resp.StatusCode != 200 {
		t.Fatal("127.0.0.2 must be served while 127.0.0.1 is at its cap")
	}
}

func TestSlowHeadersCutOffOnEveryListener(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "--read-header-timeout", "300ms", "--symbl-addr", "127.0.0.1:0")
	for _, addr := range []string{ts.m.Addr(), ts.m.DoorAddr("symbl")} {
		c := rawConn(t, addr, "")
		start := time.Now()
		if _, err := io.WriteString(c, "POST /v1/conversations HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
		if _, err := io.ReadAll(c); errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("%s kept a connection with unfinished headers", addr)
		}
		// The server's clock starts at accept, a little before ours: only
		// a cut well before the timeout is premature.
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Fatalf("%s cut the connection off after %s, well before its header timeout", addr, d)
		}
	}
}

// TestSymblTokenBodyCap: the public token route, on the main listener and
// on the door's own, answers a declared 8 MB body with Symbl's 413 at once,
// and a streamed one once it passes the cap.
func TestSymblTokenBodyCap(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "--symbl-addr", "127.0.0.1:0")
	wantTooLarge := func(what string, resp *http.Response, body []byte) {
		t.Helper()
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || len(m) != 1 ||
			m["message"] != fmt.Sprintf("The request body is larger than the limit of %d bytes.", convhttp.MaxPublicBodyBytes) {
			t.Fatalf("%s: %d %s", what, resp.StatusCode, body)
		}
	}
	for _, url := range []string{"http://" + ts.m.Addr() + "/compat/symbl", "http://" + ts.m.DoorAddr("symbl")} {
		c := rawConn(t, strings.TrimPrefix(strings.TrimSuffix(url, "/compat/symbl"), "http://"), "")
		path := strings.TrimPrefix(url, "http://"+c.RemoteAddr().String()) + "/oauth2/token:generate"
		resp, body, ok := roundTrip(t, c, "POST "+path+" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 8388608\r\n\r\n")
		if !ok {
			t.Fatalf("%s: declared 8 MB: no answer", url)
		}
		wantTooLarge(url+": declared 8 MB", resp, body)

		pr, pw := io.Pipe()
		go func() { _, _ = pw.Write(bytes.Repeat([]byte(" "), 16<<10)) }()
		resp, err := http.Post(url+"/oauth2/token:generate", "application/json", pr)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		pw.Close()
		wantTooLarge(url+": streamed", resp, body)
	}
}

// TestSlowUploadLeavesNothing: an upload under the minimum rate is cut
// off with a 422 and leaves neither a record nor bytes; one at a good
// pace that lasts longer than --read-timeout is stored.
func TestSlowUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "--read-timeout", "300ms", "--min-transfer-rate", "1000", "--transfer-window", "1s")
	ctx := context.Background()
	conv, _, err := ts.client().CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{Title: "call"})
	if err != nil {
		t.Fatal(err)
	}
	audio := wavBytes(100_000)
	u := startUpload(t, ts, conv.ID, "slow.wav", audio[:100]) // then nothing: a stalled upload
	select {
	case err = <-u.done:
	case <-time.After(20 * time.Second):
		t.Fatal("a stalled upload was not cut off")
	}
	u.pw.CloseWithError(errors.New("test over"))
	if convstore.ErrorCode(err) != convstore.EINVALID || !strings.Contains(convstore.ErrorMessage(err), "slower than the minimum") {
		t.Fatalf("stalled upload: %v, want a 422 naming the minimum rate", err)
	}
	waitFor(t, "the handler to return", func() bool { return ts.m.active.Load() == 0 })
	atts, _, err := ts.client().FindAttachments(ctx, convstore.ID{}, conv.ID, convstore.AttachmentFilter{})
	if err != nil || len(atts) != 0 {
		t.Fatalf("attachments after a cut-off upload: %v, %d", err, len(atts))
	}
	if files := blobFiles(t, ts.m.Config.BlobDir()); len(files) != 0 {
		t.Fatalf("cut-off upload left blob files %v", files)
	}

	// 10 kB every 100 ms for two seconds, longer than --read-timeout and
	// than a window: stored whole.
	u = startUpload(t, ts, conv.ID, "paced.wav", audio[:10_000])
	tick := time.NewTicker(100 * time.Millisecond) // the client's pace
	defer tick.Stop()
	for off := 10_000; off < len(audio); off += 10_000 {
		<-tick.C
		if _, err := u.pw.Write(audio[off:min(off+10_000, len(audio))]); err != nil {
			t.Fatal(err)
		}
	}
	u.pw.Close()
	if err := <-u.done; err != nil || u.att.Size != int64(len(audio)) {
		t.Fatalf("paced upload: %v", err)
	}
}

// TestAttachmentDownloadToNonReadingClient: a client that never reads an
// attachment download is cut off after the transfer window, and the
// handler returns.
func TestAttachmentDownloadToNonReadingClient(t *testing.T) {
	t.Parallel()
	ts := startServer(t, "--min-transfer-rate", "1000", "--transfer-window", "300ms")
	ctx := context.Background()
	conv, _, err := ts.client().CreateConversation(ctx, convstore.ID{}, &convstore.ConversationCreate{Title: "call"})
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB: more than the sockets buffer
	if _, err := ts.client().PutAttachment(ctx, convstore.ID{}, conv.ID, &convstore.AttachmentPut{Name: "big.bin", ContentType: "application/octet-stream", Body: bytes.NewReader(big)}); err != nil {
		t.Fatal(err)
	}
	c := rawConn(t, ts.m.Addr(), "")
	if err := c.(*net.TCPConn).SetReadBuffer(4 << 10); err != nil {
		t.Fatal(err)
	}
	req := fmt.Sprintf("GET /v1/conversations/%s/attachments/big.bin HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n",
		conv.ID.Format(convstore.PrefixConversation), testKey)
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the download to start", func() bool { return ts.m.active.Load() == 1 })
	// Without a write deadline the handler would wait for the client for
	// as long as the connection stays open.
	waitFor(t, "the download handler to give up", func() bool { return ts.m.active.Load() == 0 })
}
