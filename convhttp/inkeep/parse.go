package inkeep

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/convstore/convstore/convhttp"
)

// Request bodies are decoded leniently (unknown members are ignored, as
// Inkeep's SDKs send more than a server needs) but typed strictly: a member
// of the wrong type is a 422 naming the member, and a body that is not a
// JSON object is a 400.

// object is a decoded JSON object with the path of its members for errors.
type object struct {
	m    map[string]json.RawMessage
	path string // "" for the body, "messages[2]" for a nested object
}

// parseBody decodes a request body that must be one JSON object. Members
// are looked up by their exact names, so a case variant is just an unknown
// member, ignored; a key repeated in any object of the body is a 400,
// since encoding/json would keep only the last.
func parseBody(body []byte) (object, error) {
	var m map[string]json.RawMessage
	if err := bodyRules.Decode(body, &m); err != nil {
		return object{}, err
	}
	return object{m: m}, nil
}

// bodyRules decode a body into its members: any member is welcome, so the
// lenient path, and every failure is a 400 bad_request.
var bodyRules = &convhttp.BodyRules{Wrap: func(e *convhttp.BodyError) error {
	if e.Kind == convhttp.BodyNotObject {
		return badRequest("The request body must be a JSON object.")
	}
	return badRequest("The request body is not valid JSON.")
}}

// name returns the path of member k.
func (o object) name(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

// raw returns member k, or nil when it is absent or null.
func (o object) raw(k string) json.RawMessage {
	v, ok := o.m[k]
	if !ok || isNull(v) {
		return nil
	}
	return v
}

// has reports whether member k is present, even as null.
func (o object) has(k string) bool { _, ok := o.m[k]; return ok }

func isNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

// opt is an optional, nullable member: absent, null, or a value.
type opt[T any] struct {
	Set  bool // present, as null or a value
	Null bool // present as null
	V    T
}

// str reads an optional, nullable string of at most max bytes of UTF-8
// without NUL.
func (o object) str(k string, max int) (opt[string], error) {
	var out opt[string]
	v, ok := o.m[k]
	if !ok {
		return out, nil
	}
	out.Set = true
	if isNull(v) {
		out.Null = true
		return out, nil
	}
	if err := json.Unmarshal(v, &out.V); err != nil {
		return out, invalid(o.name(k), "%s must be a string.", o.name(k))
	}
	return out, checkText(o.name(k), out.V, max)
}

// requiredStr reads a string member that must be present and not null.
func (o object) requiredStr(k string, max int) (string, error) {
	s, err := o.str(k, max)
	if err != nil {
		return "", err
	}
	if !s.Set || s.Null {
		return "", invalid(o.name(k), "%s is required.", o.name(k))
	}
	return s.V, nil
}

// checkText bounds a string and refuses invalid UTF-8 and NUL, which no
// engine can store.
func checkText(field, s string, max int) error {
	if max > 0 && len(s) > max {
		return invalid(field, "%s must be at most %d bytes.", field, max)
	}
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return invalid(field, "%s must be valid UTF-8 without NUL characters.", field)
	}
	return nil
}

// enum reads an optional, nullable string that must be one of values.
func (o object) enum(k string, values ...string) (opt[string], error) {
	s, err := o.str(k, 64)
	if err != nil || !s.Set || s.Null {
		return s, err
	}
	for _, v := range values {
		if s.V == v {
			return s, nil
		}
	}
	return s, invalid(o.name(k), "%s must be one of %s.", o.name(k), quoteList(values))
}

func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

// timestamp reads an optional, nullable ISO 8601 date-time with a time zone
// and returns it normalized to UTC with milliseconds, as JavaScript's
// toISOString writes it.
func (o object) timestamp(k string) (opt[string], error) {
	s, err := o.str(k, 64)
	if err != nil || !s.Set || s.Null {
		return s, err
	}
	t, perr := time.Parse(time.RFC3339Nano, s.V)
	if perr != nil {
		return s, invalid(o.name(k), "%s must be an ISO 8601 date-time with a time zone, such as 2024-01-31T12:00:00Z.", o.name(k))
	}
	s.V = isoTime(t)
	return s, nil
}

// isoTime formats t as JavaScript's Date.toISOString does.
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// sub reads an optional, nullable member that must be a JSON object.
func (o object) sub(k string) (opt[object], error) {
	var out opt[object]
	v, ok := o.m[k]
	if !ok {
		return out, nil
	}
	out.Set = true
	if isNull(v) {
		out.Null = true
		return out, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil {
		return out, invalid(o.name(k), "%s must be an object.", o.name(k))
	}
	out.V = object{m: m, path: o.name(k)}
	return out, nil
}

// array reads an optional, nullable member that must be a JSON array.
func (o object) array(k string) (opt[[]json.RawMessage], error) {
	var out opt[[]json.RawMessage]
	v, ok := o.m[k]
	if !ok {
		return out, nil
	}
	out.Set = true
	if isNull(v) {
		out.Null = true
		return out, nil
	}
	if err := json.Unmarshal(v, &out.V); err != nil || out.V == nil {
		return out, invalid(o.name(k), "%s must be an array.", o.name(k))
	}
	return out, nil
}

// item returns element i of an array member as an object.
func (o object) item(k string, i int, v json.RawMessage) (object, error) {
	field := o.name(k) + "[" + strconv.Itoa(i) + "]"
	var m map[string]json.RawMessage
	if err := json.Unmarshal(v, &m); err != nil || m == nil {
		return object{}, invalid(field, "%s must be an object.", field)
	}
	return object{m: m, path: field}, nil
}

// strings reads an optional, nullable array of strings.
func (o object) strings(k string, maxLen int) (opt[[]string], error) {
	var out opt[[]string]
	a, err := o.array(k)
	if err != nil || !a.Set || a.Null {
		out.Set, out.Null = a.Set, a.Null
		return out, err
	}
	out.Set, out.V = true, make([]string, 0, len(a.V))
	for i, v := range a.V {
		field := o.name(k) + "[" + strconv.Itoa(i) + "]"
		var s string
		if json.Unmarshal(v, &s) != nil {
			return out, invalid(field, "%s must be a string.", field)
		}
		if err := checkText(field, s, maxLen); err != nil {
			return out, err
		}
		out.V = append(out.V, s)
	}
	return out, nil
}

// properties reads an optional, nullable object of any members and returns
// it compacted.
func (o object) properties(k string) (opt[json.RawMessage], error) {
	var out opt[json.RawMessage]
	s, err := o.sub(k)
	if err != nil || !s.Set || s.Null {
		out.Set, out.Null = s.Set, s.Null
		return out, err
	}
	out.Set, out.V = true, compact(o.m[k])
	return out, nil
}

// userProperties reads Inkeep's userProperties: any object whose known
// members have the types the SDK checks when it parses them back.
func (o object) userProperties(k string) (opt[json.RawMessage], error) {
	out, err := o.properties(k)
	if err != nil || !out.Set || out.Null {
		return out, err
	}
	u, _ := o.sub(k)
	for _, n := range []string{"id", "userId"} {
		if v := u.V.raw(n); v != nil {
			if _, ok := stringOrNumber(v); !ok {
				return out, invalid(u.V.name(n), "%s must be a string or a number.", u.V.name(n))
			}
		}
	}
	for _, n := range []string{"identificationType", "supportAgentName", "supportAgentEmail", "userType"} {
		if _, err := u.V.str(n, 0); err != nil {
			return out, err
		}
	}
	return out, nil
}

// stringOrNumber returns a JSON string's value or a number's text.
func stringOrNumber(v json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		return n.String(), true
	}
	return "", false
}

// compact returns v without insignificant white space.
func compact(v json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return v
	}
	return b.Bytes()
}
