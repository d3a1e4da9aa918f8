package convstore

import "errors"

// tombstoneMessage is the message of every TombstoneError, by which
// IsTombstone knows it.
const tombstoneMessage = "A deleted conversation had this external id; it cannot name a new conversation yet."

// TombstoneError is the ECONFLICT of a create whose external id a deleted
// conversation's tombstone holds: a late write must not bring it back.
// Doors where the write names that conversation answer their not-found
// instead (IsTombstone).
func TombstoneError() *Error {
	return &Error{Code: ECONFLICT, Message: tombstoneMessage}
}

// IsTombstone reports whether err is a TombstoneError.
func IsTombstone(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == ECONFLICT && e.Message == tombstoneMessage
}
