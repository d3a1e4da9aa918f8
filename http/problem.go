package convhttp

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
)

// internalMessage is the only detail a 500 ever shows.
const internalMessage = "Internal error."

// NewProblem returns the native RFC 9457 problem for err: the status from
// api.StatusForCode, the safe message as detail (always "Internal error."
// for a 500), the field at fault and the request's path and id.
func NewProblem(r *http.Request, err error) *api.Problem {
	code := convstore.ErrorCode(err)
	status := api.StatusForCode(code)
	detail := convstore.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		code, detail = convstore.EINTERNAL, internalMessage
	}
	return &api.Problem{
		Type:      api.ProblemTypeBase + code,
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.EscapedPath(),
		Code:      code,
		Field:     convstore.ErrorField(err),
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
