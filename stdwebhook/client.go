package stdwebhook

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// DefaultTimeout bounds one attempt: dialing, sending, and reading the
// status and the response's prefix.
const DefaultTimeout = 10 * time.Second

// ErrForbiddenAddress is the dial error for a target the guard refuses.
var ErrForbiddenAddress = errors.New("stdwebhook: the address is a forbidden webhook target")

// ClientOptions configure NewClient.
type ClientOptions struct {
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
	// Forbidden reports whether a resolved address may not be dialed
	// (the SSRF guard). It is asked about the address each connection
	// actually dials, after DNS resolution, so a name that resolves to a
	// forbidden address is refused too (and a name whose answer changes
	// between a check and the dial gains nothing). Nil allows every
	// address.
	Forbidden func(netip.AddrPort) bool
}

// NewClient returns the client deliveries use: it dials only addresses
// Forbidden allows, uses no proxy (a proxy would dial for it, unguarded),
// follows no redirect (a 3xx comes back as the response: a failed
// attempt, never a request to a place nobody registered), and gives up
// after Timeout.
func NewClient(o ClientOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}
	if o.Forbidden != nil {
		forbidden := o.Forbidden
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s is no address", ErrForbiddenAddress, address)
			}
			ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
			if forbidden(ap) {
				return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap)
			}
			return nil
		}
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   o.Timeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// IsForbidden reports whether err is a refusal to dial a forbidden
// address.
func IsForbidden(err error) bool { return errors.Is(err, ErrForbiddenAddress) }
