package botpress

import (
	"fmt"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	convhttp "github.com/convstore/convstore/http"
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

// kind is the status and type of one error code.
type kind struct {
	status int
	typ    string
}

// kinds maps domain and convhttp error codes to Botpress statuses and types.
// Botpress answers every invalid input with 400, so EINVALID (422 natively)
// is 400 InvalidPayload here; query problems are 400 InvalidQuery.
var kinds = map[string]kind{
	convstore.ENOTFOUND:     {http.StatusNotFound, typeResourceNotFound},
	convstore.EUNAUTHORIZED: {http.StatusUnauthorized, typeUnauthorized},
	convstore.EFORBIDDEN:    {http.StatusForbidden, typeForbidden},
	convstore.EINVALID:      {http.StatusBadRequest, typeInvalidPayload},
	api.CodeInvalidJSON:     {http.StatusBadRequest, typeInvalidPayload},
	// The SDK knows UnsupportedMediaType (415), though it always sends JSON.
	api.CodeUnsupportedMediaType: {http.StatusUnsupportedMediaType, typeUnsupportedMedia},
	api.CodeInvalidParameter:     {http.StatusBadRequest, typeInvalidQuery},
	convstore.ETOOLARGE:          {http.StatusRequestEntityTooLarge, typePayloadTooLarge},
	convstore.ECONFLICT:          {http.StatusConflict, typeAlreadyExists},
	convstore.ERATELIMITED:       {http.StatusTooManyRequests, typeRateLimited},
	api.CodeMethodNotAllowed:     {http.StatusMethodNotAllowed, typeMethodNotFound},
	// Botpress has no 501 or 503 type: Internal keeps the SDK's typed error.
	convstore.EUNSUPPORTED: {http.StatusNotImplemented, typeInternal},
	convstore.EUNAVAILABLE: {http.StatusServiceUnavailable, typeInternal},
	convstore.ETIMEOUT:     {http.StatusServiceUnavailable, typeInternal},
}

// newErrorBody returns the Botpress error body and status of err. Internal
// faults show only internalMessage.
func newErrorBody(err error) (int, errorBody) {
	code := convstore.ErrorCode(err)
	k, known := kinds[code]
	msg := convstore.ErrorMessage(err)
	switch {
	case convstore.IsMessageCapError(err):
		// A conversation full of messages is Botpress's LimitExceeded
		// (413, "a hard limit"), not the AlreadyExists of other conflicts.
		k = kind{http.StatusRequestEntityTooLarge, typeLimitExceeded}
	case !known:
		k, msg = kind{http.StatusInternalServerError, typeInternal}, internalMessage
	case code == convstore.EUNAVAILABLE:
		msg = unavailableMessage
	}
	return k.status, errorBody{ID: newErrorID(), Code: k.status, Type: k.typ, Message: msg}
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
	return &convstore.Error{Code: api.CodeInvalidParameter, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Not-found errors. Their messages never name the id, so an unknown id,
// another tenant's and another bot's answer byte for byte alike.
func conversationNotFound() error {
	return convstore.Errorf(convstore.ENOTFOUND, "Conversation not found.")
}

func messageNotFound() error {
	return convstore.Errorf(convstore.ENOTFOUND, "Message not found.")
}
