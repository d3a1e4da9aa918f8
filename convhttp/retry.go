package convhttp

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/convstore/convstore"
)

// DefaultRetryAfter is what a 503 tells the client to wait when the error
// does not say.
const DefaultRetryAfter = time.Second

// retryAfterError is an error that says how long the client should wait.
type retryAfterError struct {
	err   error
	delay time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// WithRetryAfter wraps err with the delay after which the client may try
// again; the server sends it as Retry-After on 429 and 503 answers.
func WithRetryAfter(err error, delay time.Duration) error {
	return &retryAfterError{err: err, delay: delay}
}

// retryAfterOf returns the delay err carries, or DefaultRetryAfter.
func retryAfterOf(err error) time.Duration {
	var ra *retryAfterError
	if errors.As(err, &ra) && ra.delay > 0 {
		return ra.delay
	}
	return DefaultRetryAfter
}

// retryable reports whether a client should retry err later: the codes
// answered 429 or 503 in every door.
func retryable(code string) bool {
	switch code {
	case convstore.ERATELIMITED, convstore.EUNAVAILABLE, convstore.ETIMEOUT:
		return true
	}
	return false
}

// setRetryAfter sets Retry-After (whole seconds, rounded up, at least 1)
// for errors a client should retry later, unless a handler already set it.
func setRetryAfter(w http.ResponseWriter, err error) {
	if !retryable(convstore.ErrorCode(err)) || w.Header().Get("Retry-After") != "" {
		return
	}
	secs := int64((retryAfterOf(err) + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
}
