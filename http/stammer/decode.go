package stammer

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/convstore/convstore"
	convhttp "github.com/convstore/convstore/http"
)

// decodeLenient decodes one JSON object into dst. Unknown fields are
// ignored (clients and DRF serializers tolerate them); malformed JSON, a
// null body, a repeated key or a case variant of a field the door reads
// is a 400 parse error and a value of the wrong type a 400 field error.
func decodeLenient(body []byte, dst any) error {
	if err := convhttp.CheckJSON(body, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return parseError("Extra data after the JSON object.")
	}
	return nil
}

// decodeError phrases a decoding failure like DRF does.
func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return parseError("JSON parse error - " + syn.Error() + ".")
	case errors.As(err, &typ) && typ.Field == "":
		return &convstore.Error{Code: convstore.EINVALID, Field: "non_field_errors",
			Message: "Invalid data. Expected a JSON object, but got " + typ.Value + "."}
	case errors.As(err, &typ):
		return invalid(typ.Field, "Not a valid string.")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return parseError("JSON parse error - unexpected end of input.")
	}
	return parseError("JSON parse error - " + strings.TrimPrefix(err.Error(), "json: ") + ".")
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
