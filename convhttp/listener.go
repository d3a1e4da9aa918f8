package convhttp

import (
	"net"
	"sync"
)

// ConnLimiter caps the connections open at once, in total and per client
// address, across every listener it wraps (the main listener and each
// vendor door's own). A connection over a cap is closed as soon as it is
// accepted, with a reset and before anything is read from it, so it holds
// no memory and never delays the connections of other addresses.
type ConnLimiter struct {
	max, perAddr int // negative: no cap

	// OnReject, if set before the first Accept, is called for every
	// connection refused, with its client address and which cap it hit
	// ("total" or "address"). It must not block.
	OnReject func(remote net.Addr, limit string)

	mu     sync.Mutex
	total  int
	byAddr map[string]int
}

// NewConnLimiter returns a limiter with t's MaxConns and MaxConnsPerAddr
// (their defaults where zero).
func NewConnLimiter(t Transport) *ConnLimiter {
	t = t.WithDefaults()
	return &ConnLimiter{max: t.MaxConns, perAddr: t.MaxConnsPerAddr, byAddr: map[string]int{}}
}

// Listener returns ln with the limiter's caps on its accepted connections.
func (l *ConnLimiter) Listener(ln net.Listener) net.Listener {
	return &limitedListener{Listener: ln, l: l}
}

// Open returns how many connections are open, in total and from the
// client address of remote.
func (l *ConnLimiter) Open(remote net.Addr) (total, fromAddr int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.byAddr[connKey(remote)]
}

// acquire counts a new connection from key, or returns which cap it hits.
func (l *ConnLimiter) acquire(key string) (limit string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.max >= 0 && l.total >= l.max:
		return "total", false
	case l.perAddr >= 0 && l.byAddr[key] >= l.perAddr:
		return "address", false
	}
	l.total++
	l.byAddr[key]++
	return "", true
}

// release uncounts a closed connection from key.
func (l *ConnLimiter) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byAddr[key]--; l.byAddr[key] <= 0 {
		delete(l.byAddr, key)
	}
}

// connKey is the client address a connection counts against: the same
// key as the rate limits' (an IPv4 address, or the /64 of an IPv6 one),
// or the address as a string for other networks.
func connKey(a net.Addr) string {
	if ip, ok := parseHost(a.String()); ok {
		return addrKey(ip)
	}
	return a.String()
}

// limitedListener is a listener under a ConnLimiter.
type limitedListener struct {
	net.Listener
	l *ConnLimiter
}

// Accept returns the next connection within the caps, closing at once the
// ones over them.
func (ln *limitedListener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := connKey(c.RemoteAddr())
		limit, ok := ln.l.acquire(key)
		if ok {
			return &limitedConn{Conn: c, release: sync.OnceFunc(func() { ln.l.release(key) })}, nil
		}
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset frees the socket at once, with no FIN_WAIT or TIME_WAIT
		}
		_ = c.Close()
		if ln.l.OnReject != nil {
			ln.l.OnReject(c.RemoteAddr(), limit)
		}
	}
}

// limitedConn is a counted connection; closing it uncounts it once.
type limitedConn struct {
	net.Conn
	release func()
}

// Close closes the connection and frees its place.
func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// CloseWrite half-closes a TCP connection, as net/http does before closing
// one whose request it did not read to the end.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
