package convhttp

import (
	"net/http"
	"net/netip"
	"strings"
)

// HeaderForwardedFor carries the client chain a proxy saw; believed only
// from RateLimits.TrustedProxies.
const HeaderForwardedFor = "X-Forwarded-For"

// maxForwardedHops bounds how many X-Forwarded-For entries are read, so a
// long header costs little.
const maxForwardedHops = 16

// clientAddr returns the rate-limit key of the request's client: the
// connection's peer address, or with a trusted peer the last address in
// X-Forwarded-For that is not itself a trusted proxy. Each IPv6 address
// counts as its /64, which a single host usually holds whole: keying full
// addresses would let it rotate through 2^64 of them.
func (l *Limiter) clientAddr(r *http.Request) string {
	peer, ok := parseHost(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr // not an IP connection; the listener chose it, not the client
	}
	client := peer
	if l.trusts(peer) {
		client = l.forwardedClient(r.Header.Values(HeaderForwardedFor), peer)
	}
	return addrKey(client)
}

// forwardedClient walks X-Forwarded-For from the nearest hop back and
// returns the first address not in a trusted proxy, or the farthest
// trusted one when the chain ends or holds something that is not an
// address (nothing beyond it can be believed).
func (l *Limiter) forwardedClient(values []string, peer netip.Addr) netip.Addr {
	client, hops := peer, 0
	for i := len(values) - 1; i >= 0; i-- {
		entries := strings.Split(values[i], ",")
		for j := len(entries) - 1; j >= 0; j-- {
			if hops++; hops > maxForwardedHops {
				return client
			}
			a, err := netip.ParseAddr(strings.TrimSpace(entries[j]))
			if err != nil {
				return client
			}
			a = a.Unmap()
			if !l.trusts(a) {
				return a
			}
			client = a
		}
	}
	return client
}

// trusts reports whether a is a trusted proxy.
func (l *Limiter) trusts(a netip.Addr) bool {
	for _, p := range l.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHost returns the address of a "host:port" (or bare host) remote
// address.
func parseHost(remote string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap(), true
	}
	a, err := netip.ParseAddr(remote)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// addrKey returns the key of an address: IPv4 as is, IPv6 as its /64.
func addrKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
	return a.String()
}
