package postgres_test

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/postgres/pgtest"
)

// proxy forwards TCP connections from a loopback port to the database, and
// can be stopped (the database becomes unreachable) and started again on
// the same port.
type proxy struct {
	t      *testing.T
	addr   string // host:port it listens on
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, addr: "127.0.0.1:0", target: target}
	p.start()
	t.Cleanup(p.stop)
	return p
}

// start listens (again) and forwards connections.
func (p *proxy) start() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listen on %s: %v", p.addr, err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

// stop closes the listener and cuts every forwarded connection.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestPingOutage takes the database away behind a proxy: Ping and queries
// fail with EUNAVAILABLE while it is away, and succeed again once it is
// back, with the same DB.
func TestPingOutage(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(pgtest.URL(t))
	if err != nil || u.Host == "" {
		t.Skipf("%s is not a URL with a host: %v", pgtest.EnvURL, err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	p := newProxy(t, target)
	u.Host = p.addr
	db := pgtest.OpenNode(t, pgtest.NewSchema(t), pgtest.NodeOptions{URL: u.String()})
	ctx := testCtx(t)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping through the proxy: %v", err)
	}

	p.stop()
	short, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.Ping(short); convstore.ErrorCode(err) != convstore.EUNAVAILABLE {
		t.Errorf("Ping during the outage: %v, want EUNAVAILABLE", err)
	}
	if _, err := db.FindTenants(short); convstore.ErrorCode(err) != convstore.EUNAVAILABLE {
		t.Errorf("FindTenants during the outage: %v, want EUNAVAILABLE", err)
	}
	if _, _, err := db.CreateTenant(short, "during-outage", convstore.DeleteParams{Door: "test"}); convstore.ErrorCode(err) != convstore.EUNAVAILABLE {
		t.Errorf("CreateTenant during the outage: %v, want EUNAVAILABLE", err)
	}

	p.start()
	waitPing(t, db)
	if _, _, err := db.CreateTenant(ctx, "after-outage", convstore.DeleteParams{Door: "test"}); err != nil {
		t.Errorf("CreateTenant after the outage: %v", err)
	}
}

// TestPingTerminatedBackends kills the store's server connections: Ping
// recovers without a restart.
func TestPingTerminatedBackends(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(pgtest.URL(t))
	if err != nil || u.Host == "" {
		t.Skipf("%s is not a URL with a host: %v", pgtest.EnvURL, err)
	}
	app := "pgtest_" + convstore.NewID().Base32()
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	db := pgtest.OpenNode(t, pgtest.NewSchema(t), pgtest.NodeOptions{URL: u.String()})
	ctx := testCtx(t)
	if _, err := db.FindTenants(ctx); err != nil {
		t.Fatal(err)
	}
	killed := count(t, pgtest.Open(t), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app)
	if killed == 0 {
		t.Fatalf("no backend of application %s to terminate", app)
	}
	waitPing(t, db)
	if _, err := db.FindTenants(ctx); err != nil {
		t.Errorf("FindTenants after the backends were terminated: %v", err)
	}
}

// waitPing waits up to 15 seconds for Ping to succeed.
func waitPing(t *testing.T, db *pgtest.Node) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := db.Ping(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ping did not recover: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
