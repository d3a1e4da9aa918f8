package convhttp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// streamBufferSize is how much of a streamed body is gathered before it
// goes out. Until the first flush nothing has been sent, so a failure can
// still be answered in the door's error format; bodies smaller than this
// are sent whole, exactly as WriteJSON sends them.
const streamBufferSize = 64 << 10

// JSONStream writes one JSON body while it is produced, for answers whose
// size grows with the data (a conversation's messages, a list of them):
// the handler writes the envelope by hand and encodes each element as it
// reads it, so it holds one element and one buffer, never the whole body.
// The bytes are those json.Marshal gives for the whole value, followed by
// a newline as WriteJSON writes.
//
// The status line and headers go out with the first flush. A handler that
// fails before then returns its error as usual and the door answers it;
// one that fails later returns the error too, and the server logs it and
// aborts the connection (see routeHandler), so the client sees a broken
// response, never a valid-looking truncated one. A HEAD request gets the
// headers only: its handler should check Head and skip the body.
type JSONStream struct {
	w      http.ResponseWriter
	ctx    context.Context
	status int
	head   bool
	out    *bufio.Writer
	elem   bytes.Buffer
	enc    *json.Encoder
	stack  []level
	err    error // the first error; every later call is a no-op
}

// level is an open object or array.
type level struct {
	array    bool
	n        int  // members or elements written
	afterKey bool // an object's key is written, its value is next
}

// NewJSONStream starts a JSON body answering r with status.
func NewJSONStream(w http.ResponseWriter, r *http.Request, status int) *JSONStream {
	s := &JSONStream{w: w, ctx: r.Context(), status: status, head: r.Method == http.MethodHead}
	s.out = bufio.NewWriterSize(headerWriter{s}, streamBufferSize)
	s.enc = json.NewEncoder(&s.elem) // escapes HTML like json.Marshal
	return s
}

// headerWriter sends the status line and headers before the first bytes.
type headerWriter struct{ s *JSONStream }

func (h headerWriter) Write(p []byte) (int, error) {
	h.s.writeHeader()
	n, err := h.s.w.Write(p)
	if err != nil {
		err = h.s.writeError(err)
	}
	return n, err
}

func (s *JSONStream) writeHeader() {
	if s.status == 0 {
		return
	}
	s.w.Header().Set("Content-Type", ContentTypeJSON)
	s.w.WriteHeader(s.status)
	s.status = 0
}

// writeError explains a failed write: the client went away or stalled.
func (s *JSONStream) writeError(err error) error {
	if cerr := s.ctx.Err(); cerr != nil {
		return fmt.Errorf("convhttp: streaming the response: %w (%w)", cerr, err)
	}
	return fmt.Errorf("convhttp: streaming the response: %w", err)
}

// Head reports whether the request is a HEAD, whose body is not sent.
func (s *JSONStream) Head() bool { return s.head }

// Err returns the first error of the stream, such as a client that went
// away; handlers check it between pages to stop reading the store early.
func (s *JSONStream) Err() error { return s.err }

func (s *JSONStream) write(p []byte) {
	if s.err == nil && !s.head {
		_, s.err = s.out.Write(p)
	}
}

func (s *JSONStream) writeString(p string) {
	if s.err == nil && !s.head {
		_, s.err = s.out.WriteString(p)
	}
}

// fail records err unless an earlier one is recorded.
func (s *JSONStream) fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// top returns the innermost open level, nil at the top.
func (s *JSONStream) top() *level {
	if len(s.stack) == 0 {
		return nil
	}
	return &s.stack[len(s.stack)-1]
}

// beforeValue writes what separates a value from the one before it.
func (s *JSONStream) beforeValue() {
	switch l := s.top(); {
	case l == nil:
	case l.array:
		if l.n > 0 {
			s.writeString(",")
		}
		l.n++
	case l.afterKey:
		l.afterKey = false
	default:
		s.fail(errors.New("convhttp: JSONStream: an object member needs a key"))
	}
}

// OpenObject starts an object value.
func (s *JSONStream) OpenObject() {
	s.beforeValue()
	s.writeString("{")
	s.stack = append(s.stack, level{})
}

// OpenArray starts an array value.
func (s *JSONStream) OpenArray() {
	s.beforeValue()
	s.writeString("[")
	s.stack = append(s.stack, level{array: true})
}

// Close ends the innermost object or array.
func (s *JSONStream) Close() {
	l := s.top()
	if l == nil || l.afterKey {
		s.fail(errors.New("convhttp: JSONStream: Close without an open object or array, or after a key"))
		return
	}
	if l.array {
		s.writeString("]")
	} else {
		s.writeString("}")
	}
	s.stack = s.stack[:len(s.stack)-1]
}

// Key writes the key of the open object's next member.
func (s *JSONStream) Key(name string) {
	l := s.top()
	if l == nil || l.array || l.afterKey {
		s.fail(errors.New("convhttp: JSONStream: Key outside an object"))
		return
	}
	if l.n > 0 {
		s.writeString(",")
	}
	l.n++
	l.afterKey = true
	s.encode(name)
	s.writeString(":")
}

// Value writes one value: an array element, an object member's value
// after Key, or the whole body.
func (s *JSONStream) Value(v any) {
	s.beforeValue()
	s.encode(v)
}

// Members writes the members of v, which must encode as a JSON object,
// into the open object: a struct holds the members that come before or
// after those the handler writes one by one, rendered exactly as they
// would be as part of the whole value.
func (s *JSONStream) Members(v any) {
	l := s.top()
	if l == nil || l.array || l.afterKey {
		s.fail(errors.New("convhttp: JSONStream: Members outside an object"))
		return
	}
	b := s.marshal(v)
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		s.fail(fmt.Errorf("convhttp: JSONStream: Members of %T, which is not an object", v))
		return
	}
	if inner := b[1 : len(b)-1]; len(inner) > 0 {
		if l.n > 0 {
			s.writeString(",")
		}
		l.n++
		s.write(inner)
	}
}

// marshal encodes v into the element buffer without the encoder's newline.
func (s *JSONStream) marshal(v any) []byte {
	if s.err != nil || s.head {
		return nil
	}
	s.elem.Reset()
	if err := s.enc.Encode(v); err != nil {
		s.fail(fmt.Errorf("convhttp: marshal response: %w", err))
		return nil
	}
	b := s.elem.Bytes()
	return b[:len(b)-1]
}

func (s *JSONStream) encode(v any) {
	if b := s.marshal(v); b != nil {
		s.write(b)
	}
}

// Flush sends what is buffered; after it an error can no longer be
// answered in the door's format.
func (s *JSONStream) Flush() error {
	if s.err == nil && !s.head {
		s.err = s.out.Flush()
	}
	return s.err
}

// Finish ends the body with a newline, as WriteJSON does, and sends it.
// It returns the stream's first error. A body that fit in the buffer goes
// out whole with a Content-Length, as WriteJSON's would.
func (s *JSONStream) Finish() error {
	if s.err == nil && len(s.stack) > 0 {
		s.fail(errors.New("convhttp: JSONStream: Finish with " + strconv.Itoa(len(s.stack)) + " open objects or arrays"))
	}
	if s.err != nil {
		return s.err
	}
	if s.head {
		s.writeHeader()
		return nil
	}
	if s.status != 0 { // nothing sent yet: the body is whole in the buffer
		s.w.Header().Set("Content-Length", strconv.Itoa(s.out.Buffered()+1))
	}
	s.writeString("\n")
	return s.Flush()
}
