package convhttp

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/convstore/convstore"
)

// Transfer is how a route's bodies move, which decides its deadlines.
type Transfer int

const (
	// TransferJSON is an ordinary route: its request body must arrive
	// within Transport.ReadTimeout and its answer be written within
	// Transport.WriteTimeout of its first byte.
	TransferJSON Transfer = iota

	// TransferUpload streams a request body of any length (an attachment):
	// instead of a fixed deadline it must keep Transport.MinTransferRate.
	TransferUpload

	// TransferDownload streams a response body of any length: instead of
	// a fixed deadline the client must keep reading at
	// Transport.MinTransferRate.
	TransferDownload
)

// writeChunk is the most a rate-watched write hands the connection at once,
// so that a large Write still extends its deadline as it progresses.
const writeChunk = 32 << 10

// watchBody puts a read deadline on a request that has a body: the body
// must arrive within ReadTimeout of the end of the headers, unless its
// route is an upload (see startTransfer). It returns a shallow copy of r:
// net/http looks at the type of the original's Body to decide whether the
// connection can be reused. Requests served without a connection
// (httptest.ResponseRecorder) are left alone.
func (s *Server) watchBody(w http.ResponseWriter, r *http.Request) *http.Request {
	if r.Body == nil || r.Body == http.NoBody {
		return r
	}
	t := s.cfg.Transport
	rc := http.NewResponseController(w)
	if rc.SetReadDeadline(time.Now().Add(t.ReadTimeout)) != nil {
		return r
	}
	r = r.WithContext(r.Context())
	r.Body = &bodyWatch{ReadCloser: r.Body, rc: rc, timeout: t.ReadTimeout}
	return r
}

// bodyWatch is a request body under a read deadline: fixed, or extended
// each time a window's worth of bytes arrives.
type bodyWatch struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration // the fixed deadline, for the message

	window time.Duration // with need > 0: the rate is watched
	need   int64         // bytes each window must bring
	got    int64         // bytes since the deadline was last extended
	eof    bool

	cut atomic.Pointer[convstore.Error] // set when the deadline cut the body off

	info *reqInfo // set by serveHTTP: a failed read marks the body lost
}

// perWindow switches the body to a minimum rate: need bytes each window.
func (b *bodyWatch) perWindow(window time.Duration, need int64) {
	b.window, b.need, b.got = window, need, 0
	_ = b.rc.SetReadDeadline(time.Now().Add(window))
}

// Read reads the body, extending the deadline as the rate is kept. At the
// end of the body it lifts the deadline: the server then waits for the
// next request in the background, and a deadline expiring there would
// cancel the request's context while its handler still runs.
func (b *bodyWatch) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && b.need > 0 {
		if b.got += int64(n); b.got >= b.need {
			b.got = 0
			_ = b.rc.SetReadDeadline(time.Now().Add(b.window))
		}
	}
	switch {
	case err == io.EOF:
		if !b.eof {
			b.eof = true
			_ = b.rc.SetReadDeadline(time.Time{})
		}
	case err != nil && errors.Is(err, os.ErrDeadlineExceeded):
		e := b.cutError()
		b.cut.Store(e)
		b.lost()
		return n, e
	case err != nil:
		b.lost()
	}
	return n, err
}

// lost notes on the request that its body could not be read.
func (b *bodyWatch) lost() {
	if b.info != nil {
		b.info.bodyLost.Store(true)
	}
}

// cutError is the error of a body the deadline cut off.
func (b *bodyWatch) cutError() *convstore.Error {
	msg := fmt.Sprintf("The request body did not arrive within %s; the connection is closed.", b.timeout)
	if b.need > 0 {
		msg = fmt.Sprintf("The upload was slower than the minimum of %d bytes per %s; the connection is closed.", b.need, b.window)
	}
	return &convstore.Error{Code: convstore.EINVALID, Field: "body", Message: msg}
}

// deadlineWriter puts the write deadline of a route on its answer: fixed
// from the first byte, or extended each time a window's worth of bytes is
// written. The deadline starts with the answer, not with the request, so a
// slow handler does not eat into the client's time.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration // fixed deadline, when need is 0

	window time.Duration // with need > 0: the rate is watched
	need   int64
	got    int64
	armed  bool
}

// arm starts the deadline at the first byte of the answer.
func (w *deadlineWriter) arm() {
	if w.armed {
		return
	}
	w.armed = true
	d := w.timeout
	if w.need > 0 {
		d = w.window
	}
	_ = w.rc.SetWriteDeadline(time.Now().Add(d))
}

// WriteHeader starts the deadline.
func (w *deadlineWriter) WriteHeader(status int) {
	w.arm()
	w.ResponseWriter.WriteHeader(status)
}

// Write writes b, in chunks when the rate is watched so that each chunk
// written extends the deadline.
func (w *deadlineWriter) Write(b []byte) (int, error) {
	w.arm()
	if w.need == 0 {
		return w.ResponseWriter.Write(b)
	}
	written := 0
	for len(b) > 0 {
		n, err := w.ResponseWriter.Write(b[:min(len(b), writeChunk)])
		written += n
		b = b[n:]
		if w.got += int64(n); w.got >= w.need {
			w.got = 0
			_ = w.rc.SetWriteDeadline(time.Now().Add(w.window))
		}
		if err != nil {
			return written, err
		}
	}
	return written, nil
}

// Flush starts the deadline and flushes.
func (w *deadlineWriter) Flush() {
	w.arm()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// baseWriter returns the innermost writer under the middleware's
// wrappers: the server's own, which http.MaxBytesReader needs to make the
// server close the connection instead of reading the rest of a body over
// its limit.
func baseWriter(w http.ResponseWriter) http.ResponseWriter {
	for {
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return w
		}
		w = u.Unwrap()
	}
}

// transfer is the state of one route's transfer limits.
type transfer struct {
	body *bodyWatch // nil for a request without a body
}

// bodyLimit is the most a route reads of a request body before its handler
// decides: the route's own MaxBodyBytes, else MaxPublicBodyBytes for a
// public route, else 0 (the handler's own limit applies).
func bodyLimit(rt Route) int64 {
	switch {
	case rt.MaxBodyBytes > 0:
		return rt.MaxBodyBytes
	case rt.Scope == "":
		return MaxPublicBodyBytes
	}
	return 0
}

// startTransfer applies rt's transfer limits before its handler runs: the
// write deadline of its kind, the minimum rate of an upload, and its body
// cap. A declared body over the cap is refused at once, unread, with a
// non-nil error.
func (s *Server) startTransfer(rt Route, sw *statusWriter, r *http.Request) (*transfer, error) {
	t := s.cfg.Transport
	tr := &transfer{}
	tr.body, _ = r.Body.(*bodyWatch)

	rc := http.NewResponseController(sw.ResponseWriter)
	// The server armed WriteTimeout at the end of the headers; the route's
	// own deadline starts with its answer instead.
	if rc.SetWriteDeadline(time.Time{}) == nil {
		dw := &deadlineWriter{ResponseWriter: sw.ResponseWriter, rc: rc, timeout: t.WriteTimeout}
		if rt.Transfer == TransferDownload {
			dw.window, dw.need = t.TransferWindow, t.windowBytes()
		}
		sw.ResponseWriter = dw
	}
	if tr.body != nil && rt.Transfer == TransferUpload {
		tr.body.perWindow(t.TransferWindow, t.windowBytes())
	}
	if limit := bodyLimit(rt); limit > 0 && r.Body != nil && r.Body != http.NoBody {
		if r.ContentLength > limit {
			// Full duplex: the answer goes out at once, before the server
			// drains what it may of the body (nothing past 256 KiB).
			_ = http.NewResponseController(sw).EnableFullDuplex()
			return tr, tooLarge(limit)
		}
		r.Body = http.MaxBytesReader(baseWriter(sw), r.Body, limit)
	}
	return tr, nil
}

// result reports a request body the deadline cut off as such, whatever the
// handler (or the store under it) made of the read error. The server does
// not reuse the connection: the rest of the body is still on it.
func (tr *transfer) result(err error) error {
	if err == nil || tr.body == nil {
		return err
	}
	if e := tr.body.cut.Load(); e != nil {
		return e
	}
	return err
}

// clientStalled reports whether err is a read or write deadline expiring:
// the client was too slow, which is not a fault of the server's.
func clientStalled(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
