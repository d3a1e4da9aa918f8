package convhttp

import (
	"fmt"
	"strings"

	"github.com/convstore/convstore"
)

// ParamKind says what is wrong with a query parameter.
type ParamKind int

// The kinds of bad query parameters, each with the ParamError fields it
// sets.
const (
	QueryMalformed  ParamKind = iota + 1 // the query string's encoding is broken (Err)
	ParamUnknown                         // strict rules: the endpoint does not take Name (Allowed lists what it takes)
	ParamRepeated                        // Name appears more than once and repeats are refused
	ParamTooLong                         // text over Max bytes, invalid UTF-8 or holding NUL
	ParamNotInteger                      // not a decimal integer
	ParamTooSmall                        // an integer below Min
	ParamTooLarge                        // an integer above Max
	ParamNotBoolean                      // not one of the accepted spellings
	ParamNotAllowed                      // not one of Allowed
	ParamBadTime                         // not a time in the expected form (for Unix times: outside Min..Max)
	ParamBadID                           // not a native id with the expected prefix (Err says why)
)

// ParamError is a bad query parameter, as the toolkit found it; a door's
// QueryRules.Wrap phrases it in the door's own format. Its own message is
// the native door's.
type ParamError struct {
	Kind     ParamKind
	Name     string   // the parameter ("" for QueryMalformed)
	Value    string   // the value at fault
	Min, Max int64    // the bounds, where the kind has them
	Allowed  []string // the accepted values (ParamNotAllowed) or names (ParamUnknown)
	Err      error    // the parser's error, where there is one
}

// Error returns the native door's message.
func (e *ParamError) Error() string {
	switch e.Kind {
	case QueryMalformed:
		return fmt.Sprintf("The query string is malformed: %v.", e.Err)
	case ParamUnknown:
		if len(e.Allowed) == 0 {
			return fmt.Sprintf("Unknown query parameter %q: this endpoint takes none.", e.Name)
		}
		return fmt.Sprintf("Unknown query parameter %q: this endpoint takes %s.", e.Name, strings.Join(e.Allowed, ", "))
	case ParamRepeated:
		return fmt.Sprintf("Query parameter %q is repeated.", e.Name)
	case ParamTooLong:
		return fmt.Sprintf("%s must be at most %d bytes of UTF-8.", e.Name, e.Max)
	case ParamNotInteger, ParamTooSmall, ParamTooLarge:
		return fmt.Sprintf("%s must be an integer from %d to %d.", e.Name, e.Min, e.Max)
	case ParamNotBoolean:
		return fmt.Sprintf("%s must be a boolean.", e.Name)
	case ParamNotAllowed:
		return fmt.Sprintf("%s must be %s.", e.Name, orList(e.Allowed))
	case ParamBadTime:
		if e.Min != 0 || e.Max != 0 {
			return fmt.Sprintf("%s must be a Unix time in seconds (an integer).", e.Name)
		}
		return fmt.Sprintf("%s is not a valid time.", e.Name)
	case ParamBadID:
		return convstore.ErrorMessage(e.Err)
	}
	return fmt.Sprintf("Query parameter %s is invalid.", e.Name)
}

// Unwrap returns the 400 invalid_parameter error, so that a ParamError a
// door passes through unwrapped is a client error, not a fault.
func (e *ParamError) Unwrap() error {
	field := e.Name
	return &convstore.Error{Code: CodeInvalidParameter, Field: field, Message: e.Error()}
}

// orList joins values as "a, b or c".
func orList(values []string) string {
	if n := len(values); n > 1 {
		return strings.Join(values[:n-1], ", ") + " or " + values[n-1]
	}
	return strings.Join(values, "")
}
