package service

import (
	"net/netip"
	"strconv"

	"github.com/convstore/convstore/netguard"
)

// webhookDialForbidden is the delivery dialer's guard (SSRF): it is asked
// about every address an attempt is about to connect to, after DNS
// resolution, so a host name registered while it resolved to a public
// address and changed since (DNS rebinding) is refused all the same. It
// refuses what netguard forbids (everything not public, unless
// allowPrivate, --webhook-allow-private; metadata, unspecified and
// multicast addresses always) and the server's own listeners.
func (s *Service) webhookDialForbidden(allowPrivate bool) func(netip.AddrPort) bool {
	return func(ap netip.AddrPort) bool {
		if _, bad := netguard.Check(ap.Addr(), allowPrivate); bad {
			return true
		}
		return s.hooks.isOwn(ap.Addr().Unmap().String(), strconv.Itoa(int(ap.Port())))
	}
}
