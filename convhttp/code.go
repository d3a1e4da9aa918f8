package convhttp

import "github.com/convstore/convstore"

// Wire codes every door can meet besides the domain error codes: the
// shared server raises them (body decoding, query parsing, routing) before
// or beside the domain, and each door's ErrorTable answers them in its
// own format.
const (
	CodeInvalidJSON      = "invalid_json"       // the body is not the JSON it should be (natively 400)
	CodeInvalidParameter = "invalid_parameter"  // a path or query parameter is malformed (natively 400)
	CodeMethodNotAllowed = "method_not_allowed" // the path exists with other methods (405)
	// CodeUnsupportedMediaType: a JSON body sent without a JSON
	// Content-Type (application/json or a +json type); natively 415.
	CodeUnsupportedMediaType = "unsupported_media_type"
	// CodeIdempotencyKeyReused: an Idempotency-Key already named another
	// request (another method, target or body); 422 in every door, as the
	// IETF draft "The Idempotency-Key HTTP Header Field" says.
	CodeIdempotencyKeyReused = "idempotency_key_reused"
)

// Codes lists every error code a door must answer: the domain codes and
// the wire codes above. EINTERNAL is not among them: it is the internal
// answer every ErrorTable gives to codes it does not know.
var Codes = []string{
	convstore.ECONFLICT, convstore.EINVALID, convstore.ENOTFOUND, convstore.EUNAUTHORIZED,
	convstore.EFORBIDDEN, convstore.ETOOLARGE, convstore.EUNAVAILABLE, convstore.ETIMEOUT,
	convstore.ERATELIMITED, convstore.EUNSUPPORTED, convstore.EINTEGRITY, convstore.EHELD,
	CodeInvalidJSON, CodeInvalidParameter, CodeMethodNotAllowed, CodeUnsupportedMediaType,
	CodeIdempotencyKeyReused,
}

// DomainCode maps a wire code back to the domain code (the 400 and 415
// codes are EINVALID, a wrong method EUNSUPPORTED) and returns any other
// code as it is.
func DomainCode(code string) string {
	switch code {
	case CodeInvalidJSON, CodeInvalidParameter, CodeUnsupportedMediaType, CodeIdempotencyKeyReused:
		return convstore.EINVALID
	case CodeMethodNotAllowed:
		return convstore.EUNSUPPORTED
	}
	return code
}
