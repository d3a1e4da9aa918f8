package convhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/convstore/convstore"
)

// BodyRules is how one door decodes JSON request bodies: strictly (an
// unknown field is refused) or leniently (it is ignored, as most vendors'
// servers do), with its own phrasing of what went wrong. CheckJSON's
// refusals (a null body, a repeated key, a key that matches a field only
// case-insensitively, too deep a nesting) run first, on either path, and
// are the same 400 invalid_json in every door.
type BodyRules struct {
	// Strict refuses keys that match no field of the destination.
	Strict bool

	// Wrap turns a decoding failure into the door's own error. Nil leaves
	// the *BodyError as it is (a 400 invalid_json in the native words).
	Wrap func(*BodyError) error
}

// StrictBody and LenientBody decode with the native door's words.
var (
	StrictBody  = &BodyRules{Strict: true}
	LenientBody = &BodyRules{}
)

// Decode decodes one JSON value into dst (a pointer).
func (rules *BodyRules) Decode(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return rules.fail(&BodyError{Kind: BodyEmpty})
	}
	unknown, err := checkJSON(body, dst)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		return rules.fail(newBodyError(err, body))
	}
	if rules.Strict && unknown != nil {
		return rules.fail(&BodyError{Kind: BodyUnknownField, Field: *unknown})
	}
	end := dec.InputOffset()
	if i := bytes.IndexFunc(body[end:], func(r rune) bool { return !strings.ContainsRune(" \t\r\n", r) }); i >= 0 {
		return rules.fail(&BodyError{Kind: BodyTrailing, Offset: end + int64(i) + 1})
	}
	return nil
}

// ReadJSON reads the request body (see Server.ReadBody) and decodes it
// into dst by rules.
func (s *Server) ReadJSON(w http.ResponseWriter, r *http.Request, rules *BodyRules, dst any) error {
	body, err := s.ReadBody(w, r)
	if err != nil {
		return err
	}
	return rules.Decode(body, dst)
}

// DecodeJSON reads the request body and decodes it strictly into dst.
func (s *Server) DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	return s.ReadJSON(w, r, StrictBody, dst)
}

// DecodeStrict decodes one JSON object into dst, rejecting what CheckJSON
// rejects, an empty body, unknown fields, values of the wrong type and
// trailing data with a 400 invalid_json error that says what was wrong
// and, where known, names the field.
func DecodeStrict(body []byte, dst any) error { return StrictBody.Decode(body, dst) }

// fail returns e in the door's format.
func (rules *BodyRules) fail(e *BodyError) error {
	if rules.Wrap == nil {
		return e
	}
	return rules.Wrap(e)
}

// BodyKind says what is wrong with a JSON body.
type BodyKind int

// The kinds of bad bodies, each with the BodyError fields it sets.
const (
	BodyEmpty        BodyKind = iota + 1 // nothing but white space
	BodySyntax                           // not JSON (Offset, Err)
	BodyIncomplete                       // ends before its value does (Offset: the body's length)
	BodyNotObject                        // a JSON value of another kind where an object belongs (Value)
	BodyWrongType                        // a member of the wrong kind (Field, Type, Value)
	BodyUnknownField                     // strict rules: a key that matches no field (Field: the key)
	BodyTrailing                         // data after the value (Offset: just past its first byte)
	BodyInvalid                          // any other decoding failure (Err)
)

// BodyError is a request body that failed to decode; a door's
// BodyRules.Wrap phrases it in the door's own format. Its own message is
// the native door's.
type BodyError struct {
	Kind   BodyKind
	Field  string       // the member at fault, as a path ("messages[1].role")
	Offset int64        // where in the body, counted as json.SyntaxError does
	Type   reflect.Type // the Go type the member should decode into (BodyWrongType)
	Value  string       // the JSON kind sent ("string", "number", "array", …)
	Err    error        // the decoder's error
}

// newBodyError classifies a decoding error.
func newBodyError(err error, body []byte) *BodyError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &BodyError{Kind: BodySyntax, Offset: syn.Offset, Err: err}
	case errors.As(err, &typ) && typ.Field == "":
		return &BodyError{Kind: BodyNotObject, Type: typ.Type, Value: typ.Value, Err: err}
	case errors.As(err, &typ):
		return &BodyError{Kind: BodyWrongType, Field: typ.Field, Type: typ.Type, Value: typ.Value, Err: err}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &BodyError{Kind: BodyIncomplete, Offset: int64(len(body)), Err: err}
	}
	return &BodyError{Kind: BodyInvalid, Err: err}
}

// Error returns the native door's message.
func (e *BodyError) Error() string {
	switch e.Kind {
	case BodyEmpty:
		return "The request body is empty; a JSON object is required."
	case BodySyntax:
		return fmt.Sprintf("The request body is not valid JSON: %s (at byte %d).", e.Err.Error(), e.Offset)
	case BodyIncomplete:
		return "The request body ends before its JSON value is complete."
	case BodyNotObject:
		return fmt.Sprintf("The request body must be a JSON object, not %s.", article(e.Value))
	case BodyWrongType:
		return fmt.Sprintf("Field %q must be %s, not %s.", e.Field, JSONKind(e.Type), article(e.Value))
	case BodyUnknownField:
		return fmt.Sprintf("Unknown field %q: this endpoint does not accept it.", e.Field)
	case BodyTrailing:
		return "The request body must hold a single JSON object; data follows it."
	}
	return fmt.Sprintf("The request body is not valid JSON: %s.", strings.TrimPrefix(fmt.Sprint(e.Err), "json: "))
}

// Unwrap returns the 400 invalid_json error, so that a BodyError a door
// passes through unwrapped is a client error, not a fault.
func (e *BodyError) Unwrap() error {
	return &convstore.Error{Code: CodeInvalidJSON, Field: e.Field, Message: e.Error()}
}

// JSONKind describes a Go type in JSON terms ("a string", "an array").
func JSONKind(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Map:
		if t.Elem().Kind() == reflect.String {
			return "an object of strings"
		}
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "an object"
}

// article puts "a" or "an" before a JSON value kind ("number", "object").
func article(kind string) string {
	switch kind {
	case "":
		return "this value"
	case "object", "array", "array element":
		return "an " + kind
	}
	return "a " + kind
}
