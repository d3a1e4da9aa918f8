package convhttp_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
	"github.com/convstore/convstore/convhttp/doortest"
)

// transferDoor has a route of each transfer kind; each streaming handler
// reports how it ended on results.
type transferDoor struct {
	srv     *convhttp.Server
	hold    time.Duration // how long /echo and /late wait before answering
	size    int           // bytes of /download and /bigjson
	results chan handlerResult
}

// handlerResult is how a handler ended: the bytes it moved and its error.
type handlerResult struct {
	n   int64
	err error
}

func (d *transferDoor) Name() string                  { return "transfer" }
func (d *transferDoor) Secret(r *http.Request) string { return convhttp.BearerSecret(r) }
func (d *transferDoor) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	convhttp.WriteProblem(w, r, err)
}

func (d *transferDoor) Routes() []convhttp.Route {
	return []convhttp.Route{
		{Method: "POST", Path: "/public", Handler: func(w http.ResponseWriter, r *http.Request) error {
			body, err := d.srv.ReadBody(w, r)
			if err != nil {
				return err
			}
			return convhttp.WriteJSON(w, 200, map[string]int{"bytes": len(body)})
		}},
		{Method: "POST", Path: "/echo", Scope: convstore.ScopeWrite, Handler: func(w http.ResponseWriter, r *http.Request) error {
			body, err := d.srv.ReadBody(w, r)
			if err != nil {
				return err
			}
			// The handler outlives the body's read deadline: its context
			// must stay alive.
			select {
			case <-r.Context().Done():
				return fmt.Errorf("context ended after the body was read: %w", r.Context().Err())
			case <-time.After(d.hold):
			}
			return convhttp.WriteJSON(w, 200, map[string]int{"bytes": len(body)})
		}},
		{Method: "GET", Path: "/late", Scope: convstore.ScopeRead, Handler: func(w http.ResponseWriter, r *http.Request) error {
			<-time.After(d.hold)
			return convhttp.WriteJSON(w, 200, map[string]string{"late": "yes"})
		}},
		{Method: "PUT", Path: "/upload", Scope: convstore.ScopeWrite, Transfer: convhttp.TransferUpload,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				n, err := io.Copy(io.Discard, r.Body)
				d.results <- handlerResult{n, err}
				if err != nil {
					return err
				}
				return convhttp.WriteJSON(w, 200, map[string]int64{"bytes": n})
			}},
		{Method: "GET", Path: "/download", Scope: convstore.ScopeRead, Transfer: convhttp.TransferDownload,
			Handler: func(w http.ResponseWriter, r *http.Request) error {
				chunk := make([]byte, 32<<10)
				var n int64
				var err error
				for n < int64(d.size) && err == nil {
					var m int
					m, err = w.Write(chunk[:min(len(chunk), d.size-int(n))])
					n += int64(m)
				}
				d.results <- handlerResult{n, err}
				return err
			}},
		{Method: "GET", Path: "/bigjson", Scope: convstore.ScopeRead, Handler: func(w http.ResponseWriter, r *http.Request) error {
			err := convhttp.WriteJSON(w, 200, map[string]string{"text": strings.Repeat("x", d.size)})
			d.results <- handlerResult{err: err}
			return err
		}},
	}
}

// transferEnv is a real HTTP server (net/http over a ConnLimiter'd
// listener) with a transferDoor at its root.
type transferEnv struct {
	t      *testing.T
	addr   string
	door   *transferDoor
	closed chan struct{} // one value each time the server closes an accepted connection
}

func serveTransfer(t *testing.T, tr convhttp.Transport) *transferEnv {
	t.Helper()
	st := &stubStore{keys: map[string]*convstore.APIKey{
		readKey:  {Name: "reader", Prefix: convstore.KeyPrefix(readKey), Scopes: []convstore.Scope{convstore.ScopeRead}},
		writeKey: {Name: "writer", Prefix: convstore.KeyPrefix(writeKey), Scopes: []convstore.Scope{convstore.ScopeWrite}},
	}}
	logs := &doortest.SyncBuffer{}
	srv := convhttp.NewServer(convhttp.Config{Store: st, Transport: tr,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	d := &transferDoor{srv: srv, size: 16 << 20, results: make(chan handlerResult, 16)}
	srv.Mount("/", d)
	e := &transferEnv{t: t, door: d, closed: make(chan struct{}, 64)}
	hs := &http.Server{Handler: srv.Handler(), ConnState: func(c net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			e.closed <- struct{}{}
		}
	}}
	tr.Configure(hs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	go func() { _ = hs.Serve(convhttp.NewConnLimiter(tr).Listener(ln)) }()
	t.Cleanup(func() {
		_ = hs.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return e
}

// dial opens a connection from the loopback address from ("127.0.0.2"…;
// "" is the default) that the test closes at its end.
func (e *transferEnv) dial(from string) net.Conn {
	e.t.Helper()
	var d net.Dialer
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", e.addr)
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		// Reset at accept (a cap): the reset can beat connect's return.
		// A closed pipe stands for it, on which every request fails.
		a, b := net.Pipe()
		_, _ = a.Close(), b.Close()
		return a
	} else if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = c.Close() })
	return c
}

// send writes a raw request head (lines joined with CRLF, ending the
// headers) and the start of its body.
func send(t *testing.T, c net.Conn, body string, head ...string) {
	t.Helper()
	if _, err := io.WriteString(c, strings.Join(head, "\r\n")+"\r\n\r\n"+body); err != nil {
		t.Fatal(err)
	}
}

// bound is the generous upper bound of every wait for a deadline: the
// deadlines under test are a fraction of a second.
const bound = 20 * time.Second

// readResponse reads one response from c within bound, failing the test
// on a timeout (the server kept the connection instead of answering).
func readResponse(t *testing.T, c net.Conn, br *bufio.Reader) (*http.Response, []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(bound))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response body: %v", err)
	}
	return resp, b
}

// waitClosed reads c until the server closes it and fails the test if it
// does not within bound. It returns what arrived.
func waitClosed(t *testing.T, c net.Conn) []byte {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(bound))
	b, err := io.ReadAll(c)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server kept the connection open for %s", bound)
	}
	return b // io.EOF or a reset: either way the server let go
}

// waitResult waits for a handler to report how it ended.
func (e *transferEnv) waitResult() handlerResult {
	e.t.Helper()
	select {
	case r := <-e.door.results:
		return r
	case <-time.After(bound):
		e.t.Fatalf("the handler did not return within %s", bound)
	}
	return handlerResult{}
}

func problemOf(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %q: %v", b, err)
	}
	return m
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	tr := convhttp.Transport{ReadHeaderTimeout: 300 * time.Millisecond}
	e := serveTransfer(t, tr)
	// Timed from before the dial: the server's header timer starts at its
	// accept, which a busy machine may run before dial returns here.
	start := time.Now()
	c := e.dial("")
	// A slow-loris client: headers begun, never finished.
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1"); err != nil {
		t.Fatal(err)
	}
	if b := waitClosed(t, c); len(b) != 0 {
		t.Fatalf("unfinished headers were answered: %q", b)
	}
	if d := time.Since(start); d < tr.ReadHeaderTimeout {
		t.Fatalf("cut off after %s, before the %s header timeout", d, tr.ReadHeaderTimeout)
	}
	// A prompt client on another connection is served.
	c2 := e.dial("")
	send(t, c2, "", "GET /healthz HTTP/1.1", "Host: x")
	if resp, _ := readResponse(t, c2, bufio.NewReader(c2)); resp.StatusCode != 200 {
		t.Fatalf("prompt client: %d", resp.StatusCode)
	}
}

func TestHeadersOverMaxHeaderBytesAre431(t *testing.T) {
	t.Parallel()
	e := serveTransfer(t, convhttp.Transport{MaxHeaderBytes: 2 << 10})
	c := e.dial("")
	// net/http allows 4 KiB of slack over MaxHeaderBytes.
	send(t, c, "", "GET /healthz HTTP/1.1", "Host: x", "X-Big: "+strings.Repeat("a", 8<<10))
	if resp, _ := readResponse(t, c, bufio.NewReader(c)); resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("8 KiB header over a 2 KiB cap: %d", resp.StatusCode)
	}
}

func TestStalledBodyIsCutOffAfterReadTimeout(t *testing.T) {
	t.Parallel()
	tr := convhttp.Transport{ReadTimeout: 300 * time.Millisecond}
	e := serveTransfer(t, tr)
	c := e.dial("")
	start := time.Now()
	send(t, c, `{"name":`, "POST /echo HTTP/1.1", "Host: x", "Authorization: Bearer "+writeKey,
		"Content-Type: application/json", "Content-Length: 100")
	resp, b := readResponse(t, c, bufio.NewReader(c))
	elapsed := time.Since(start)
	p := problemOf(t, b)
	if resp.StatusCode != http.StatusUnprocessableEntity || p["code"] != "invalid" || p["field"] != "body" ||
		!strings.Contains(p["detail"].(string), "did not arrive within 300ms") {
		t.Fatalf("stalled body: %d %s", resp.StatusCode, b)
	}
	if elapsed < tr.ReadTimeout {
		t.Fatalf("answered after %s, before the %s read timeout", elapsed, tr.ReadTimeout)
	}
	waitClosed(t, c) // the rest of the body may still come: the connection is not reused
}

// TestHandlerOutlivesBodyDeadline: the body's read deadline ends with the
// body (net/http lifts it); a handler that then runs longer than
// ReadTimeout keeps its context, and the write deadline starts with the
// answer, not with the request.
func TestHandlerOutlivesBodyDeadline(t *testing.T) {
	t.Parallel()
	tr := convhttp.Transport{ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond}
	e := serveTransfer(t, tr)
	e.door.hold = 3 * tr.ReadTimeout
	for _, req := range []struct{ method, path, key, body string }{
		{"POST", "/echo", writeKey, `{"name":"x"}`},
		{"GET", "/late", readKey, ""},
	} {
		r, err := http.NewRequest(req.method, "http://"+e.addr+req.path, strings.NewReader(req.body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Authorization", "Bearer "+req.key)
		r.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatalf("%s %s: %v", req.method, req.path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s after %s: %d %s", req.method, req.path, e.door.hold, resp.StatusCode, b)
		}
	}
}

func TestUploadMustKeepMinimumRate(t *testing.T) {
	t.Parallel()
	// 1000 B/s over 1 s windows: each window must bring 1000 bytes.
	tr := convhttp.Transport{ReadTimeout: 300 * time.Millisecond, MinTransferRate: 1000, TransferWindow: time.Second}
	e := serveTransfer(t, tr)
	upload := func(total, chunk int, every time.Duration) (*http.Response, []byte, time.Duration) {
		c := e.dial("")
		start := time.Now()
		send(t, c, "", "PUT /upload HTTP/1.1", "Host: x", "Authorization: Bearer "+writeKey,
			fmt.Sprintf("Content-Length: %d", total))
		tick := time.NewTicker(every) // the client's pace, not synchronisation
		defer tick.Stop()
		for sent := 0; sent < total; sent += chunk {
			if _, err := c.Write(make([]byte, min(chunk, total-sent))); err != nil {
				break // cut off
			}
			<-tick.C
		}
		resp, b := readResponse(t, c, bufio.NewReader(c))
		return resp, b, time.Since(start)
	}

	// 2000 bytes every 100 ms for 2.5 s: longer than ReadTimeout and than
	// two windows, at 20 kB/s.
	resp, b, took := upload(50000, 2000, 100*time.Millisecond)
	if got := e.waitResult(); resp.StatusCode != 200 || got.err != nil || got.n != 50000 {
		t.Fatalf("upload at 20 kB/s over %s: %d %s (handler: %d bytes, %v)", took, resp.StatusCode, b, got.n, got.err)
	}

	// 50 bytes every 100 ms: 500 B/s, under the minimum.
	resp, b, took = upload(100000, 50, 100*time.Millisecond)
	got := e.waitResult()
	p := problemOf(t, b)
	if resp.StatusCode != http.StatusUnprocessableEntity || p["field"] != "body" ||
		!strings.Contains(p["detail"].(string), "slower than the minimum of 1000 bytes per 1s") {
		t.Fatalf("upload at 500 B/s: %d %s", resp.StatusCode, b)
	}
	if got.err == nil || got.n >= 100000 {
		t.Fatalf("the handler read %d bytes, err %v: want a read error", got.n, got.err)
	}
	if took < tr.TransferWindow {
		t.Fatalf("cut off after %s, within the first %s window", took, tr.TransferWindow)
	}
}

// nonReadingConn dials with a small receive buffer and sends a GET it
// never reads the answer of.
func (e *transferEnv) nonReadingGet(path string) {
	e.t.Helper()
	c := e.dial("")
	if err := c.(*net.TCPConn).SetReadBuffer(4 << 10); err != nil {
		e.t.Fatal(err)
	}
	send(e.t, c, "", "GET "+path+" HTTP/1.1", "Host: x", "Authorization: Bearer "+readKey)
}

func TestDownloadToNonReadingClientIsCutOff(t *testing.T) {
	t.Parallel()
	tr := convhttp.Transport{MinTransferRate: 1000, TransferWindow: time.Second}
	e := serveTransfer(t, tr)

	// A reading client gets the whole 16 MiB.
	resp, err := http.DefaultClient.Do(mustRequest(t, "GET", "http://"+e.addr+"/download", readKey))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if got := e.waitResult(); err != nil || n != int64(e.door.size) || got.err != nil {
		t.Fatalf("reading client: %d bytes, %v (handler: %v)", n, err, got.err)
	}

	start := time.Now()
	e.nonReadingGet("/download")
	got := e.waitResult()
	if !errors.Is(got.err, os.ErrDeadlineExceeded) || got.n >= int64(e.door.size) {
		t.Fatalf("non-reading client: handler wrote %d bytes, err %v: want a write deadline error", got.n, got.err)
	}
	if d := time.Since(start); d < tr.TransferWindow {
		t.Fatalf("cut off after %s, within the first %s window", d, tr.TransferWindow)
	}
}

func TestJSONAnswerToNonReadingClientIsCutOff(t *testing.T) {
	t.Parallel()
	tr := convhttp.Transport{WriteTimeout: 300 * time.Millisecond}
	e := serveTransfer(t, tr)
	start := time.Now()
	e.nonReadingGet("/bigjson")
	e.waitResult() // WriteJSON itself does not report a failed write
	if d := time.Since(start); d < tr.WriteTimeout {
		t.Fatalf("the handler returned after %s, before the %s write timeout", d, tr.WriteTimeout)
	}
}

func mustRequest(t *testing.T, method, url, key string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+key)
	return r
}

// served reports whether a keep-alive GET /healthz on c is answered 200;
// false when the server refused the connection.
func served(t *testing.T, c net.Conn) bool {
	t.Helper()
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return false
	}
	_ = c.SetReadDeadline(time.Now().Add(bound))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the server neither answered nor closed within %s", bound)
	}
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == 200
}

func TestConnectionsPerAddressAreCapped(t *testing.T) {
	t.Parallel()
	e := serveTransfer(t, convhttp.Transport{MaxConnsPerAddr: 2})
	a1, a2 := e.dial("127.0.0.1"), e.dial("127.0.0.1")
	if !served(t, a1) || !served(t, a2) {
		t.Fatal("the first two connections of 127.0.0.1 must be served")
	}
	if served(t, e.dial("127.0.0.1")) {
		t.Fatal("a third connection from 127.0.0.1 was served")
	}
	if !served(t, e.dial("127.0.0.2")) {
		t.Fatal("127.0.0.2 must be served while 127.0.0.1 is at its cap")
	}
	// Once one of its connections closes, 127.0.0.1 may open another.
	_ = a1.Close()
	select {
	case <-e.closed:
	case <-time.After(bound):
		t.Fatal("the server did not close the connection")
	}
	if !served(t, e.dial("127.0.0.1")) {
		t.Fatal("127.0.0.1 below its cap again must be served")
	}
	if !served(t, a2) {
		t.Fatal("the kept connection must still be served")
	}
}

func TestConnectionsAreCappedInTotal(t *testing.T) {
	t.Parallel()
	e := serveTransfer(t, convhttp.Transport{MaxConns: 2, MaxConnsPerAddr: -1})
	if !served(t, e.dial("127.0.0.1")) || !served(t, e.dial("127.0.0.2")) {
		t.Fatal("two connections must be served")
	}
	if served(t, e.dial("127.0.0.3")) {
		t.Fatal("a third connection was served over a total cap of 2")
	}
}

func TestPublicRouteBodyIsCapped(t *testing.T) {
	t.Parallel()
	e := serveTransfer(t, convhttp.Transport{})
	wantTooLarge := func(what string, resp *http.Response, b []byte) {
		t.Helper()
		p := problemOf(t, b)
		if resp.StatusCode != http.StatusRequestEntityTooLarge || p["code"] != "too_large" ||
			!strings.Contains(p["detail"].(string), fmt.Sprintf("limit of %d bytes", convhttp.MaxPublicBodyBytes)) {
			t.Fatalf("%s: %d %s", what, resp.StatusCode, b)
		}
	}

	// A declared 8 MB body is refused before any of it is sent.
	c := e.dial("")
	send(t, c, "", "POST /public HTTP/1.1", "Host: x", "Content-Type: application/json", "Content-Length: 8388608")
	resp, b := readResponse(t, c, bufio.NewReader(c))
	wantTooLarge("declared 8 MB", resp, b)
	waitClosed(t, c)

	// A streamed body is refused once it passes the cap, though it never ends.
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { _, _ = pw.Write(make([]byte, 2*convhttp.MaxPublicBodyBytes)) }()
	req, err := http.NewRequest("POST", "http://"+e.addr+"/public", pr)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	wantTooLarge("streamed", resp, b)

	// A body within the cap is read.
	req, _ = http.NewRequest("POST", "http://"+e.addr+"/public", strings.NewReader(`{"a":"`+strings.Repeat("b", 1000)+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "{\"bytes\":1008}\n" {
		t.Fatalf("small public body: %d %s", resp.StatusCode, b)
	}
}

func TestPublicRouteMayNotDeclareALargerCap(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Fatal("Mount accepted a public route reading more than MaxPublicBodyBytes")
		}
	}()
	s := convhttp.NewServer(convhttp.Config{Store: &stubStore{}})
	s.Mount("/", routeDoor{{Method: "POST", Path: "/open", MaxBodyBytes: convhttp.MaxPublicBodyBytes + 1,
		Handler: func(w http.ResponseWriter, r *http.Request) error { return nil }}})
}

// routeDoor is a door of the given routes.
type routeDoor []convhttp.Route

func (d routeDoor) Name() string                  { return "routes" }
func (d routeDoor) Routes() []convhttp.Route      { return d }
func (d routeDoor) Secret(r *http.Request) string { return "" }
func (d routeDoor) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	convhttp.WriteProblem(w, r, err)
}
