package stammer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	convhttp "github.com/convstore/convstore/http"
)

// Messages of the errors whose text must not vary.
const (
	msgConversationNotFound = "Conversation not found."
	msgInternal             = "Internal error."
)

// errConversationNotFound is the one answer for an unknown, foreign or
// malformed conversation uuid, so they cannot be told apart.
func errConversationNotFound() error {
	return convstore.Errorf(convstore.ENOTFOUND, msgConversationNotFound)
}

// invalid returns a 400 validation error for a body field or query
// parameter, phrased like Django REST framework's field errors.
func invalid(field, format string, args ...any) error {
	return &convstore.Error{Code: convstore.EINVALID, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// wireError is every error body: DRF's "detail" plus the "message" and
// "error" keys Stammer's own samples read (body.message, else body.error).
type wireError struct {
	Detail    string `json:"detail"`
	Message   string `json:"message"`
	Error     string `json:"error"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// errorKind maps an error code to the door's status and machine code; the
// codes are DRF's where DRF has one.
func errorKind(code string) (int, string) {
	switch code {
	case convstore.EINVALID, api.CodeInvalidParameter:
		return http.StatusBadRequest, "invalid"
	case api.CodeInvalidJSON:
		return http.StatusBadRequest, "parse_error"
	case api.CodeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType, "unsupported_media_type"
	case convstore.EUNAUTHORIZED:
		return http.StatusUnauthorized, "not_authenticated"
	case convstore.EFORBIDDEN:
		return http.StatusForbidden, "permission_denied"
	case convstore.ENOTFOUND:
		return http.StatusNotFound, "not_found"
	case api.CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed, "method_not_allowed"
	case convstore.ECONFLICT:
		return http.StatusConflict, "conflict"
	case convstore.ETOOLARGE:
		return http.StatusRequestEntityTooLarge, "request_too_large"
	case convstore.ERATELIMITED:
		return http.StatusTooManyRequests, "throttled"
	case convstore.EUNAVAILABLE:
		return http.StatusServiceUnavailable, "service_unavailable"
	case convstore.ETIMEOUT:
		return http.StatusServiceUnavailable, "timeout"
	case convstore.EUNSUPPORTED:
		return http.StatusNotImplemented, "not_supported"
	}
	return http.StatusInternalServerError, "server_error"
}

// WriteError writes err as an application/json error body with both
// "message" and "error" (and DRF's "detail"). A 500 never shows details.
func (d *Door) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := errorKind(convstore.ErrorCode(err))
	msg, field := convstore.ErrorMessage(err), convstore.ErrorField(err)
	if status == http.StatusInternalServerError {
		msg, field = msgInternal, ""
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Token")
	}
	body, _ := json.Marshal(wireError{ // strings only: always marshals
		Detail: msg, Message: msg, Error: code, Field: field, RequestID: convhttp.RequestID(r.Context()),
	})
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", convhttp.ContentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
