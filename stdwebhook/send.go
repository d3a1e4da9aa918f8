package stdwebhook

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"time"
)

// MaxResponsePrefix is how much of a response body an attempt keeps: a
// receiver's answer is logged for its operator, never stored whole.
const MaxResponsePrefix = 256

// drainLimit is how much more of a response is read (and dropped) so the
// connection can be reused; a longer body closes it instead.
const drainLimit = 64 << 10

// Request is one attempt to send: where, what, and under which keys.
type Request struct {
	URL   string
	MsgID string    // webhook-id: the event's id, the same on every retry
	At    time.Time // webhook-timestamp: the time of this attempt
	Body  []byte
	Keys  [][]byte // one signature each
}

// Result is what an attempt came to. Status is 0 when no response came
// (Err says why); a response of any status sets no Err: the caller
// decides (2xx succeeded).
type Result struct {
	Status  int
	Latency time.Duration
	Prefix  string // the response body's first MaxResponsePrefix bytes, valid UTF-8
	Err     error
}

// OK reports whether the receiver accepted the delivery (a 2xx).
func (r Result) OK() bool { return r.Err == nil && r.Status >= 200 && r.Status < 300 }

// Send posts one signed request with c (a NewClient client) and returns
// the result; the context bounds it too.
func Send(ctx context.Context, c *http.Client, r Request) Result {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Result{Err: err}
	}
	SetHeaders(req.Header, r.Keys, r.MsgID, r.At, r.Body)
	req.Header.Set("User-Agent", "convstore-webhooks")
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return Result{Latency: time.Since(start), Err: err}
	}
	defer resp.Body.Close()
	prefix, _ := io.ReadAll(io.LimitReader(resp.Body, MaxResponsePrefix))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	return Result{Status: resp.StatusCode, Latency: time.Since(start), Prefix: validPrefix(prefix)}
}

// validPrefix drops the bytes that are not UTF-8 (a character the limit
// cut included), so the prefix stores as text and stays within the limit.
func validPrefix(b []byte) string { return string(bytes.ToValidUTF8(b, nil)) }
