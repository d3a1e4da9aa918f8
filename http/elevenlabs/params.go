package elevenlabs

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/convstore/convstore"
)

// validationItem is one entry of a FastAPI/pydantic validation error.
// ElevenLabs' OpenAPI requires loc, msg and type; input and ctx are what
// pydantic v2 adds.
type validationItem struct {
	Type  string         `json:"type"`
	Loc   []any          `json:"loc"`
	Msg   string         `json:"msg"`
	Input any            `json:"input,omitempty"`
	Ctx   map[string]any `json:"ctx,omitempty"`
}

// validationBody is the 422 body: {"detail":[item, …]}.
type validationBody struct {
	Detail []validationItem `json:"detail"`
}

// validationError is a 422 answer. It wraps an EINVALID *convstore.Error
// so the server treats it as a client error.
type validationError struct {
	items []validationItem
	base  *convstore.Error
}

func (e *validationError) Error() string         { return e.base.Error() }
func (e *validationError) Unwrap() error         { return e.base }
func (e *validationError) body() validationBody  { return validationBody{Detail: e.items} }
func (e *validationError) add(it validationItem) { e.items = append(e.items, it) }
func (e *validationError) empty() bool           { return len(e.items) == 0 }
func (e *validationError) orNil() error {
	if e.empty() {
		return nil
	}
	e.base = convstore.Invalidf(fmt.Sprint(e.items[0].Loc...), "%s", e.items[0].Msg)
	return e
}

// query reads query parameters the way FastAPI does: a repeated scalar
// parameter takes its last value, unknown parameters are ignored, and
// every failure is collected into one 422 list.
type query struct {
	v    url.Values
	errs validationError
}

// parseQuery parses the raw query. A malformed query string is a 422.
func parseQuery(r *http.Request) *query {
	q := &query{}
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		q.errs.add(validationItem{Type: "value_error", Loc: []any{"query"}, Msg: "Value error, the query string is malformed"})
	}
	q.v = v
	return q
}

// err returns the collected 422, or nil.
func (q *query) err() error { return q.errs.orNil() }

// str returns the last value of a parameter and whether it is present.
func (q *query) str(name string) (string, bool) {
	vs := q.v[name]
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

// has reports whether a parameter is present.
func (q *query) has(name string) bool { return len(q.v[name]) > 0 }

// text returns an optional string parameter of at most max bytes of UTF-8.
func (q *query) text(name string, max int) string {
	s, ok := q.str(name)
	if !ok {
		return ""
	}
	if len(s) > max || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		q.errs.add(validationItem{Type: "string_too_long", Loc: []any{"query", name},
			Msg: fmt.Sprintf("String should have at most %d bytes of UTF-8", max), Input: s,
			Ctx: map[string]any{"max_length": max}})
		return ""
	}
	return s
}

// integer returns an optional integer parameter within [lo, hi].
func (q *query) integer(name string, lo, hi int64) (int64, bool) {
	s, ok := q.str(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	switch {
	case err != nil:
		q.errs.add(validationItem{Type: "int_parsing", Loc: []any{"query", name},
			Msg: "Input should be a valid integer, unable to parse string as an integer", Input: s})
		return 0, false
	case n < lo:
		q.errs.add(validationItem{Type: "greater_than_equal", Loc: []any{"query", name},
			Msg: fmt.Sprintf("Input should be greater than or equal to %d", lo), Input: s, Ctx: map[string]any{"ge": lo}})
		return 0, false
	case n > hi:
		q.errs.add(validationItem{Type: "less_than_equal", Loc: []any{"query", name},
			Msg: fmt.Sprintf("Input should be less than or equal to %d", hi), Input: s, Ctx: map[string]any{"le": hi}})
		return 0, false
	}
	return n, true
}

// Unix seconds accepted as times: years 1..9999, which every engine stores.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

// unix returns an optional Unix-seconds parameter.
func (q *query) unix(name string) *time.Time {
	n, ok := q.integer(name, minUnix, maxUnix)
	if !ok {
		return nil
	}
	t := time.Unix(n, 0).UTC()
	return &t
}

// enum returns an optional parameter that must be one of allowed.
func (q *query) enum(name string, allowed ...string) string {
	s, ok := q.str(name)
	if !ok {
		return ""
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	q.errs.add(enumItem([]any{"query", name}, s, allowed))
	return ""
}

// enumList returns a repeatable enum parameter's values.
func (q *query) enumList(name string, allowed ...string) []string {
	var out []string
	for _, s := range q.v[name] {
		ok := false
		for _, a := range allowed {
			ok = ok || s == a
		}
		if !ok {
			q.errs.add(enumItem([]any{"query", name}, s, allowed))
			continue
		}
		out = append(out, s)
	}
	return out
}

// enumItem is pydantic v2's enum error.
func enumItem(loc []any, input string, allowed []string) validationItem {
	quoted := make([]string, len(allowed))
	for i, a := range allowed {
		quoted[i] = "'" + a + "'"
	}
	exp := strings.Join(quoted, ", ")
	if n := len(quoted); n > 1 {
		exp = strings.Join(quoted[:n-1], ", ") + " or " + quoted[n-1]
	}
	return validationItem{Type: "enum", Loc: loc, Msg: "Input should be " + exp, Input: input,
		Ctx: map[string]any{"expected": exp}}
}

// unsupported rejects a documented filter this server cannot honour:
// ignoring it would silently widen the result (dangerous for scripts that
// delete what a list returns).
func (q *query) unsupported(names ...string) {
	for _, name := range names {
		if q.has(name) {
			s, _ := q.str(name)
			q.errs.add(validationItem{Type: "value_error", Loc: []any{"query", name},
				Msg: "Value error, this filter is not supported by this server", Input: s})
		}
	}
}

// cursor returns the optional cursor: the native id of the last
// conversation the previous page examined.
func (q *query) cursor() convstore.ID {
	s, ok := q.str("cursor")
	if !ok || s == "" {
		return convstore.ID{}
	}
	id, err := convstore.ParseID(convstore.PrefixConversation, "cursor", s)
	if err != nil {
		q.errs.add(validationItem{Type: "value_error", Loc: []any{"query", "cursor"},
			Msg: "Value error, invalid cursor", Input: s})
	}
	return id
}
