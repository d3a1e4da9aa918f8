package main

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"

	"github.com/convstore/convstore/convhttp"
)

// Default rate limits of "convstore serve": far above what an agent
// platform or the CLI sends, low enough that one runaway client, a scanner
// or a key guesser is stopped before it starves the others.
var (
	defaultKeyRateLimit         = convhttp.RateLimit{Rate: 100, Burst: 200}
	defaultAddressRateLimit     = convhttp.RateLimit{Rate: 200, Burst: 400}
	defaultPublicRateLimit      = convhttp.RateLimit{Rate: 20, Burst: 40}
	defaultAuthFailureRateLimit = convhttp.RateLimit{Rate: 10.0 / 60, Burst: 20}
)

// RateLimits returns the server's rate limits as convhttp wants them.
func (c Config) RateLimits() convhttp.RateLimits {
	return convhttp.RateLimits{
		Key:            c.KeyRateLimit,
		Address:        c.AddressRateLimit,
		Public:         c.PublicRateLimit,
		AuthFailure:    c.AuthFailureRateLimit,
		TrustedProxies: c.TrustedProxies,
	}
}

// registerLimitFlags binds the rate-limit flags.
func (c *Config) registerLimitFlags(fs *flagSet) {
	limits := []struct {
		limit     *convhttp.RateLimit
		flag, env string
		usage     string
	}{
		{&c.KeyRateLimit, "rate-limit", "CONVSTORE_RATE_LIMIT", "per API key"},
		{&c.AddressRateLimit, "ip-rate-limit", "CONVSTORE_IP_RATE_LIMIT", "per client address, every request"},
		{&c.PublicRateLimit, "public-rate-limit", "CONVSTORE_PUBLIC_RATE_LIMIT", "per client address, on routes needing no key (probes, /openapi.json, Symbl's token route) and paths no route matches"},
		{&c.AuthFailureRateLimit, "auth-failure-rate-limit", "CONVSTORE_AUTH_FAILURE_RATE_LIMIT", "per client address, charged by each failed authentication; when spent the address cannot authenticate until it refills"},
	}
	for _, l := range limits {
		fs.Var(rateLimitValue{l.limit}, l.flag, "rate `limit` "+l.usage+": RATE[/s|/m|/h][:BURST], e.g. 100/s:200; 0 turns it off")
		fs.bindEnv(l.flag, l.env)
	}
	fs.Var(prefixList{&c.TrustedProxies}, "trusted-proxies", "comma-separated `CIDRs` of reverse proxies whose X-Forwarded-For names the client address for rate limits (default: none; the connection's address counts)")
	fs.bindEnv("trusted-proxies", "CONVSTORE_TRUSTED_PROXIES")
}

// rateLimitValue is a flag holding a convhttp.RateLimit.
type rateLimitValue struct{ l *convhttp.RateLimit }

func (v rateLimitValue) String() string {
	if v.l == nil {
		return ""
	}
	return formatRateLimit(*v.l)
}

func (v rateLimitValue) Set(s string) error {
	l, err := parseRateLimit(s)
	if err != nil {
		return err
	}
	*v.l = l
	return nil
}

// parseRateLimit parses RATE[/s|/m|/h][:BURST]: "100/s:200", "10/m:20",
// "50" (per second, burst 50), or "0" and "off" for no limit.
func parseRateLimit(s string) (convhttp.RateLimit, error) {
	s = strings.TrimSpace(s)
	if s == "0" || strings.EqualFold(s, "off") {
		return convhttp.RateLimit{}, nil
	}
	bad := func() (convhttp.RateLimit, error) {
		return convhttp.RateLimit{}, fmt.Errorf("rate limit %q: want RATE[/s|/m|/h][:BURST], e.g. 100/s:200 or 10/m:20, or 0 for none", s)
	}
	rateStr, burstStr, hasBurst := strings.Cut(s, ":")
	num, unit, hasUnit := strings.Cut(rateStr, "/")
	per := 1.0
	if hasUnit {
		switch unit {
		case "s":
		case "m":
			per = 60
		case "h":
			per = 3600
		default:
			return bad()
		}
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return bad()
	}
	l := convhttp.RateLimit{Rate: n / per}
	if hasBurst {
		b, err := strconv.Atoi(burstStr)
		if err != nil || b < 1 {
			return bad()
		}
		l.Burst = b
	}
	return l, nil
}

// formatRateLimit writes l as parseRateLimit reads it.
func formatRateLimit(l convhttp.RateLimit) string {
	if !l.On() {
		return "0"
	}
	rate, unit := l.Rate, "s"
	for _, u := range []struct {
		per  float64
		name string
	}{{60, "m"}, {3600, "h"}} {
		if rate < 1 {
			rate, unit = l.Rate*u.per, u.name
		}
	}
	rate = math.Round(rate*1e6) / 1e6 // 10/m is stored as 0.1666…/s
	s := strconv.FormatFloat(rate, 'f', -1, 64) + "/" + unit
	if l.Burst > 0 {
		s += ":" + strconv.Itoa(l.Burst)
	}
	return s
}

// prefixList is a flag holding comma-separated CIDRs (a bare address is
// its own /32 or /128).
type prefixList struct{ p *[]netip.Prefix }

func (v prefixList) String() string {
	if v.p == nil {
		return ""
	}
	var out []string
	for _, p := range *v.p {
		out = append(out, p.String())
	}
	return strings.Join(out, ",")
}

func (v prefixList) Set(s string) error {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return fmt.Errorf("%q is neither a CIDR nor an IP address", f)
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		out = append(out, p.Masked())
	}
	*v.p = out
	return nil
}
