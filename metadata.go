package convstore

import (
	"encoding/json"
	"unicode/utf8"
)

// Metadata bounds, as in OpenAI's APIs.
const (
	MaxMetadataPairs    = 16
	MaxMetadataKeyLen   = 64
	MaxMetadataValueLen = 512
)

// Metadata is a bounded map of string keys to string values.
type Metadata map[string]string

// Validate checks the bounds; field names the input for the error.
func (m Metadata) Validate(field string) error {
	if len(m) > MaxMetadataPairs {
		return Invalidf(field, "%s must have at most %d keys", field, MaxMetadataPairs)
	}
	for k, v := range m {
		if k == "" || len(k) > MaxMetadataKeyLen || !utf8.ValidString(k) {
			return Invalidf(field, "%s keys must be 1 to %d bytes of UTF-8", field, MaxMetadataKeyLen)
		}
		if r, at, ok := controlChar(k, false); ok {
			return Invalidf(field, "%s key %q must not contain control characters (%U at byte %d)", field, k, r, at)
		}
		if len(v) > MaxMetadataValueLen || !utf8.ValidString(v) {
			return Invalidf(field, "%s value for %q must be at most %d bytes of UTF-8", field, k, MaxMetadataValueLen)
		}
		if r, at, ok := controlChar(v, false); ok {
			return Invalidf(field, "%s value for %q must not contain control characters (%U at byte %d)", field, k, r, at)
		}
	}
	return nil
}

// validJSON checks that raw is empty or a JSON value of at most max bytes.
func validJSON(field string, raw json.RawMessage, max int) error {
	if len(raw) == 0 {
		return nil
	}
	if len(raw) > max {
		return Invalidf(field, "%s must be at most %d bytes of JSON", field, max)
	}
	if !json.Valid(raw) {
		return Invalidf(field, "%s must be valid JSON", field)
	}
	return nil
}
