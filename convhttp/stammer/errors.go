package stammer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
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

// errorTable maps an error code to the door's status and machine code;
// the codes are DRF's where DRF has one.
var errorTable = convhttp.NewErrorTable("server_error", msgInternal, map[string]convhttp.ErrorKind{
	convstore.EINVALID:                {Status: http.StatusBadRequest, Code: "invalid"},
	convhttp.CodeIdempotencyKeyReused: {Status: http.StatusUnprocessableEntity, Code: "idempotency_key_reused"},
	convhttp.CodeInvalidParameter:     {Status: http.StatusBadRequest, Code: "invalid"},
	convhttp.CodeInvalidJSON:          {Status: http.StatusBadRequest, Code: "parse_error"},
	convhttp.CodeUnsupportedMediaType: {Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type"},
	convstore.EUNAUTHORIZED:           {Status: http.StatusUnauthorized, Code: "not_authenticated"},
	convstore.EFORBIDDEN:              {Status: http.StatusForbidden, Code: "permission_denied"},
	convstore.ENOTFOUND:               {Status: http.StatusNotFound, Code: "not_found"},
	convhttp.CodeMethodNotAllowed:     {Status: http.StatusMethodNotAllowed, Code: "method_not_allowed"},
	convstore.ECONFLICT:               {Status: http.StatusConflict, Code: "conflict"},
	convstore.ETOOLARGE:               {Status: http.StatusRequestEntityTooLarge, Code: "request_too_large"},
	convstore.ERATELIMITED:            {Status: http.StatusTooManyRequests, Code: "throttled"},
	convstore.EUNAVAILABLE:            {Status: http.StatusServiceUnavailable, Code: "service_unavailable"},
	convstore.ETIMEOUT:                {Status: http.StatusServiceUnavailable, Code: "timeout"},
	convstore.EUNSUPPORTED:            {Status: http.StatusNotImplemented, Code: "not_supported"},
	convstore.EINTEGRITY:              {Status: http.StatusInternalServerError, Code: "server_error"},
	// A delete refused by a legal hold: DRF's 409 with its own code.
	convstore.EHELD: {Status: http.StatusConflict, Code: "legal_hold"},
})

// WriteError writes err as an application/json error body with both
// "message" and "error" (and DRF's "detail"). A 500 never shows details.
func (d *Door) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	a := errorTable.Answer(err)
	if a.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Token")
	}
	body, _ := json.Marshal(wireError{ // strings only: always marshals
		Detail: a.Message, Message: a.Message, Error: a.Code, Field: a.Field, RequestID: convhttp.RequestID(r.Context()),
	})
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", convhttp.ContentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(a.Status)
	_, _ = w.Write(body)
}
