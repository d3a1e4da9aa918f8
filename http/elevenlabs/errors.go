package elevenlabs

import (
	"errors"
	"net/http"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/api"
	convhttp "github.com/convstore/convstore/http"
)

// Error statuses (detail.status) of this door. ElevenLabs names its
// statuses <thing>_<problem> ("voice_not_found", "invalid_api_key").
const (
	statusInvalidAPIKey        = "invalid_api_key"
	statusMissingPermissions   = "missing_permissions"
	statusConversationNotFound = "conversation_not_found"
	statusAudioNotFound        = "audio_not_found"
	statusNotFound             = "not_found"
	statusMethodNotAllowed     = "method_not_allowed"
	statusTooLarge             = "payload_too_large"
	statusConflict             = "conflict"
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
	code := convstore.ErrorCode(err)
	status := api.StatusForCode(code)
	msg := convstore.ErrorMessage(err)
	var s string
	switch {
	case errors.Is(err, errConversationNotFound):
		s = statusConversationNotFound
	case errors.Is(err, errAudioNotFound):
		s = statusAudioNotFound
	default:
		switch code {
		case convstore.EUNAUTHORIZED:
			// ElevenLabs' one answer to a bad key; a missing key gets it too.
			s, msg = statusInvalidAPIKey, "Invalid API key"
		case convstore.EFORBIDDEN:
			// ElevenLabs answers a key without the permission with 401.
			s, status = statusMissingPermissions, http.StatusUnauthorized
		case convstore.ENOTFOUND:
			s = statusNotFound
		case convstore.EINVALID, api.CodeInvalidJSON, api.CodeInvalidParameter:
			// Any validation failure not raised by the query parser still
			// gets FastAPI's list shape.
			field := convstore.ErrorField(err)
			loc := []any{"body"}
			if field != "" {
				loc = []any{"query", field}
			}
			_ = convhttp.WriteJSON(w, http.StatusUnprocessableEntity,
				validationBody{Detail: []validationItem{{Type: "value_error", Loc: loc, Msg: msg}}})
			return
		case api.CodeMethodNotAllowed:
			s = statusMethodNotAllowed
		case convstore.ETOOLARGE:
			s = statusTooLarge
		case convstore.ECONFLICT:
			s = statusConflict
		case convstore.ERATELIMITED:
			s = statusRateLimited
		case convstore.EUNAVAILABLE:
			s = statusUnavailable
		case convstore.ETIMEOUT:
			s = statusTimeout
		case convstore.EUNSUPPORTED:
			s = statusNotImplemented
		}
	}
	if status == http.StatusInternalServerError || s == "" {
		status, s, msg = http.StatusInternalServerError, statusInternal, "Internal error."
	}
	_ = convhttp.WriteJSON(w, status, detail{Detail: detailBody{Status: s, Message: msg}})
}
