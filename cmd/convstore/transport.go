package main

import (
	"fmt"
	"time"

	"github.com/convstore/convstore/convhttp"
)

// TransportConfig is what one connection may hold and for how long: a
// convhttp.Transport with every default filled in, so that the flags show
// them. Only MaxConnsPerAddr reads differently: 0 turns the per-address
// cap off here (as behind a reverse proxy), where convhttp's 0 means its
// default.
type TransportConfig struct {
	convhttp.Transport
}

// defaultTransport returns convhttp's defaults.
func defaultTransport() TransportConfig {
	return TransportConfig{convhttp.Transport{}.WithDefaults()}
}

// serverTransport returns the convhttp form of t.
func (t TransportConfig) serverTransport() convhttp.Transport {
	out := t.Transport
	if out.MaxConnsPerAddr == 0 {
		out.MaxConnsPerAddr = -1 // convhttp's "no cap"; its 0 means the default
	}
	return out
}

// validate checks every setting: no deadline or cap can be turned off but
// the per-address one, which a server behind a reverse proxy cannot use.
func (t TransportConfig) validate() error {
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{
		{"read-header-timeout", t.ReadHeaderTimeout},
		{"read-timeout", t.ReadTimeout},
		{"write-timeout", t.WriteTimeout},
		{"idle-timeout", t.IdleTimeout},
		{"transfer-window", t.TransferWindow},
	} {
		if d.v <= 0 {
			return fmt.Errorf("--%s %s: must be positive", d.flag, d.v)
		}
	}
	switch {
	case t.MinTransferRate <= 0:
		return fmt.Errorf("--min-transfer-rate %d: must be positive", t.MinTransferRate)
	case t.MaxHeaderBytes < minHeaderBytes:
		return fmt.Errorf("--max-header-bytes %d: must be at least %d", t.MaxHeaderBytes, minHeaderBytes)
	case t.MaxConns <= 0:
		return fmt.Errorf("--max-conns %d: must be positive", t.MaxConns)
	case t.MaxConnsPerAddr < 0:
		return fmt.Errorf("--max-conns-per-ip %d: must not be negative (0: no per-address cap)", t.MaxConnsPerAddr)
	}
	return nil
}

// minHeaderBytes keeps --max-header-bytes from refusing ordinary requests.
const minHeaderBytes = 1 << 10

// registerFlags binds the transport flags, each with its CONVSTORE_*
// environment variable.
func (t *TransportConfig) registerFlags(fs *flagSet) {
	fs.DurationVar(&t.ReadHeaderTimeout, "read-header-timeout", t.ReadHeaderTimeout, "how long a request's headers may take to arrive")
	fs.bindEnv("read-header-timeout", "CONVSTORE_READ_HEADER_TIMEOUT")
	fs.DurationVar(&t.ReadTimeout, "read-timeout", t.ReadTimeout, "how long an ordinary (JSON) request body may take to arrive after its headers")
	fs.bindEnv("read-timeout", "CONVSTORE_READ_TIMEOUT")
	fs.DurationVar(&t.WriteTimeout, "write-timeout", t.WriteTimeout, "how long an ordinary (JSON) answer may take to write, from its first byte")
	fs.bindEnv("write-timeout", "CONVSTORE_WRITE_TIMEOUT")
	fs.DurationVar(&t.IdleTimeout, "idle-timeout", t.IdleTimeout, "how long a kept-alive connection may wait for its next request")
	fs.bindEnv("idle-timeout", "CONVSTORE_IDLE_TIMEOUT")
	fs.Int64Var(&t.MinTransferRate, "min-transfer-rate", t.MinTransferRate, "slowest attachment upload or download, in `bytes` per second over --transfer-window, before it is cut off")
	fs.bindEnv("min-transfer-rate", "CONVSTORE_MIN_TRANSFER_RATE")
	fs.DurationVar(&t.TransferWindow, "transfer-window", t.TransferWindow, "period over which --min-transfer-rate is measured")
	fs.bindEnv("transfer-window", "CONVSTORE_TRANSFER_WINDOW")
	fs.IntVar(&t.MaxHeaderBytes, "max-header-bytes", t.MaxHeaderBytes, "largest request headers, in `bytes` (431 beyond)")
	fs.bindEnv("max-header-bytes", "CONVSTORE_MAX_HEADER_BYTES")
	fs.IntVar(&t.MaxConns, "max-conns", t.MaxConns, "connections open at once over every listener; more are closed on accept")
	fs.bindEnv("max-conns", "CONVSTORE_MAX_CONNS")
	fs.IntVar(&t.MaxConnsPerAddr, "max-conns-per-ip", t.MaxConnsPerAddr, "connections open at once from one client address (an IPv4 address or IPv6 /64); 0: no cap, as behind a reverse proxy")
	fs.bindEnv("max-conns-per-ip", "CONVSTORE_MAX_CONNS_PER_IP")
}
