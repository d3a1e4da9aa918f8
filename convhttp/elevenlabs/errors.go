package elevenlabs

import (
	"errors"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// Error statuses (detail.status) of this door. ElevenLabs names its
// statuses <thing>_<problem> ("voice_not_found", "invalid_api_key").
const (
	statusInvalidAPIKey        = "invalid_api_key"
	statusMissingPermissions   = "missing_permissions"
	statusConversationNotFound = "conversation_not_found"
	statusAudioNotFound        = "audio_not_found"
	statusFileNotFound         = "file_not_found"
	statusNotFound             = "not_found"
	statusMethodNotAllowed     = "method_not_allowed"
	statusUnsupportedMedia     = "unsupported_media_type"
	statusTooLarge             = "payload_too_large"
	statusConflict             = "conflict"
	statusLegalHold            = "conversation_on_legal_hold" // a delete refused by a legal hold (409)
	statusRateLimited          = "too_many_requests"
	statusUnavailable          = "service_unavailable"
	statusTimeout              = "timeout"
	statusNotImplemented       = "not_implemented"
	statusInternal             = "internal_error"
)

// Sentinel errors of the handlers. They are *convstore.Error values, so
// the server classifies them by code; WriteError recognizes them by
// identity to pick their ElevenLabs status.
var (
	// errConversationNotFound answers unknown, foreign and malformed ids
	// alike; the message never repeats the id, so all three are identical.
	errConversationNotFound = &convstore.Error{Code: convstore.ENOTFOUND,
		Message: "A conversation with the given conversation_id was not found."}
	// errAudioNotFound answers a conversation without an audio attachment.
	errAudioNotFound = &convstore.Error{Code: convstore.ENOTFOUND,
		Message: "This conversation has no audio."}
)

// notFound turns a store ENOTFOUND into the conversation not-found answer
// and passes every other error through.
func notFound(err error) error {
	if convstore.ErrorCode(err) == convstore.ENOTFOUND {
		return errConversationNotFound
	}
	return err
}

// detail is the body of every non-422 error: {"detail":{"status","message"}}.
type detail struct {
	Detail detailBody `json:"detail"`
}

type detailBody struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// kindValidation marks the codes answered with FastAPI's 422 list.
const kindValidation = "value_error"

// errorTable maps error codes to the door's statuses (detail.status). Any
// validation failure not raised by the query parser still gets FastAPI's
// list shape (kindValidation).
var errorTable = convhttp.NewErrorTable(statusInternal, "Internal error.", map[string]convhttp.ErrorKind{
	// ElevenLabs' one answer to a bad key; a missing key gets it too.
	convstore.EUNAUTHORIZED: {Status: http.StatusUnauthorized, Code: statusInvalidAPIKey},
	// ElevenLabs answers a key without the permission with 401.
	convstore.EFORBIDDEN:              {Status: http.StatusUnauthorized, Code: statusMissingPermissions},
	convstore.ENOTFOUND:               {Status: http.StatusNotFound, Code: statusNotFound},
	convstore.EINVALID:                {Status: http.StatusUnprocessableEntity, Code: kindValidation},
	convhttp.CodeInvalidJSON:          {Status: http.StatusUnprocessableEntity, Code: kindValidation},
	convhttp.CodeInvalidParameter:     {Status: http.StatusUnprocessableEntity, Code: kindValidation},
	convhttp.CodeIdempotencyKeyReused: {Status: http.StatusUnprocessableEntity, Code: kindValidation},
	convhttp.CodeUnsupportedMediaType: {Status: http.StatusUnsupportedMediaType, Code: statusUnsupportedMedia},
	convhttp.CodeMethodNotAllowed:     {Status: http.StatusMethodNotAllowed, Code: statusMethodNotAllowed},
	convstore.ETOOLARGE:               {Status: http.StatusRequestEntityTooLarge, Code: statusTooLarge},
	convstore.ECONFLICT:               {Status: http.StatusConflict, Code: statusConflict},
	convstore.ERATELIMITED:            {Status: http.StatusTooManyRequests, Code: statusRateLimited},
	convstore.EUNAVAILABLE:            {Status: http.StatusServiceUnavailable, Code: statusUnavailable},
	convstore.ETIMEOUT:                {Status: http.StatusServiceUnavailable, Code: statusTimeout},
	convstore.EUNSUPPORTED:            {Status: http.StatusNotImplemented, Code: statusNotImplemented},
	convstore.EINTEGRITY:              {Status: http.StatusInternalServerError, Code: statusInternal},
	convstore.EHELD:                   {Status: http.StatusConflict, Code: statusLegalHold},
})

// WriteError writes err in ElevenLabs' format: 422 bodies are FastAPI
// validation lists, everything else {"detail":{"status","message"}}, all
// as application/json. A 500 never shows internal details.
func (d *Door) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	h := w.Header()
	h.Del("Content-Disposition")
	h.Del("Content-Length")
	var ve *validationError
	if errors.As(err, &ve) {
		_ = convhttp.WriteJSON(w, http.StatusUnprocessableEntity, ve.body())
		return
	}
	a := errorTable.Answer(err)
	switch {
	case errors.Is(err, errConversationNotFound):
		a.Code = statusConversationNotFound
	case errors.Is(err, errAudioNotFound):
		a.Code = statusAudioNotFound
	case errors.Is(err, errFileNotFound):
		a.Code = statusFileNotFound
	case errors.Is(err, errTagNotFound):
		a.Code = statusTagNotFound
	case errors.As(err, new(errNotSupported)):
		a.Code = statusNotSupported
	case a.Code == statusInvalidAPIKey:
		a.Message = "Invalid API key"
	case a.Code == kindValidation:
		loc := []any{"body"}
		if a.Field != "" {
			loc = []any{"query", a.Field}
		}
		_ = convhttp.WriteJSON(w, a.Status, validationBody{Detail: []validationItem{{Type: kindValidation, Loc: loc, Msg: a.Message}}})
		return
	}
	_ = convhttp.WriteJSON(w, a.Status, detail{Detail: detailBody{Status: a.Code, Message: a.Message}})
}
