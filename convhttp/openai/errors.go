package openai

import (
	"fmt"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// OpenAI error types (the "type" member). The SDKs choose their typed
// errors by status alone (400 BadRequestError, 401 AuthenticationError,
// 403 PermissionDeniedError, 404 NotFoundError, 409 ConflictError, 422
// UnprocessableEntityError, 429 RateLimitError, ≥ 500
// InternalServerError) and read message, type, param and code from the
// "error" member.
const (
	typeInvalidRequest = "invalid_request_error"
	typeRequests       = "requests" // OpenAI's type of a request-rate 429
	typeServer         = "server_error"
)

// Messages of errors whose domain message is not shown.
const (
	internalMessage    = "The server had an error while processing your request."
	unavailableMessage = "The server is temporarily unavailable; retry later."
)

// errorBody is OpenAI's error format: {"error":{"message","type","param","code"}}.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

// errorTable maps domain and convhttp error codes to OpenAI statuses and
// types. Every invalid input is 400 invalid_request_error, as OpenAI
// answers it (EINVALID is 422 natively).
var errorTable = convhttp.NewErrorTable(typeServer, internalMessage, map[string]convhttp.ErrorKind{
	convstore.ENOTFOUND:               {Status: http.StatusNotFound, Code: typeInvalidRequest},
	convhttp.CodeIdempotencyKeyReused: {Status: http.StatusUnprocessableEntity, Code: typeInvalidRequest},
	convstore.EUNAUTHORIZED:           {Status: http.StatusUnauthorized, Code: typeInvalidRequest},
	convstore.EFORBIDDEN:              {Status: http.StatusForbidden, Code: typeInvalidRequest},
	convstore.EINVALID:                {Status: http.StatusBadRequest, Code: typeInvalidRequest},
	convhttp.CodeInvalidJSON:          {Status: http.StatusBadRequest, Code: typeInvalidRequest},
	convhttp.CodeInvalidParameter:     {Status: http.StatusBadRequest, Code: typeInvalidRequest},
	convhttp.CodeUnsupportedMediaType: {Status: http.StatusUnsupportedMediaType, Code: typeInvalidRequest},
	convstore.ETOOLARGE:               {Status: http.StatusRequestEntityTooLarge, Code: typeInvalidRequest},
	convstore.ECONFLICT:               {Status: http.StatusConflict, Code: typeInvalidRequest},
	convstore.ERATELIMITED:            {Status: http.StatusTooManyRequests, Code: typeRequests},
	convhttp.CodeMethodNotAllowed:     {Status: http.StatusMethodNotAllowed, Code: typeInvalidRequest},
	convstore.EUNSUPPORTED:            {Status: http.StatusNotImplemented, Code: typeInvalidRequest},
	convstore.EINTEGRITY:              {Status: http.StatusInternalServerError, Code: typeServer},
	convstore.EUNAVAILABLE:            {Status: http.StatusServiceUnavailable, Code: typeServer},
	convstore.ETIMEOUT:                {Status: http.StatusServiceUnavailable, Code: typeServer},
	// A delete refused by a legal hold: 409, with x-should-retry: false so
	// that the SDKs, which retry 409s, raise ConflictError at once.
	convstore.EHELD: {Status: http.StatusConflict, Code: typeInvalidRequest},
})

// errorCodes are the "code" members of errors that have one; the others
// are null, as OpenAI's invalid_request_errors mostly are.
var errorCodes = map[string]string{
	convstore.EUNAUTHORIZED:           "invalid_api_key",
	convstore.EFORBIDDEN:              "insufficient_permissions",
	convstore.ERATELIMITED:            "rate_limit_exceeded",
	convstore.EHELD:                   "conversation_on_legal_hold",
	convstore.ETOOLARGE:               "request_too_large",
	convhttp.CodeInvalidJSON:          "invalid_json",
	convhttp.CodeUnsupportedMediaType: "unsupported_media_type",
	convhttp.CodeIdempotencyKeyReused: "idempotency_key_reused",
	convhttp.CodeMethodNotAllowed:     "method_not_allowed",
}

// newErrorBody returns the OpenAI error body and status of err. Internal
// faults show only internalMessage.
func newErrorBody(err error) (int, errorBody) {
	a := errorTable.Answer(err)
	code := errorCodes[convstore.ErrorCode(err)]
	switch {
	case a.Internal:
		code = ""
	case convstore.IsMessageCapError(err):
		// A conversation full of items is a 400: a 409 would be retried
		// by the SDKs to no end.
		a.ErrorKind = convhttp.ErrorKind{Status: http.StatusBadRequest, Code: typeInvalidRequest}
		code = "conversation_item_limit_reached"
	case convstore.ErrorCode(err) == convstore.EUNAVAILABLE:
		a.Message = unavailableMessage
	}
	body := errorBody{Error: errorDetail{Message: a.Message, Type: a.Code}}
	if a.Field != "" && !a.Internal {
		body.Error.Param = &a.Field
	}
	if code != "" {
		body.Error.Code = &code
	}
	return a.Status, body
}

// WriteError writes err as an OpenAI error body with Content-Type
// application/json. A 401 also carries WWW-Authenticate: Bearer; a 409
// of a legal hold carries x-should-retry: false.
func (d *Door) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := newErrorBody(err)
	switch {
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="convstore"`)
	case convstore.ErrorCode(err) == convstore.EHELD:
		w.Header().Set("x-should-retry", "false")
	}
	// An errorBody of strings always marshals.
	_ = convhttp.WriteJSON(w, status, body)
}

// invalid returns a 400 invalid_request_error naming param.
func invalid(param, format string, args ...any) error {
	return convstore.Invalidf(param, format, args...)
}

// invalidQuery returns a 400 invalid_request_error naming a query
// parameter.
func invalidQuery(param, format string, args ...any) error {
	return &convstore.Error{Code: convhttp.CodeInvalidParameter, Field: param, Message: fmt.Sprintf(format, args...)}
}

// Not-found errors. Their messages never name the id, so an unknown id,
// a malformed one and another tenant's answer byte for byte alike.
var (
	errConversationNotFound = &convstore.Error{Code: convstore.ENOTFOUND, Message: "Conversation not found."}
	errItemNotFound         = &convstore.Error{Code: convstore.ENOTFOUND, Message: "Conversation item not found."}
)

// conversationGone turns a store ENOTFOUND into the conversation
// not-found answer and passes every other error through.
func conversationGone(err error) error {
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return errConversationNotFound
	}
	return err
}
