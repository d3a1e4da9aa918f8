package service

import (
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync/atomic"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/netguard"
)

// webhookGuard refuses webhook URLs that point where the server must not
// send requests (SSRF): at literal addresses netguard forbids, at
// localhost, and at the server's own listeners. A host name is judged
// here by its name only; the delivery dialer checks every address it
// resolves to, at each attempt, since DNS may change.
type webhookGuard struct {
	allowPrivate bool
	own          atomic.Pointer[[]string] // host:port of the listeners
}

// SetOwnAddrs replaces the addresses (host:port) the server listens on,
// which webhook URLs may not point at: cmd sets them once its listeners
// are bound (a port of 0 is known only then).
func (s *Service) SetOwnAddrs(addrs []string) {
	c := append([]string(nil), addrs...)
	s.hooks.own.Store(&c)
}

// WebhookAllowPrivate reports whether webhooks may target private
// addresses (Options.WebhookAllowPrivate), for the delivery dialer.
func (s *Service) WebhookAllowPrivate() bool { return s.hooks.allowPrivate }

const allowHint = " (an operator can allow private targets with --webhook-allow-private)"

// check returns EINVALID "url" if raw (a URL ValidWebhookURL accepted)
// points at a forbidden target.
func (g *webhookGuard) check(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return convstore.Invalidf("url", "url is not a valid URL")
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if reason, bad := netguard.Check(ip, g.allowPrivate); bad {
			hint := allowHint
			if _, always := netguard.Always(ip); always || g.allowPrivate {
				hint = ""
			}
			return convstore.Invalidf("url", "url points at %s (%s), which webhooks may not target%s", reason, ip, hint)
		}
	} else {
		if numericHost(host) {
			return convstore.Invalidf("url", "url's host %q looks like an IP address in a non-standard form; write it as a.b.c.d", host)
		}
		if isLocalhost(host) && !g.allowPrivate {
			return convstore.Invalidf("url", "url points at localhost, which webhooks may not target%s", allowHint)
		}
	}
	if g.isOwn(host, port) {
		return convstore.Invalidf("url", "url points at this server's own listener (%s:%s); a webhook must go to another service", host, port)
	}
	return nil
}

// isLocalhost reports whether host names this machine by name.
func isLocalhost(host string) bool {
	host = strings.TrimSuffix(host, ".")
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// numericHost reports whether every label of host is a decimal, octal or
// hexadecimal number: forms (2130706433, 0x7f.1) some resolvers read as
// an IPv4 address, which netip does not parse.
func numericHost(host string) bool {
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		digits := strings.TrimPrefix(label, "0x")
		if digits == "" {
			return false
		}
		for _, c := range digits {
			hex := label != digits && (c >= 'a' && c <= 'f')
			if !(c >= '0' && c <= '9') && !hex {
				return false
			}
		}
	}
	return true
}

// isOwn reports whether host:port is one of the server's listeners: the
// listener's own host, or, for a listener on every interface, any name
// or address of this machine.
func (g *webhookGuard) isOwn(host, port string) bool {
	own := g.own.Load()
	if own == nil {
		return false
	}
	for _, a := range *own {
		h, p, err := net.SplitHostPort(a)
		if err != nil || p != port {
			continue
		}
		h = strings.ToLower(h)
		if h == host || (isLocalhost(host) && isLoopbackHost(h)) || (isLocalhost(h) && isLoopbackHost(host)) {
			return true
		}
		if ip, err := netip.ParseAddr(h); h == "" || (err == nil && ip.IsUnspecified()) {
			if isLocalhost(host) || isLoopbackHost(host) || thisMachine(host) {
				return true
			}
		}
	}
	return false
}

func isLoopbackHost(host string) bool {
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// thisMachine reports whether host is this machine's host name or one of
// its interfaces' addresses.
func thisMachine(host string) bool {
	if name, err := os.Hostname(); err == nil && strings.EqualFold(name, host) {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr().Unmap() == ip.Unmap() {
			return true
		}
	}
	return false
}

// IsOwnAddr reports whether addr (host:port, as the delivery dialer is
// about to connect to after DNS) is one of this server's listeners.
func (s *Service) IsOwnAddr(addr string) bool {
	host, port, err := net.SplitHostPort(addr)
	return err == nil && s.hooks.isOwn(strings.ToLower(host), port)
}
