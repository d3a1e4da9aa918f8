package elevenlabs

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
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

// queryRules read query strings the way FastAPI does: a repeated scalar
// parameter takes its last value, unknown parameters are ignored, and
// numbers may be padded with white space, as pydantic strips it.
var queryRules = &convhttp.QueryRules{Repeated: convhttp.RepeatLast, TrimSpace: true, Wrap: queryError}

// queryError phrases a bad query parameter as pydantic v2's error item.
func queryError(e *convhttp.ParamError) error {
	loc := []any{"query", e.Name}
	it := validationItem{Type: "value_error", Loc: loc, Input: e.Value}
	switch e.Kind {
	case convhttp.QueryMalformed:
		it = validationItem{Type: "value_error", Loc: []any{"query"}, Msg: "Value error, the query string is malformed"}
	case convhttp.ParamTooLong:
		it.Type, it.Msg = "string_too_long", fmt.Sprintf("String should have at most %d bytes of UTF-8", e.Max)
		it.Ctx = map[string]any{"max_length": e.Max}
	case convhttp.ParamNotInteger:
		it.Type, it.Msg = "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
	case convhttp.ParamTooSmall:
		it.Type, it.Msg = "greater_than_equal", fmt.Sprintf("Input should be greater than or equal to %d", e.Min)
		it.Ctx = map[string]any{"ge": e.Min}
	case convhttp.ParamTooLarge:
		it.Type, it.Msg = "less_than_equal", fmt.Sprintf("Input should be less than or equal to %d", e.Max)
		it.Ctx = map[string]any{"le": e.Max}
	case convhttp.ParamNotAllowed:
		it = enumItem(loc, e.Value, e.Allowed)
	case convhttp.ParamBadID:
		it.Msg = "Value error, invalid " + e.Name
	default:
		it.Msg = "Value error, " + e.Error()
	}
	ve := &validationError{}
	ve.add(it)
	return ve.orNil()
}

// query reads the query parameters of one request, collecting every
// failure into one 422 list, as FastAPI answers.
type query struct {
	q    *convhttp.Query
	errs validationError
}

// parseQuery parses the raw query. A malformed query string is a 422.
func parseQuery(r *http.Request) *query {
	cq, err := queryRules.Parse(r)
	q := &query{q: cq}
	q.collect(err) // and read on: every failure is reported at once
	return q
}

// collect adds the items of a parameter's error to the list.
func (q *query) collect(err error) {
	var ve *validationError
	if errors.As(err, &ve) {
		for _, it := range ve.items {
			q.errs.add(it)
		}
	}
}

// err returns the collected 422, or nil.
func (q *query) err() error { return q.errs.orNil() }

// text returns an optional string parameter of at most max bytes of UTF-8.
func (q *query) text(name string, max int) string {
	s, err := q.q.Text(name, max)
	q.collect(err)
	return s
}

// integer returns an optional integer parameter within [lo, hi].
func (q *query) integer(name string, lo, hi int64) (int64, bool) {
	n, ok, err := q.q.Int(name, lo, hi)
	q.collect(err)
	return n, ok
}

// unix returns an optional Unix-seconds parameter: an integer of years
// 1..9999, which every engine stores.
func (q *query) unix(name string) *time.Time {
	n, ok := q.integer(name, convhttp.MinUnix, convhttp.MaxUnix)
	if !ok {
		return nil
	}
	t := time.Unix(n, 0).UTC()
	return &t
}

// enum returns an optional parameter that must be one of allowed.
func (q *query) enum(name string, allowed ...string) string {
	s, _, err := q.q.Enum(name, allowed...)
	q.collect(err)
	return s
}

// enumList returns a repeatable enum parameter's values.
func (q *query) enumList(name string, allowed ...string) []string {
	var out []string
	for _, s := range q.q.All(name) {
		if !slices.Contains(allowed, s) {
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
		if q.q.Has(name) {
			s, _, _ := q.q.String(name)
			q.errs.add(validationItem{Type: "value_error", Loc: []any{"query", name},
				Msg: "Value error, this filter is not supported by this server", Input: s})
		}
	}
}

// cursor returns the optional cursor: the native id of the last
// conversation the previous page examined ("" is no cursor).
func (q *query) cursor() convstore.ID {
	if s, _, _ := q.q.String("cursor"); s == "" {
		return convstore.ID{}
	}
	id, _, err := q.q.ID("cursor", convstore.PrefixConversation)
	q.collect(err)
	return id
}
