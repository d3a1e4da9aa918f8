package convstore

import (
	"encoding/json"
	"strings"
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
		if k == "" || len(k) > MaxMetadataKeyLen || !utf8.ValidString(k) || strings.IndexByte(k, 0) >= 0 {
			return Invalidf(field, "%s keys must be 1 to %d bytes of UTF-8", field, MaxMetadataKeyLen)
		}
		if len(v) > MaxMetadataValueLen || !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return Invalidf(field, "%s value for %q must be at most %d bytes of UTF-8", field, k, MaxMetadataValueLen)
		}
	}
	return nil
}

// validText checks a UTF-8 string's length in bytes.
func validText(field, s string, max int) error {
	if len(s) > max {
		return Invalidf(field, "%s must be at most %d bytes", field, max)
	}
	if !utf8.ValidString(s) {
		return Invalidf(field, "%s must be valid UTF-8", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		// PostgreSQL text cannot hold NUL; refuse it in every engine alike.
		return Invalidf(field, "%s must not contain NUL characters", field)
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
