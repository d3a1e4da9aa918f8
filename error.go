package convstore

import (
	"errors"
	"fmt"
)

// Error codes. Each door maps them to its own status codes and bodies.
const (
	ECONFLICT     = "conflict"     // the request conflicts with current state
	EINTERNAL     = "internal"     // a real fault; details are logged, not shown
	EINVALID      = "invalid"      // malformed id, body or parameter
	ENOTFOUND     = "not_found"    // missing, or another tenant's
	EUNAUTHORIZED = "unauthorized" // missing or invalid credentials
	EFORBIDDEN    = "forbidden"    // valid credentials without the needed scope
	ETOOLARGE     = "too_large"    // body or attachment over its limit
	EUNAVAILABLE  = "unavailable"  // the store cannot serve now (shutting down, unreachable)
	ETIMEOUT      = "timeout"      // the store gave up waiting (a lock, a statement, a pool connection); retry later
	ERATELIMITED  = "rate_limited" // too many requests
	EUNSUPPORTED  = "unsupported"  // the operation is not supported by this engine or door
	// EINTEGRITY: stored content failed its integrity check (a sealed
	// value that does not open: a changed byte, a lost or destroyed key).
	// Every door answers it as a 500 with a message that names nothing
	// of the content.
	EINTEGRITY = "integrity"
	// EHELD: a delete refused because a legal hold covers the
	// conversation (see Hold). It lasts until the hold is released.
	EHELD = "held"
)

// Error is a domain error. Message is safe to show to the caller; it must
// never contain another tenant's data or any secret. Field names the input
// field at fault, for EINVALID and ETOOLARGE.
type Error struct {
	Code    string
	Message string
	Field   string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("convstore error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("convstore error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an EINVALID *Error naming the field at fault.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns the ENOTFOUND error for a kind of resource ("conversation",
// "message", ...). The message names only the kind, never the ID's owner.
func NotFound(kind string) *Error {
	return &Error{Code: ENOTFOUND, Message: kind + " not found"}
}

// ErrorCode returns the code of err's *Error, "" for nil, and EINTERNAL for
// any other error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the safe message of err's *Error, and "Internal error."
// for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorField returns the field of err's *Error, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
