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
