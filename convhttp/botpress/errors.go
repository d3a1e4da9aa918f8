package botpress

import (
	"fmt"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Botpress error types (the "type" member), from the SDK's generated
// errors.ts. The SDK turns a body with a known type into the matching error
// class; any other body becomes an UnknownError with code 500.
const (
	typeInternal         = "Internal"
	typeUnauthorized     = "Unauthorized"
	typeForbidden        = "Forbidden"
	typePayloadTooLarge  = "PayloadTooLarge"
	typeInvalidPayload   = "InvalidPayload"
	typeUnsupportedMedia = "UnsupportedMediaType"
	typeMethodNotFound   = "MethodNotFound"
	typeResourceNotFound = "ResourceNotFound"
	typeInvalidQuery     = "InvalidQuery"
	typeAlreadyExists    = "AlreadyExists"
	typeResourceLocked   = "ResourceLockedConflict"
	typeRateLimited      = "RateLimited"
	typeLimitExceeded    = "LimitExceeded"
)

// Messages of errors whose domain message is not shown.
const (
	internalMessage    = "An internal error occurred."
	unavailableMessage = "The service is temporarily unavailable; retry later."
)

// errorBody is Botpress's error format: {"id","code","type","message"}.
type errorBody struct {
	ID      string `json:"id"`
	Code    int    `json:"code"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// errorTable maps domain and convhttp error codes to Botpress statuses and
// types. Botpress answers every invalid input with 400, so EINVALID (422
// natively) is 400 InvalidPayload here; query problems are 400
// InvalidQuery.
var errorTable = convhttp.NewErrorTable(typeInternal, internalMessage, map[string]convhttp.ErrorKind{
	convstore.ENOTFOUND: {Status: http.StatusNotFound, Code: typeResourceNotFound},
	// The one 422 here (the IETF draft's status); InvalidPayload keeps the
	// SDK's typed error.
	convhttp.CodeIdempotencyKeyReused: {Status: http.StatusUnprocessableEntity, Code: typeInvalidPayload},
	convstore.EUNAUTHORIZED:           {Status: http.StatusUnauthorized, Code: typeUnauthorized},
	convstore.EFORBIDDEN:              {Status: http.StatusForbidden, Code: typeForbidden},
	convstore.EINVALID:                {Status: http.StatusBadRequest, Code: typeInvalidPayload},
	convhttp.CodeInvalidJSON:          {Status: http.StatusBadRequest, Code: typeInvalidPayload},
	convhttp.CodeInvalidParameter:     {Status: http.StatusBadRequest, Code: typeInvalidQuery},
	// The SDK knows UnsupportedMediaType (415), though it always sends JSON.
	convhttp.CodeUnsupportedMediaType: {Status: http.StatusUnsupportedMediaType, Code: typeUnsupportedMedia},
	convstore.ETOOLARGE:               {Status: http.StatusRequestEntityTooLarge, Code: typePayloadTooLarge},
	convstore.ECONFLICT:               {Status: http.StatusConflict, Code: typeAlreadyExists},
	convstore.ERATELIMITED:            {Status: http.StatusTooManyRequests, Code: typeRateLimited},
	convhttp.CodeMethodNotAllowed:     {Status: http.StatusMethodNotAllowed, Code: typeMethodNotFound},
	// Botpress has no 501 or 503 type: Internal keeps the SDK's typed error.
	convstore.EUNSUPPORTED: {Status: http.StatusNotImplemented, Code: typeInternal},
	convstore.EINTEGRITY:   {Status: http.StatusInternalServerError, Code: typeInternal},
	convstore.EUNAVAILABLE: {Status: http.StatusServiceUnavailable, Code: typeInternal},
	convstore.ETIMEOUT:     {Status: http.StatusServiceUnavailable, Code: typeInternal},
	// A delete refused by a legal hold: the SDK's ResourceLockedConflict
	// (409), "locked and cannot be operated on until the lock is released".
	convstore.EHELD: {Status: http.StatusConflict, Code: typeResourceLocked},
})

// newErrorBody returns the Botpress error body and status of err. Internal
// faults show only internalMessage.
func newErrorBody(err error) (int, errorBody) {
	a := errorTable.Answer(err)
	switch {
	case convstore.IsMessageCapError(err):
		// A conversation full of messages is Botpress's LimitExceeded
		// (413, "a hard limit"), not the AlreadyExists of other conflicts.
		a.ErrorKind = convhttp.ErrorKind{Status: http.StatusRequestEntityTooLarge, Code: typeLimitExceeded}
	case convstore.ErrorCode(err) == convstore.EUNAVAILABLE:
		a.Message = unavailableMessage
	}
	return a.Status, errorBody{ID: newErrorID(), Code: a.Status, Type: a.Code, Message: a.Message}
}

// newErrorID returns a unique error id in Botpress's "err_…" form.
func newErrorID() string { return "err_" + convstore.NewID().Base32() }

// WriteError writes err as a Botpress error body with Content-Type
// application/json. A 401 also carries WWW-Authenticate: Bearer.
func (d *Door) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := newErrorBody(err)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="convstore"`)
	}
	// An errorBody of strings and ints always marshals.
	_ = convhttp.WriteJSON(w, status, body)
}

// invalid returns a 400 InvalidPayload error.
func invalid(field, format string, args ...any) error {
	return convstore.Invalidf(field, format, args...)
}

// invalidQuery returns a 400 InvalidQuery error naming a query parameter.
func invalidQuery(field, format string, args ...any) error {
	return &convstore.Error{Code: convhttp.CodeInvalidParameter, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Not-found errors. Their messages never name the id, so an unknown id,
// another tenant's and another bot's answer byte for byte alike.
func conversationNotFound() error {
	return convstore.Errorf(convstore.ENOTFOUND, "Conversation not found.")
}

func messageNotFound() error {
	return convstore.Errorf(convstore.ENOTFOUND, "Message not found.")
}
