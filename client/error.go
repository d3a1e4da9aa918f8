package client

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	"github.com/convstore/convstore/convhttp"
)

// RequestIDHeader is the response header that carries the server's request
// id, used when an error body does not carry it.
const RequestIDHeader = "X-Request-Id"

// Error is the error of a call the server answered with a non-2xx status.
// It unwraps to the domain error, and errors.As with a **api.Problem target
// yields the problem body with status and request id.
type Error struct {
	// Problem is the server's problem body, or one made from the status
	// when the body was not problem+json.
	Problem *api.Problem

	// Err is the domain error the problem maps to: Code from the wire code
	// (convhttp.DomainCode), Message from the detail, Field from the wire's
	// (api.DomainField).
	Err *convstore.Error
}

// Error returns the detail with status, code, field and request id.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("convstore: ")
	b.WriteString(e.Err.Message)
	fmt.Fprintf(&b, " (status %d, code %s", e.Problem.Status, e.Problem.Code)
	if e.Problem.Field != "" {
		fmt.Fprintf(&b, ", field %s", e.Problem.Field)
	}
	if e.Problem.RequestID != "" {
		fmt.Fprintf(&b, ", request id %s", e.Problem.RequestID)
	}
	b.WriteString(")")
	return b.String()
}

// Unwrap returns the domain error, so that convstore.ErrorCode and
// errors.As(err, **convstore.Error) see it.
func (e *Error) Unwrap() error { return e.Err }

// As sets a **api.Problem target to the problem body.
func (e *Error) As(target any) bool {
	if p, ok := target.(**api.Problem); ok {
		*p = e.Problem
		return true
	}
	return false
}

// Status returns the HTTP status of the failed call.
func (e *Error) Status() int { return e.Problem.Status }

// RequestID returns the server's request id of the failed call, or "".
func (e *Error) RequestID() string { return e.Problem.RequestID }

// errorFromResponse reads a non-2xx response into an *Error.
func errorFromResponse(resp *http.Response) *Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	p := &api.Problem{}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	isProblem := (mt == api.ContentTypeProblem || mt == "application/json") &&
		json.Unmarshal(body, p) == nil && p.Code != ""
	if !isProblem {
		p = &api.Problem{
			Title:  http.StatusText(resp.StatusCode),
			Detail: nonProblemDetail(resp.StatusCode, body),
			Code:   api.CodeForStatus(resp.StatusCode),
		}
	}
	if p.Status == 0 {
		p.Status = resp.StatusCode
	}
	if p.RequestID == "" {
		p.RequestID = resp.Header.Get(RequestIDHeader)
	}
	if p.Detail == "" {
		p.Detail = p.Title
	}
	if p.Detail == "" {
		p.Detail = nonProblemDetail(resp.StatusCode, nil)
	}
	return &Error{
		Problem: p,
		Err:     &convstore.Error{Code: convhttp.DomainCode(p.Code), Message: p.Detail, Field: api.DomainField(p.Field)},
	}
}

// nonProblemDetail makes a message of a body that is not problem+json: its
// first line if it is short printable text, else the status text.
func nonProblemDetail(status int, body []byte) string {
	s := strings.TrimSpace(string(body))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if s == "" || len(s) > 200 || strings.HasPrefix(s, "<") || strings.ContainsFunc(s, func(r rune) bool { return r < ' ' && r != '\t' }) {
		if t := http.StatusText(status); t != "" {
			return t
		}
		return fmt.Sprintf("HTTP status %d", status)
	}
	return s
}
