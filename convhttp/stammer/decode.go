package stammer

import (
	"net/http"
	"strings"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp"
)

// bodyRules decode bodies as DRF's parsers and serializers do: unknown
// fields are ignored (clients and DRF serializers tolerate them);
// malformed JSON, a null body, a repeated key or a case variant of a field
// the door reads is a 400 parse error and a value of the wrong type a 400
// field error.
var bodyRules = &convhttp.BodyRules{Wrap: bodyError}

// bodyError phrases a decoding failure like DRF does.
func bodyError(e *convhttp.BodyError) error {
	switch e.Kind {
	case convhttp.BodySyntax:
		return parseError("JSON parse error - " + e.Err.Error() + ".")
	case convhttp.BodyNotObject:
		return &convstore.Error{Code: convstore.EINVALID, Field: "non_field_errors",
			Message: "Invalid data. Expected a JSON object, but got " + e.Value + "."}
	case convhttp.BodyWrongType:
		return invalid(e.Field, "Not a valid string.")
	case convhttp.BodyIncomplete, convhttp.BodyEmpty:
		return parseError("JSON parse error - unexpected end of input.")
	case convhttp.BodyTrailing:
		return parseError("Extra data after the JSON object.")
	}
	return parseError("JSON parse error - " + strings.TrimPrefix(e.Err.Error(), "json: ") + ".")
}

// parseError returns DRF's 400 parse_error.
func parseError(msg string) error {
	return &convstore.Error{Code: convhttp.CodeInvalidJSON, Message: msg}
}

// parseUUID accepts the canonical 8-4-4-4-12 form in either case and, as
// DRF's UUIDField does, 32 bare hex digits; it returns the canonical
// lower-case form, so one chatbot has one AgentID.
func parseUUID(s string) (string, bool) {
	if len(s) == 32 {
		s = s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
	}
	id, ok := convstore.ParseUUID(s)
	if !ok {
		return "", false
	}
	return id.UUID(), true
}

// writeJSON writes a success body.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	return convhttp.WriteJSON(w, status, v)
}
