package convhttp

import (
	"fmt"
	"net/http"

	"github.com/convstore/convstore"
)

// ErrorKind is how a door answers one error code: the HTTP status and the
// door's own code or type for its body ("ResourceNotFound", "not_found");
// Code is "" where the door's format has none.
type ErrorKind struct {
	Status int
	Code   string
}

// ErrorTable is one door's answer to every error code, declared as data
// with NewErrorTable; the door's WriteError asks it for an ErrorAnswer
// and writes that in the door's own body format.
type ErrorTable struct {
	kinds           map[string]ErrorKind
	internal        ErrorKind
	internalMessage string
}

// NewErrorTable returns the table answering each code of kinds as given,
// and any other code (EINTERNAL, and every error that is not a
// *convstore.Error) with a 500 of internalCode that shows internalMessage
// and nothing else. It panics when kinds lacks one of Codes or answers one
// with a status outside 400..599: a door that forgets a code would answer
// it with a 500.
func NewErrorTable(internalCode, internalMessage string, kinds map[string]ErrorKind) *ErrorTable {
	for _, code := range Codes {
		k, ok := kinds[code]
		if !ok {
			panic(fmt.Sprintf("convhttp: error table lacks code %q", code))
		}
		if k.Status < 400 || k.Status > 599 {
			panic(fmt.Sprintf("convhttp: error table answers code %q with status %d", code, k.Status))
		}
	}
	if _, ok := kinds[convstore.EINTERNAL]; ok {
		panic("convhttp: error table maps EINTERNAL, which is always the internal answer")
	}
	return &ErrorTable{
		kinds:           kinds,
		internal:        ErrorKind{Status: http.StatusInternalServerError, Code: internalCode},
		internalMessage: internalMessage,
	}
}

// ErrorAnswer is what a door writes for one error.
type ErrorAnswer struct {
	ErrorKind
	Message  string // safe to show: the error's own message, or the table's internal one
	Field    string // the input field at fault; "" on internal answers
	Internal bool   // a fault, or a code the table does not know: a 500 that shows nothing of it
}

// Answer returns the table's answer to err.
func (t *ErrorTable) Answer(err error) ErrorAnswer {
	k, ok := t.kinds[convstore.ErrorCode(err)]
	if !ok {
		return ErrorAnswer{ErrorKind: t.internal, Message: t.internalMessage, Internal: true}
	}
	return ErrorAnswer{ErrorKind: k, Message: convstore.ErrorMessage(err), Field: convstore.ErrorField(err)}
}

// Kind returns the table's answer to an error code.
func (t *ErrorTable) Kind(code string) ErrorKind {
	if k, ok := t.kinds[code]; ok {
		return k
	}
	return t.internal
}

// Status returns the HTTP status of an error code (500 if unknown).
func (t *ErrorTable) Status(code string) int { return t.Kind(code).Status }
