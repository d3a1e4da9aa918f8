package symbl

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Fixed messages of the door's errors.
const (
	msgConversationNotFound = "The conversationId is either invalid or does not exist."
	msgJobNotFound          = "The jobId is either invalid or does not exist."
	msgUnauthorized         = "Unauthorized. Please generate a new access token."
	msgBadCredentials       = "Unauthorized: invalid appId or appSecret."
	msgInternal             = "Internal error."
)

// errorBody is Symbl's error format. statusCode appears only on 429, as in
// Symbl's documented rate-limit answer.
type errorBody struct {
	StatusCode int    `json:"statusCode,omitempty"`
	Message    string `json:"message"`
}

// errConversationNotFound is the one answer for a missing, foreign,
// deleted or malformed conversation id on every conversation route.
func errConversationNotFound() error {
	return convstore.Errorf(convstore.ENOTFOUND, msgConversationNotFound)
}

// notFoundAs turns the store's ENOTFOUND into the door's conversation
// not-found, leaving other errors as they are.
func notFoundAs(err error) error {
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return errConversationNotFound()
	}
	return err
}

// badRequest returns a 400 with a Joi-style message, the style of Symbl's
// documented validation errors (`"description" is not allowed to be empty`).
func badRequest(format string, args ...any) error {
	return &convstore.Error{Code: convhttp.CodeInvalidParameter, Message: fmt.Sprintf(format, args...)}
}

// errorTable maps an error code to Symbl's status (Symbl's body has no
// code): every validation error is 400 (Symbl documents no 422), and so is
// a body without a JSON Content-Type (Symbl documents the header as
// mandatory, and no 415). A delete refused by a legal hold is a 409 whose
// message names the hold (Symbl's body has no code).
var errorTable = convhttp.NewErrorTable("", msgInternal, map[string]convhttp.ErrorKind{
	convstore.EINVALID:                {Status: http.StatusBadRequest},
	convhttp.CodeIdempotencyKeyReused: {Status: http.StatusUnprocessableEntity},
	convhttp.CodeInvalidJSON:          {Status: http.StatusBadRequest},
	convhttp.CodeInvalidParameter:     {Status: http.StatusBadRequest},
	convhttp.CodeUnsupportedMediaType: {Status: http.StatusBadRequest},
	convstore.ENOTFOUND:               {Status: http.StatusNotFound},
	convstore.ECONFLICT:               {Status: http.StatusConflict},
	convstore.EUNAUTHORIZED:           {Status: http.StatusUnauthorized},
	convstore.EFORBIDDEN:              {Status: http.StatusForbidden},
	convstore.ETOOLARGE:               {Status: http.StatusRequestEntityTooLarge},
	convstore.EUNAVAILABLE:            {Status: http.StatusServiceUnavailable},
	convstore.ETIMEOUT:                {Status: http.StatusServiceUnavailable},
	convstore.ERATELIMITED:            {Status: http.StatusTooManyRequests},
	convstore.EUNSUPPORTED:            {Status: http.StatusNotImplemented},
	convstore.EINTEGRITY:              {Status: http.StatusInternalServerError},
	convstore.EHELD:                   {Status: http.StatusConflict},
	convhttp.CodeMethodNotAllowed:     {Status: http.StatusMethodNotAllowed},
})

// WriteError writes err as Symbl's {"message": …} with application/json.
// A 500 shows only "Internal error."; a 401 carries WWW-Authenticate.
func (d *Door) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	a := errorTable.Answer(err)
	status, b := a.Status, errorBody{Message: a.Message}
	switch status {
	case http.StatusUnauthorized:
		if b.Message == convhttp.UnauthorizedMessage {
			b.Message = msgUnauthorized
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="symbl"`)
	case http.StatusTooManyRequests:
		b.StatusCode = status
	}
	body, _ := json.Marshal(b) // strings and an int always marshal
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", convhttp.ContentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// bodyRules decode bodies leniently: unknown fields are ignored, as
// Symbl's SDKs send options this door does not use, but syntax errors, a
// null body, repeated keys, case variants of the fields the door reads,
// wrong types and trailing data are 400s, and so is a body without Symbl's
// mandatory Content-Type: application/json (Server.ReadBody).
var bodyRules = &convhttp.BodyRules{Wrap: bodyError}

// bodyError phrases a decoding failure as Joi does.
func bodyError(e *convhttp.BodyError) error {
	switch e.Kind {
	case convhttp.BodyWrongType:
		return badRequest("%q must be %s", e.Field, kindName(e.Type.Kind().String()))
	case convhttp.BodyNotObject:
		return badRequest("The request body must be a JSON object")
	case convhttp.BodySyntax:
		return badRequest("The request body is not valid JSON (at byte %d)", e.Offset)
	case convhttp.BodyTrailing:
		return badRequest("The request body must hold a single JSON object")
	}
	return badRequest("The request body is not valid JSON")
}

// decodeBody reads the body (size-limited by the server) and decodes one
// JSON value into dst by bodyRules.
func (d *Door) decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	return d.srv.ReadJSON(w, r, bodyRules, dst)
}

// kindName names a Go kind in JSON terms.
func kindName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	case "float64", "float32", "int", "int64":
		return "a number"
	}
	return "an object"
}
