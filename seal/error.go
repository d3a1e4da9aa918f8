package seal

import "errors"

// ErrIntegrity is matched, through errors.Is, by every error that reports
// sealed data failing its check: tampered, truncated, reordered, sealed
// under another key or another context, or not sealed data at all.
var ErrIntegrity = errors.New("seal: integrity check failed")

// IntegrityError is the error Open and Reader return when sealed data fails
// its check. Reason says which check, for logs; it never holds content.
type IntegrityError struct {
	Reason string
}

// Error implements the error interface.
func (e *IntegrityError) Error() string { return "seal: integrity check failed: " + e.Reason }

// Is reports whether target is ErrIntegrity.
func (e *IntegrityError) Is(target error) bool { return target == ErrIntegrity }

func integrity(reason string) error { return &IntegrityError{Reason: reason} }
