// Package netguard classifies network addresses a server must not send
// requests to on a caller's behalf (server-side request forgery): the
// host's own loopback, private networks, link-local ranges and the cloud
// metadata services reachable from them. Webhook URLs are checked with it
// when they are registered (literal addresses) and again at dial time,
// after DNS, by the delivery dialer.
package netguard

import "net/netip"

// metadata are the cloud instance metadata services, refused even when
// private targets are allowed: they hand out the host's credentials.
var metadata = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack, …
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task credentials
	netip.MustParseAddr("fd00:ec2::254"),   // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
}

// Reserved ranges not covered by netip's predicates.
var (
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	sharedCGNAT = netip.MustParsePrefix("100.64.0.0/10")
	ietfIPv4    = netip.MustParsePrefix("192.0.0.0/24")
	benchmark   = netip.MustParsePrefix("198.18.0.0/15")
	reservedV4  = netip.MustParsePrefix("240.0.0.0/4") // and 255.255.255.255, the broadcast
	nat64       = netip.MustParsePrefix("64:ff9b::/96")
	documentV4  = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24")}
)

// Forbidden reports whether ip is an address a webhook must not reach
// unless the operator allows private targets, and why: loopback, private
// (RFC 1918, unique local fc00::/7, shared 100.64/10), link-local
// (169.254/16, fe80::/10), a cloud metadata address, unspecified,
// multicast, broadcast or reserved. An IPv4 address embedded in IPv6
// (::ffff:a.b.c.d, NAT64 64:ff9b::/96) is judged as that IPv4 address.
func Forbidden(ip netip.Addr) (reason string, bad bool) {
	if reason, bad := Always(ip); bad {
		return reason, true
	}
	ip = unwrap(ip)
	switch {
	case ip.IsLoopback():
		return "a loopback address", true
	case ip.IsPrivate():
		return "a private address", true
	case sharedCGNAT.Contains(ip):
		return "a shared (carrier-grade NAT) address", true
	case ip.IsLinkLocalUnicast():
		return "a link-local address", true
	case ietfIPv4.Contains(ip):
		return "an IETF protocol address (192.0.0.0/24)", true
	}
	return "", false
}

// Always reports whether ip is refused even when private targets are
// allowed, and why: a cloud metadata address, an unspecified, multicast,
// broadcast, reserved or documentation address, none of which is a
// webhook receiver.
func Always(ip netip.Addr) (reason string, bad bool) {
	if !ip.IsValid() {
		return "not an IP address", true
	}
	ip = unwrap(ip)
	for _, m := range metadata {
		if ip == m {
			return "a cloud metadata address", true
		}
	}
	switch {
	case ip.IsUnspecified() || thisNetwork.Contains(ip):
		return "an unspecified address", true
	case ip.IsMulticast():
		return "a multicast address", true
	case reservedV4.Contains(ip):
		return "a reserved or broadcast address", true
	case benchmark.Contains(ip):
		return "a benchmarking address (198.18.0.0/15)", true
	}
	for _, p := range documentV4 {
		if p.Contains(ip) {
			return "a documentation address", true
		}
	}
	return "", false
}

// Check is Forbidden, or Always when allowPrivate: what the delivery
// dialer refuses under the operator's setting.
func Check(ip netip.Addr, allowPrivate bool) (reason string, bad bool) {
	if allowPrivate {
		return Always(ip)
	}
	return Forbidden(ip)
}

// unwrap returns the IPv4 address embedded in an IPv4-mapped or NAT64
// IPv6 address, and ip itself otherwise (without a zone).
func unwrap(ip netip.Addr) netip.Addr {
	ip = ip.WithZone("").Unmap()
	if ip.Is6() && nat64.Contains(ip) {
		b := ip.As16()
		return netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	return ip
}
