package inkeep

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// ContentTypeProblem is the media type of every Inkeep error; the SDK only
// builds its typed errors from bodies sent with it.
const ContentTypeProblem = "application/problem+json"

// ProblemType is the problem "type" member. Inkeep's docs do not show it,
// but some SDK versions require a string there; RFC 9457's "about:blank"
// says the title is the HTTP status phrase, which it is.
const ProblemType = "about:blank"

// internalDetail is the only detail a 500 ever shows.
const internalDetail = "An internal error occurred."

// Inkeep's documented error codes, and the extra ones this door uses for
// statuses Inkeep does not document.
const (
	codeBadRequest       = "bad_request"
	codeUnauthorized     = "unauthorized"
	codeForbidden        = "forbidden"
	codeNotFound         = "not_found"
	codeUnprocessable    = "unprocessable_entity"
	codeInternal         = "internal_server_error"
	codeMethodNotAllowed = "method_not_allowed"
	codeTooLarge         = "payload_too_large"
	codeConflict         = "conflict"
	codeLegalHold        = "legal_hold"
	codeRateLimited      = "too_many_requests"
	codeUnavailable      = "service_unavailable"
	codeTimeout          = "timeout"
	codeNotImplemented   = "not_implemented"
)

// errorTable maps domain and wire error codes to HTTP statuses and Inkeep
// codes.
var errorTable = convhttp.NewErrorTable(codeInternal, internalDetail, map[string]convhttp.ErrorKind{
	convhttp.CodeInvalidJSON:      {Status: http.StatusBadRequest, Code: codeBadRequest},
	convhttp.CodeInvalidParameter: {Status: http.StatusBadRequest, Code: codeBadRequest},
	// Inkeep documents no 415: a wrong Content-Type is one of its 400s,
	// which the SDK turns into its typed BadRequest.
	convhttp.CodeUnsupportedMediaType: {Status: http.StatusBadRequest, Code: codeBadRequest},
	convstore.EUNAUTHORIZED:           {Status: http.StatusUnauthorized, Code: codeUnauthorized},
	convstore.EFORBIDDEN:              {Status: http.StatusForbidden, Code: codeForbidden},
	convstore.ENOTFOUND:               {Status: http.StatusNotFound, Code: codeNotFound},
	convstore.EINVALID:                {Status: http.StatusUnprocessableEntity, Code: codeUnprocessable},
	convhttp.CodeIdempotencyKeyReused: {Status: http.StatusUnprocessableEntity, Code: codeUnprocessable},
	convhttp.CodeMethodNotAllowed:     {Status: http.StatusMethodNotAllowed, Code: codeMethodNotAllowed},
	convstore.ETOOLARGE:               {Status: http.StatusRequestEntityTooLarge, Code: codeTooLarge},
	convstore.ECONFLICT:               {Status: http.StatusConflict, Code: codeConflict},
	convstore.ERATELIMITED:            {Status: http.StatusTooManyRequests, Code: codeRateLimited},
	convstore.EUNAVAILABLE:            {Status: http.StatusServiceUnavailable, Code: codeUnavailable},
	convstore.ETIMEOUT:                {Status: http.StatusServiceUnavailable, Code: codeTimeout},
	convstore.EUNSUPPORTED:            {Status: http.StatusNotImplemented, Code: codeNotImplemented},
	convstore.EINTEGRITY:              {Status: http.StatusInternalServerError, Code: codeInternal},
	// A delete refused by a legal hold. Inkeep documents no 409; a 409
	// with its own code (the SDK's generic APIError, never retried) says
	// more than a 403 would.
	convstore.EHELD: {Status: http.StatusConflict, Code: codeLegalHold},
})

// newProblem builds the Inkeep problem for err.
func newProblem(r *http.Request, err error) *Problem {
	a := errorTable.Answer(err)
	if errors.As(err, new(errNotServed)) {
		a.Code = codeNotSupported
	}
	if a.Message == "" {
		a.Message = http.StatusText(a.Status) + "."
	}
	return &Problem{
		Title:     http.StatusText(a.Status),
		Status:    a.Status,
		Detail:    a.Message,
		Instance:  r.URL.EscapedPath(),
		RequestID: convhttp.RequestID(r.Context()),
		Code:      a.Code,
		Type:      ProblemType,
		Error:     ProblemError{Code: a.Code, Message: a.Message},
	}
}

// WriteError writes err as Inkeep's application/problem+json. A 401 also
// carries WWW-Authenticate: Bearer.
func (d *Door) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	p := newProblem(r, err)
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="inkeep"`)
	}
	body, _ := json.Marshal(p) // strings and ints always marshal
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", ContentTypeProblem)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// Errors of this door, with the one message each so that a missing and a
// foreign record answer alike.
func errConversationNotFound() error {
	return convstore.Errorf(convstore.ENOTFOUND, "Conversation not found.")
}

func errFeedbackNotFound() error { return convstore.Errorf(convstore.ENOTFOUND, "Feedback not found.") }

// badRequest is a 400 bad_request for a body that is not a JSON object or a
// malformed query parameter.
func badRequest(format string, args ...any) error {
	e := convstore.Errorf(convhttp.CodeInvalidJSON, format, args...)
	return e
}

// badParam is a 400 bad_request for a malformed query parameter.
func badParam(field, format string, args ...any) error {
	e := convstore.Errorf(convhttp.CodeInvalidParameter, format, args...)
	e.Field = field
	return e
}

// invalid is a 422 unprocessable_entity naming the field at fault.
func invalid(field, format string, args ...any) error {
	return convstore.Invalidf(field, format, args...)
}
