package convhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/convstore/convstore"
)

// ContentTypeJSON is the media type of JSON responses.
const ContentTypeJSON = "application/json"

// WriteJSON writes v as a JSON body with the given status. It marshals
// before writing anything, so a marshalling failure is still an error
// response, not a truncated body.
func WriteJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("convhttp: marshal response: %w", err)
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", ContentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return nil
}

// invalidJSON returns the 400 invalid_json error with a message.
func invalidJSON(field, format string, args ...any) error {
	return &convstore.Error{Code: CodeInvalidJSON, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ReadBody reads the whole JSON request body, at most the server's
// MaxBodyBytes. A larger body is ETOOLARGE, an empty one invalid_json, and
// a body whose Content-Type is missing or not JSON (see JSONContentType)
// unsupported_media_type: the doors' clients and SDKs always send
// application/json, and a form-encoded body (curl -d without -H) must not
// pass for JSON.
func (s *Server) ReadBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	ct := r.Header.Get("Content-Type")
	if ct != "" {
		if err := JSONContentType(ct); err != nil {
			return nil, err
		}
	}
	max := s.cfg.MaxBodyBytes
	if r.ContentLength > max {
		return nil, tooLarge(max)
	}
	// The server's own writer, so that a body over the limit makes the
	// server close the connection rather than read the rest.
	body, err := io.ReadAll(http.MaxBytesReader(baseWriter(w), r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, invalidJSON("", "The request body could not be read: %v.", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalidJSON("", "The request body is empty; a JSON object is required.")
	}
	if ct == "" {
		return nil, unsupportedMediaType("The request has a body but no Content-Type; send it as application/json.")
	}
	return body, nil
}

// JSONContentType checks a request's Content-Type for a JSON body:
// application/json or an application/…+json type, with at most a UTF-8
// charset (RFC 8259: JSON is UTF-8). Anything else is
// unsupported_media_type, which the native door answers 415.
func JSONContentType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return unsupportedMediaType("The Content-Type %q is malformed; send the body as application/json.", ct)
	}
	if mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return unsupportedMediaType("The Content-Type %q is not supported; send the body as application/json.", mt)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return unsupportedMediaType("The charset %q is not supported; JSON bodies are UTF-8.", cs)
	}
	return nil
}

// unsupportedMediaType returns the unsupported_media_type error, naming
// the Content-Type header.
func unsupportedMediaType(format string, args ...any) error {
	return &convstore.Error{Code: CodeUnsupportedMediaType, Field: "Content-Type", Message: fmt.Sprintf(format, args...)}
}

func tooLarge(max int64) error {
	return &convstore.Error{Code: convstore.ETOOLARGE, Field: "body",
		Message: fmt.Sprintf("The request body is larger than the limit of %d bytes.", max)}
}

// DecodeJSON reads the request body (see ReadBody) and decodes it strictly
// into dst with DecodeStrict.
func (s *Server) DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := s.ReadBody(w, r)
	if err != nil {
		return err
	}
	return DecodeStrict(body, dst)
}

// DecodeStrict decodes one JSON object into dst, rejecting what CheckJSON
// rejects (a null or empty body, duplicate keys, keys that match a field
// only case-insensitively), unknown fields, values of the wrong type and
// trailing data with a 400 invalid_json error that says what was wrong
// and, where known, names the field.
func DecodeStrict(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return invalidJSON("", "The request body is empty; a JSON object is required.")
	}
	if err := CheckJSON(body, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalidJSON("", "The request body must hold a single JSON object; data follows it.")
	}
	return nil
}

// jsonError turns a decoding error into a helpful invalid_json error.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return invalidJSON("", "The request body is not valid JSON: %s (at byte %d).", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return invalidJSON("", "The request body must be a JSON object, not %s.", article(typ.Value))
		}
		return invalidJSON(typ.Field, "Field %q must be %s, not %s.", typ.Field, typeName(typ.Type.String()), article(typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return invalidJSON("", "The request body ends before its JSON value is complete.")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return invalidJSON(name, "Unknown field %q: this endpoint does not accept it.", name)
	}
	return invalidJSON("", "The request body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
}

// typeName describes a Go type in JSON terms.
func typeName(t string) string {
	switch {
	case strings.HasPrefix(t, "map["):
		if strings.HasSuffix(t, "]string") {
			return "an object of strings"
		}
		return "an object"
	case strings.HasPrefix(t, "[]"):
		return "an array"
	case strings.HasPrefix(t, "*"):
		return typeName(t[1:])
	case t == "string" || strings.HasSuffix(t, ".Role") || strings.HasSuffix(t, ".Scope"):
		return "a string"
	case t == "bool":
		return "a boolean"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "float"):
		return "a number"
	}
	return "an object"
}

// article puts "a" or "an" before a JSON value kind ("number", "object").
func article(kind string) string {
	switch kind {
	case "":
		return "this value"
	case "object", "array", "array element":
		return "an " + kind
	}
	return "a " + kind
}
