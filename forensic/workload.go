package forensic

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Doors are the doors a workload writes through, in order.
var Doors = []string{"native", "stammer", "symbl", "elevenlabs", "botpress", "inkeep", "openai"}

// Workload writes canaries into every content field of the native API and
// of every vendor door of one server, two conversations per door: one it
// keeps and one it deletes (through the same door) when Delete is called.
type Workload struct {
	// URL is the server's main listener, e.g. http://127.0.0.1:8080;
	// the doors are under /compat/<door>.
	URL string
	// Key is an API key with the read, write and delete scopes.
	Key string
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
	// Set receives the canaries.
	Set *Set

	deletes []deletion
}

// deletion is a conversation the workload deletes, and how.
type deletion struct {
	door string
	do   func(ctx context.Context) error
}

// Write writes every door's canaries.
func (w *Workload) Write(ctx context.Context) error {
	writers := map[string]func(context.Context, bool) error{
		"native": w.writeNative, "stammer": w.writeStammer, "symbl": w.writeSymbl,
		"elevenlabs": w.writeElevenLabs, "botpress": w.writeBotpress, "inkeep": w.writeInkeep,
		"openai": w.writeOpenAI,
	}
	for _, door := range Doors {
		for _, deleted := range []bool{false, true} {
			if err := writers[door](ctx, deleted); err != nil {
				return fmt.Errorf("writing through the %s door: %w", door, err)
			}
		}
	}
	return nil
}

// Delete deletes, each through its own door, the conversations whose
// canaries are marked deleted.
func (w *Workload) Delete(ctx context.Context) error {
	for _, d := range w.deletes {
		if err := d.do(ctx); err != nil {
			return fmt.Errorf("deleting through the %s door: %w", d.door, err)
		}
	}
	return nil
}

// onDelete registers how to delete a conversation written with deleted
// set; a kept conversation registers nothing.
func (w *Workload) onDelete(deleted bool, door string, do func(ctx context.Context) error) {
	if deleted {
		w.deletes = append(w.deletes, deletion{door: door, do: do})
	}
}

// canaries returns a function that adds a canary of door's field, of kind
// Text unless told, and returns it.
func (w *Workload) canaries(door string, deleted bool) func(field string, kind ...Kind) string {
	return func(field string, kind ...Kind) string {
		k := Text
		if len(kind) > 0 {
			k = kind[0]
		}
		return w.Set.New(door, field, deleted, k)
	}
}

// sentence embeds a canary in text, as content carries it.
func sentence(canary string) string {
	return "Please note " + canary + " before the call ends."
}

// largeText returns about n bytes of random lower-case text lines with
// the canary at the start, the middle and the end. Random text does not
// compress, so PostgreSQL stores it out of line in TOAST as it is (pglz
// gives up on it) rather than compressed, where no scan could see it.
func largeText(canary string, n int) string {
	var b strings.Builder
	b.WriteString(canary + "\n")
	for b.Len() < n/2 {
		b.WriteString(randomString(79) + "\n")
	}
	b.WriteString(canary + "\n")
	for b.Len() < n {
		b.WriteString(randomString(79) + "\n")
	}
	b.WriteString(canary)
	return b.String()
}

// randomBytes returns n random bytes with the canary written at the start,
// the middle and the end: attachment bytes as a recording carries them,
// incompressible.
func randomBytes(canary string, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("forensic: crypto/rand failed: %v", err))
	}
	copy(b, canary)
	copy(b[n/2:], canary)
	copy(b[n-len(canary):], canary)
	return b
}

// request is one HTTP call of the workload.
type request struct {
	method, path string
	body         any // marshalled as JSON; []byte is sent as it is
	contentType  string
	header       http.Header
	want         int // expected status
}

// do sends r and returns the response body, failing on another status.
func (w *Workload) do(ctx context.Context, r request) ([]byte, error) {
	var body io.Reader
	contentType := r.contentType
	switch b := r.body.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(j)
		if contentType == "" {
			contentType = "application/json"
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, w.URL+r.path, body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	hc := w.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != r.want {
		return nil, fmt.Errorf("%s %s: status %d, want %d: %s", r.method, r.path, resp.StatusCode, r.want, excerpt(out))
	}
	return out, nil
}

// doJSON sends r and decodes the response into out.
func (w *Workload) doJSON(ctx context.Context, r request, out any) error {
	b, err := w.do(ctx, r)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", r.method, r.path, err)
	}
	return nil
}

// excerpt shortens a response body for an error message.
func excerpt(b []byte) string {
	const n = 300
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// auth returns a header with one field.
func auth(name, value string, more ...string) http.Header {
	h := http.Header{}
	h.Set(name, value)
	for i := 0; i+1 < len(more); i += 2 {
		h.Set(more[i], more[i+1])
	}
	return h
}

// errNoMessages is a door's answer without the messages it wrote.
var errNoMessages = errors.New("the answer has no messages")
