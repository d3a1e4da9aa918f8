package inkeep

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	convhttp "github.com/convstore/convstore/http"
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
	codeRateLimited      = "too_many_requests"
	codeUnavailable      = "service_unavailable"
	codeTimeout          = "timeout"
	codeNotImplemented   = "not_implemented"
)

// statusOf maps a domain or wire error code to the HTTP status and Inkeep
// code.
func statusOf(code string) (int, string) {
	switch code {
	case api.CodeInvalidJSON, api.CodeInvalidParameter:
		return http.StatusBadRequest, codeBadRequest
	case api.CodeUnsupportedMediaType:
		// Inkeep documents no 415: a wrong Content-Type is one of its
		// 400s, which the SDK turns into its typed BadRequest.
		return http.StatusBadRequest, codeBadRequest
	case convstore.EUNAUTHORIZED:
		return http.StatusUnauthorized, codeUnauthorized
	case convstore.EFORBIDDEN:
		return http.StatusForbidden, codeForbidden
	case convstore.ENOTFOUND:
		return http.StatusNotFound, codeNotFound
	case convstore.EINVALID:
		return http.StatusUnprocessableEntity, codeUnprocessable
	case api.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed, codeMethodNotAllowed
	case convstore.ETOOLARGE:
		return http.StatusRequestEntityTooLarge, codeTooLarge
	case convstore.ECONFLICT:
		return http.StatusConflict, codeConflict
	case convstore.ERATELIMITED:
		return http.StatusTooManyRequests, codeRateLimited
	case convstore.EUNAVAILABLE:
		return http.StatusServiceUnavailable, codeUnavailable
	case convstore.ETIMEOUT:
		return http.StatusServiceUnavailable, codeTimeout
	case convstore.EUNSUPPORTED:
		return http.StatusNotImplemented, codeNotImplemented
	}
	return http.StatusInternalServerError, codeInternal
}

// newProblem builds the Inkeep problem for err.
func newProblem(r *http.Request, err error) *Problem {
	status, code := statusOf(convstore.ErrorCode(err))
	detail := convstore.ErrorMessage(err)
	if status == http.StatusInternalServerError || detail == "" {
		detail = internalDetail
		if status != http.StatusInternalServerError {
			detail = http.StatusText(status) + "."
		}
	}
	return &Problem{
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.EscapedPath(),
		RequestID: convhttp.RequestID(r.Context()),
		Code:      code,
		Type:      ProblemType,
		Error:     ProblemError{Code: code, Message: detail},
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
	e := convstore.Errorf(api.CodeInvalidJSON, format, args...)
	return e
}

// badParam is a 400 bad_request for a malformed query parameter.
func badParam(field, format string, args ...any) error {
	e := convstore.Errorf(api.CodeInvalidParameter, format, args...)
	e.Field = field
	return e
}

// invalid is a 422 unprocessable_entity naming the field at fault.
func invalid(field, format string, args ...any) error {
	return convstore.Invalidf(field, format, args...)
}
