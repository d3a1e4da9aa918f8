package convhttp

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/convstore/convstore"
)

// Repeat says which value of a repeated query parameter counts.
type Repeat int

const (
	// RepeatRefused makes a repeated parameter an error (ParamRepeated).
	RepeatRefused Repeat = iota
	// RepeatFirst takes the first value, as Go's url.Values.Get and
	// JavaScript's URLSearchParams.get do.
	RepeatFirst
	// RepeatLast takes the last value, as Django's QueryDict and FastAPI do.
	RepeatLast
)

// QueryRules is how one door reads query strings: the vendor's server
// framework decides what a repeated, empty or unknown parameter means, so
// each door declares its rules once and every endpoint reads through them.
type QueryRules struct {
	// Strict refuses parameters the endpoint does not name, so that a typo
	// ("limt") is not silently ignored; a lenient door ignores them, as
	// most vendors' servers do.
	Strict bool

	// Repeated says which value of a repeated parameter counts.
	Repeated Repeat

	// Absent lists values that count as no value at all ("" where an empty
	// parameter is the default, "null" for a nullable one).
	Absent []string

	// TrimSpace strips white space around numbers before parsing them, as
	// pydantic does.
	TrimSpace bool

	// IgnoreMalformed reads what can be parsed of a malformed query string
	// (bad percent-encoding) instead of refusing it, as servers built on
	// URLSearchParams do.
	IgnoreMalformed bool

	// Wrap turns a parameter error into the door's own error. Nil leaves
	// the *ParamError as it is (a 400 invalid_parameter).
	Wrap func(*ParamError) error
}

// Query is a request's query string read under a door's QueryRules. Its
// getters return the value, whether the parameter is present (with a
// value not in Absent), and the door's error for a bad value.
type Query struct {
	values url.Values
	rules  *QueryRules
}

// Parse reads r's query string. Strict rules refuse any parameter not in
// known (a member of a family FamilyParam names is known), and a repeated one when repeats are refused, in the order of
// their names; lenient rules report repeats only when the parameter is
// read. The Query is never nil: with an error it holds what could be
// parsed, for a door that reports every failure at once.
func (rules *QueryRules) Parse(r *http.Request, known ...string) (*Query, error) {
	return rules.ParseRaw(r.URL.RawQuery, known...)
}

// ParseRaw is Parse for a raw query string.
func (rules *QueryRules) ParseRaw(raw string, known ...string) (*Query, error) {
	v, err := url.ParseQuery(raw)
	q := &Query{values: v, rules: rules}
	if err != nil && !rules.IgnoreMalformed {
		return q, q.fail(&ParamError{Kind: QueryMalformed, Err: err})
	}
	if !rules.Strict {
		return q, nil
	}
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if !slices.Contains(known, name) && !slices.Contains(known, familyParam(name)) {
			return q, q.fail(&ParamError{Kind: ParamUnknown, Name: name, Value: v.Get(name), Allowed: known})
		}
		if len(v[name]) > 1 && rules.Repeated == RepeatRefused {
			return q, q.fail(&ParamError{Kind: ParamRepeated, Name: name})
		}
	}
	return q, nil
}

// fail returns e in the door's format.
func (q *Query) fail(e *ParamError) error {
	if q.rules.Wrap == nil {
		return e
	}
	return q.rules.Wrap(e)
}

// Names returns the names of the parameters present, sorted.
func (q *Query) Names() []string { return slices.Sorted(maps.Keys(q.values)) }

// Values returns a copy of every parameter, for links to other pages.
func (q *Query) Values() url.Values {
	v := make(url.Values, len(q.values))
	for k, vs := range q.values {
		v[k] = slices.Clone(vs)
	}
	return v
}

// Has reports whether a parameter is present, whatever its value.
func (q *Query) Has(name string) bool { return len(q.values[name]) > 0 }

// All returns every value of a repeatable parameter, in order.
func (q *Query) All(name string) []string { return q.values[name] }

// String returns a parameter's value by the rules' Repeated and Absent.
func (q *Query) String(name string) (string, bool, error) {
	vs := q.values[name]
	if len(vs) == 0 {
		return "", false, nil
	}
	s := vs[len(vs)-1]
	switch q.rules.Repeated {
	case RepeatRefused:
		if len(vs) > 1 {
			return "", false, q.fail(&ParamError{Kind: ParamRepeated, Name: name})
		}
	case RepeatFirst:
		s = vs[0]
	}
	if slices.Contains(q.rules.Absent, s) {
		return "", false, nil
	}
	return s, true, nil
}

// Text returns a free-text parameter of at most max bytes of UTF-8 without
// NUL, which no engine stores ("" when absent).
func (q *Query) Text(name string, max int) (string, error) {
	s, ok, err := q.String(name)
	if err != nil || !ok {
		return "", err
	}
	if len(s) > max || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return "", q.fail(&ParamError{Kind: ParamTooLong, Name: name, Value: s, Max: int64(max)})
	}
	return s, nil
}

// Int returns an integer parameter within [lo, hi].
func (q *Query) Int(name string, lo, hi int64) (int64, bool, error) {
	s, ok, err := q.String(name)
	if err != nil || !ok {
		return 0, false, err
	}
	n, perr := strconv.ParseInt(q.number(s), 10, 64)
	e := &ParamError{Name: name, Value: s, Min: lo, Max: hi, Err: perr}
	switch {
	case perr != nil:
		e.Kind = ParamNotInteger
	case n < lo:
		e.Kind = ParamTooSmall
	case n > hi:
		e.Kind = ParamTooLarge
	default:
		return n, true, nil
	}
	return 0, false, q.fail(e)
}

// number returns s ready for number parsing under the rules.
func (q *Query) number(s string) string {
	if q.rules.TrimSpace {
		return strings.TrimSpace(s)
	}
	return s
}

// trueValues and falseValues are what Bool accepts: strconv.ParseBool's
// spellings plus yes/no, y/n and on/off, in the cases Django REST
// framework's BooleanField accepts.
var (
	trueValues  = []string{"t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1"}
	falseValues = []string{"f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0"}
)

// Bool returns a boolean parameter.
func (q *Query) Bool(name string) (bool, bool, error) {
	s, ok, err := q.String(name)
	switch {
	case err != nil || !ok:
		return false, false, err
	case slices.Contains(trueValues, s):
		return true, true, nil
	case slices.Contains(falseValues, s):
		return false, true, nil
	}
	return false, false, q.fail(&ParamError{Kind: ParamNotBoolean, Name: name, Value: s})
}

// Enum returns a parameter that must be one of allowed.
func (q *Query) Enum(name string, allowed ...string) (string, bool, error) {
	s, ok, err := q.String(name)
	if err != nil || !ok {
		return "", false, err
	}
	if !slices.Contains(allowed, s) {
		return "", false, q.fail(&ParamError{Kind: ParamNotAllowed, Name: name, Value: s, Allowed: allowed})
	}
	return s, true, nil
}

// Time returns a time parameter read by parse.
func (q *Query) Time(name string, parse func(string) (time.Time, error)) (time.Time, bool, error) {
	s, ok, err := q.String(name)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	t, perr := parse(s)
	if perr != nil {
		return time.Time{}, false, q.fail(&ParamError{Kind: ParamBadTime, Name: name, Value: s, Err: perr})
	}
	return t, true, nil
}

// Unix seconds a time parameter may hold: years 1..9999, which every
// engine stores.
const (
	MinUnix = -62135596800
	MaxUnix = 253402300799
)

// Unix returns a Unix-seconds time parameter (MinUnix..MaxUnix), in UTC.
func (q *Query) Unix(name string) (time.Time, bool, error) {
	s, ok, err := q.String(name)
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	n, perr := strconv.ParseInt(q.number(s), 10, 64)
	if perr != nil || n < MinUnix || n > MaxUnix {
		return time.Time{}, false, q.fail(&ParamError{Kind: ParamBadTime, Name: name, Value: s, Min: MinUnix, Max: MaxUnix, Err: perr})
	}
	return time.Unix(n, 0).UTC(), true, nil
}

// ID returns a parameter holding a native id with prefix: a cursor, or a
// filter on a related record.
func (q *Query) ID(name, prefix string) (convstore.ID, bool, error) {
	s, ok, err := q.String(name)
	if err != nil || !ok {
		return convstore.ID{}, false, err
	}
	id, perr := convstore.ParseID(prefix, name, s)
	if perr != nil {
		return convstore.ID{}, false, q.fail(&ParamError{Kind: ParamBadID, Name: name, Value: s, Err: perr})
	}
	return id, true, nil
}

// A family of parameters is one name with a key in brackets per member,
// name[key]=value (OpenAPI's deepObject style), such as
// metadata[tier]=gold: an open set of pairs for one filter. An endpoint
// takes a family by naming FamilyParam(name) among its known parameters
// and reads it with Family.

// FamilyParam returns the known name that admits the family name[…]:
// "name[key]", which is also how an unknown-parameter message shows it.
func FamilyParam(name string) string { return name + "[key]" }

// familyMember splits a parameter name[key] into the family's name and
// the key: everything between the first "[" and the last "]", so that a
// key may itself hold brackets. ok is false for any other parameter.
func familyMember(param string) (name, key string, ok bool) {
	name, rest, found := strings.Cut(param, "[")
	if !found || name == "" || !strings.HasSuffix(rest, "]") {
		return "", "", false
	}
	return name, rest[:len(rest)-1], true
}

// familyParam returns FamilyParam of the family param belongs to, and ""
// for a parameter of no family.
func familyParam(param string) string {
	name, _, ok := familyMember(param)
	if !ok {
		return ""
	}
	return FamilyParam(name)
}

// Family returns the members of the family name present, as a map of key
// to value (nil when there are none); each member's value is read as
// String reads it (repeats and absent values by the rules).
func (q *Query) Family(name string) (map[string]string, error) {
	var out map[string]string
	for _, param := range q.Names() {
		if family, key, ok := familyMember(param); ok && family == name {
			s, ok, err := q.String(param)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			if out == nil {
				out = map[string]string{}
			}
			out[key] = s
		}
	}
	return out, nil
}
