package api

import (
	"net/http"
	"strings"

	"github.com/convstore/convstore"
)

// ContentTypeProblem is the media type of RFC 9457 error bodies.
const ContentTypeProblem = "application/problem+json"

// ProblemTypeBase prefixes the problem type URI; the code follows it.
const ProblemTypeBase = "https://convstore.dev/problems/"

// Problem is an RFC 9457 problem details body with convstore's extensions:
// a stable code (the domain error code, or one of convhttp's wire codes such
// as invalid_json), the field at fault if any, and the request id.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance,omitempty"`
	Code      string `json:"code"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id"`
}

// Error implements error so that the client can return a Problem as is.
func (p *Problem) Error() string {
	return p.Title + ": " + p.Detail
}

// CodeForStatus maps an HTTP status back to a domain error code, for the
// client when a body carries no code.
func CodeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity, http.StatusUnsupportedMediaType:
		return convstore.EINVALID
	case http.StatusNotFound:
		return convstore.ENOTFOUND
	case http.StatusConflict:
		return convstore.ECONFLICT
	case http.StatusUnauthorized:
		return convstore.EUNAUTHORIZED
	case http.StatusForbidden:
		return convstore.EFORBIDDEN
	case http.StatusRequestEntityTooLarge:
		return convstore.ETOOLARGE
	case http.StatusServiceUnavailable:
		return convstore.EUNAVAILABLE
	case http.StatusTooManyRequests:
		return convstore.ERATELIMITED
	}
	return convstore.EINTERNAL
}

// DomainField maps a wire field name back to the domain's: the message
// offsets, which the wire names start_offset_ms and end_offset_ms
// ("messages[2].start_offset_ms" is the domain's
// "messages[2].start_offset").
func DomainField(field string) string {
	for _, name := range []string{"start_offset", "end_offset"} {
		if strings.HasSuffix(field, name+"_ms") && (len(field) == len(name)+3 || field[len(field)-len(name)-4] == '.') {
			return strings.TrimSuffix(field, "_ms")
		}
	}
	return field
}
