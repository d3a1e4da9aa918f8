package service

import (
	"net"
	"net/netip"
	"sync/atomic"
)

// Addresses no webhook may reach, whatever the operator allows: the
// cloud metadata services (AWS, GCP, Azure, … answer on these), which
// hand out credentials.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"),
	netip.MustParseAddr("fd00:ec2::254"),
}

// ownListeners are this server's listening addresses: a webhook pointed
// at them would make the server call itself.
type ownListeners struct {
	ports atomic.Pointer[map[uint16]bool]
	local atomic.Pointer[map[netip.Addr]bool] // this host's interface addresses
}

// SetWebhookListeners tells the delivery worker (and the check of a
// webhook's URL) the addresses the server listens on, so that no webhook
// reaches them: any of this host's addresses at one of their ports. The
// server calls it once its listeners are open.
func (s *Service) SetWebhookListeners(addrs []netip.AddrPort) {
	ports := map[uint16]bool{}
	for _, a := range addrs {
		ports[a.Port()] = true
	}
	local := map[netip.Addr]bool{}
	if ifaddrs, err := net.InterfaceAddrs(); err == nil {
		for _, ia := range ifaddrs {
			if n, ok := ia.(*net.IPNet); ok {
				if a, ok := netip.AddrFromSlice(n.IP); ok {
					local[a.Unmap()] = true
				}
			}
		}
	}
	for _, a := range addrs {
		local[a.Addr().Unmap()] = true
	}
	s.listeners.local.Store(&local)
	s.listeners.ports.Store(&ports)
}

// isOwn reports whether ap is one of the server's listeners.
func (l *ownListeners) isOwn(ap netip.AddrPort) bool {
	ports, local := l.ports.Load(), l.local.Load()
	if ports == nil || !(*ports)[ap.Port()] {
		return false
	}
	a := ap.Addr().Unmap()
	return a.IsLoopback() || a.IsUnspecified() || (*local)[a]
}

// webhookForbidden reports whether a webhook may not reach ap: never the
// metadata services, the server's own listeners, an unspecified or a
// multicast address; and unless allowPrivate (--webhook-allow-private),
// no loopback, private (RFC 1918, fc00::/7), shared (100.64.0.0/10) or
// link-local address either.
func (s *Service) webhookForbidden(allowPrivate bool) func(netip.AddrPort) bool {
	return func(ap netip.AddrPort) bool {
		a := ap.Addr().Unmap()
		for _, m := range metadataAddrs {
			if a == m {
				return true
			}
		}
		if a.IsUnspecified() || a.IsMulticast() || s.listeners.isOwn(ap) {
			return true
		}
		if allowPrivate {
			return false
		}
		return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || sharedSpace.Contains(a)
	}
}

// sharedSpace is RFC 6598's carrier-grade NAT range: private in effect.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")
