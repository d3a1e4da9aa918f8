package convhttp

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// internalMessage is the only detail a native 500 ever shows.
const internalMessage = "Internal error."

// ProblemErrors is the native door's error table: the problem's code
// member is the error code itself. A domain EINVALID is 422 (the request
// was understood but its content is wrong); the shared wire codes are 400
// (malformed), 405 and 415. A delete refused by a legal hold (EHELD) is
// 409, not WebDAV's 423 Locked: 423 promises a lock the client can name in
// an If header to lift, and generic clients know it less; the code "held"
// tells it apart from other conflicts.
var ProblemErrors = NewErrorTable(convstore.EINTERNAL, internalMessage, map[string]ErrorKind{
	convstore.EINVALID:       {http.StatusUnprocessableEntity, convstore.EINVALID},
	convstore.ENOTFOUND:      {http.StatusNotFound, convstore.ENOTFOUND},
	convstore.ECONFLICT:      {http.StatusConflict, convstore.ECONFLICT},
	convstore.EUNAUTHORIZED:  {http.StatusUnauthorized, convstore.EUNAUTHORIZED},
	convstore.EFORBIDDEN:     {http.StatusForbidden, convstore.EFORBIDDEN},
	convstore.ETOOLARGE:      {http.StatusRequestEntityTooLarge, convstore.ETOOLARGE},
	convstore.EUNAVAILABLE:   {http.StatusServiceUnavailable, convstore.EUNAVAILABLE},
	convstore.ETIMEOUT:       {http.StatusServiceUnavailable, convstore.ETIMEOUT},
	convstore.ERATELIMITED:   {http.StatusTooManyRequests, convstore.ERATELIMITED},
	convstore.EUNSUPPORTED:   {http.StatusNotImplemented, convstore.EUNSUPPORTED},
	convstore.EINTEGRITY:     {http.StatusInternalServerError, convstore.EINTEGRITY},
	convstore.EHELD:          {http.StatusConflict, convstore.EHELD},
	CodeInvalidJSON:          {http.StatusBadRequest, CodeInvalidJSON},
	CodeInvalidParameter:     {http.StatusBadRequest, CodeInvalidParameter},
	CodeMethodNotAllowed:     {http.StatusMethodNotAllowed, CodeMethodNotAllowed},
	CodeUnsupportedMediaType: {http.StatusUnsupportedMediaType, CodeUnsupportedMediaType},
	CodeIdempotencyKeyReused: {http.StatusUnprocessableEntity, CodeIdempotencyKeyReused},
})

// NewProblem returns the native RFC 9457 problem for err: status and code
// from ProblemErrors, the safe message as detail (always "Internal error."
// for a 500), the field at fault and the request's path and id.
func NewProblem(r *http.Request, err error) *api.Problem {
	a := ProblemErrors.Answer(err)
	return &api.Problem{
		Type:      api.ProblemTypeBase + a.Code,
		Title:     http.StatusText(a.Status),
		Status:    a.Status,
		Detail:    a.Message,
		Instance:  r.URL.EscapedPath(),
		Code:      a.Code,
		Field:     a.Field,
		RequestID: RequestID(r.Context()),
	}
}

// WriteProblem writes err as an application/problem+json body: the native
// door's error format, also used by the probes. A 401 carries
// WWW-Authenticate: Bearer. The caller logs internal faults.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := NewProblem(r, err)
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="convstore"`)
	}
	body, _ := json.Marshal(p) // a Problem of strings and ints always marshals
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", api.ContentTypeProblem)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Del("ETag")
	h.Del("Content-Disposition")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}
