package convhttp

import (
	"net/http"
	"time"
)

// Defaults of Transport, applied to its zero fields. They are generous for
// ordinary clients and bound what a slow or stalled one can hold.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultMinTransferRate   = 1 << 10 // bytes per second
	DefaultTransferWindow    = 30 * time.Second
	DefaultMaxHeaderBytes    = 32 << 10
	DefaultMaxConns          = 1024
	DefaultMaxConnsPerAddr   = 128
)

// MaxPublicBodyBytes caps the request body of every public route (Scope
// ""): before authentication the server reads no more than this, and a
// larger declared body is answered 413 without reading any of it.
const MaxPublicBodyBytes = 4 << 10

// Transport bounds what one connection may hold and for how long. The zero
// value of each field means its default.
type Transport struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration

	// ReadTimeout bounds reading an ordinary request body, from the end of
	// its headers. Streamed uploads (TransferUpload routes) get
	// MinTransferRate instead.
	ReadTimeout time.Duration

	// WriteTimeout bounds writing an ordinary response, from its first
	// byte. Streamed downloads (TransferDownload routes) get
	// MinTransferRate instead.
	WriteTimeout time.Duration

	// IdleTimeout bounds how long a kept-alive connection may wait for its
	// next request.
	IdleTimeout time.Duration

	// MinTransferRate, in bytes per second, is the slowest an upload or
	// download may go: each TransferWindow must move at least
	// MinTransferRate×TransferWindow bytes, or the connection is cut.
	MinTransferRate int64

	// TransferWindow is the period over which MinTransferRate is measured.
	TransferWindow time.Duration

	// MaxHeaderBytes caps the size of a request's headers (431 beyond).
	MaxHeaderBytes int

	// MaxConns caps the connections open at once across every listener
	// wrapped by one ConnLimiter; negative means no cap.
	MaxConns int

	// MaxConnsPerAddr caps the connections open at once from one client
	// address (an IPv4 address or an IPv6 /64); negative means no cap,
	// as behind a reverse proxy, where every connection comes from it.
	MaxConnsPerAddr int
}

// WithDefaults returns t with every zero field set to its default.
func (t Transport) WithDefaults() Transport {
	setDefault(&t.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDefault(&t.ReadTimeout, DefaultReadTimeout)
	setDefault(&t.WriteTimeout, DefaultWriteTimeout)
	setDefault(&t.IdleTimeout, DefaultIdleTimeout)
	setDefault(&t.MinTransferRate, DefaultMinTransferRate)
	setDefault(&t.TransferWindow, DefaultTransferWindow)
	setDefault(&t.MaxHeaderBytes, DefaultMaxHeaderBytes)
	setDefault(&t.MaxConns, DefaultMaxConns)
	setDefault(&t.MaxConnsPerAddr, DefaultMaxConnsPerAddr)
	return t
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Configure sets the connection-level limits of t on srv: the header
// timeout and size, the idle timeout, and WriteTimeout as a backstop for
// answers written outside a route (404s, 405s). The server's Handler sets
// the read deadline of each request body itself (an upload's moves with
// its progress), so srv.ReadTimeout stays 0.
func (t Transport) Configure(srv *http.Server) {
	t = t.WithDefaults()
	srv.ReadHeaderTimeout = t.ReadHeaderTimeout
	srv.IdleTimeout = t.IdleTimeout
	srv.MaxHeaderBytes = t.MaxHeaderBytes
	srv.WriteTimeout = t.WriteTimeout
}

// windowBytes is how many bytes each TransferWindow must move.
func (t Transport) windowBytes() int64 {
	n := int64(float64(t.MinTransferRate) * t.TransferWindow.Seconds())
	return max(n, 1)
}
