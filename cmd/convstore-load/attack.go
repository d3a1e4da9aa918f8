package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// scenario is one kind of abusive connection, dialed from its own
// loopback address.
type scenario struct {
	name, what string
	from       string // loopback address the connections come from
	conns      int    // default count
	run        func(ctx context.Context, a *abuser, f *fixture, s *server)
}

var scenarios = []scenario{
	{"token", "POST declaring 8 MB to the public Symbl token route, all but the last byte sent", "127.0.0.2", 32, runToken},
	{"loris", "request headers sent one line a second, never finished", "127.0.0.3", 64, runLoris},
	{"upload", "attachment PUT declaring 100 MB, sent at 16 bytes a second", "127.0.0.4", 16, runUpload},
	{"json", "GET of a large conversation (ElevenLabs door), answer never read", "127.0.0.5", 8, runNonReading(jsonPath)},
	{"download", "GET of a large attachment, answer never read", "127.0.0.6", 16, runNonReading(attachmentPath)},
	{"idle", "connections that send nothing", "127.0.0.7", 400, runIdle},
}

// abuser is one abusive connection.
type abuser struct {
	conn   net.Conn
	local  string    // its client address, as /proc/net/tcp shows it
	opened time.Time // when the dial completed
	cutNs  atomic.Int64
	status atomic.Int32 // status of an answer it read, if any
}

// readStatus reads the status of the connection's answer, if one comes.
func (a *abuser) readStatus() {
	resp, err := http.ReadResponse(bufio.NewReader(a.conn), nil)
	if err == nil {
		a.status.Store(int32(resp.StatusCode))
		resp.Body.Close()
	}
}

func host(s *server) string { u, _ := url.Parse(s.url); return u.Host }

// runToken is the scenario: 8 MB declared to a public route, all
// but the last byte sent as fast as the server takes them.
func runToken(ctx context.Context, a *abuser, f *fixture, s *server) {
	go a.readStatus()
	const size = 8 << 20
	head := fmt.Sprintf("POST /compat/symbl/oauth2/token:generate HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", host(s), size)
	if _, err := io.WriteString(a.conn, head); err != nil {
		return
	}
	chunk := make([]byte, 64<<10)
	for sent := 0; sent < size-1 && ctx.Err() == nil; {
		n, err := a.conn.Write(chunk[:min(len(chunk), size-1-sent)])
		if err != nil {
			return
		}
		sent += n
	}
}

// runLoris sends one header line a second and never ends the headers.
func runLoris(ctx context.Context, a *abuser, f *fixture, s *server) {
	go a.readStatus()
	if _, err := fmt.Fprintf(a.conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n", host(s)); err != nil {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if _, err := fmt.Fprintf(a.conn, "X-Slow-%d: 1\r\n", i); err != nil {
			return
		}
	}
}

// runUpload declares a 100 MB attachment and sends 16 bytes a second.
func runUpload(ctx context.Context, a *abuser, f *fixture, s *server) {
	go a.readStatus()
	head := fmt.Sprintf("PUT /v1/conversations/%s/attachments/slow-%d.bin HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n",
		f.large, a.conn.LocalAddr().(*net.TCPAddr).AddrPort().Port(), host(s), s.key, 100<<20)
	if _, err := io.WriteString(a.conn, head); err != nil {
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if _, err := a.conn.Write(make([]byte, 16)); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func jsonPath(f *fixture) (string, string) {
	return "/compat/elevenlabs/v1/convai/conversations/" + f.large, "xi-api-key"
}

func attachmentPath(f *fixture) (string, string) { return f.attachment, "Authorization" }

// runNonReading sends a GET and never reads the answer, with a small
// receive buffer so that the server's writes block soon.
func runNonReading(path func(*fixture) (string, string)) func(context.Context, *abuser, *fixture, *server) {
	return func(ctx context.Context, a *abuser, f *fixture, s *server) {
		_ = a.conn.(*net.TCPConn).SetReadBuffer(4 << 10)
		p, header := path(f)
		cred := s.key
		if header == "Authorization" {
			cred = "Bearer " + s.key
		}
		_, _ = fmt.Fprintf(a.conn, "GET %s HTTP/1.1\r\nHost: %s\r\n%s: %s\r\n\r\n", p, host(s), header, cred)
	}
}

// runIdle connects and sends nothing.
func runIdle(ctx context.Context, a *abuser, f *fixture, s *server) {}

// phase names, in order.
var phaseNames = []string{"rest", "attack", "after"}

// phaseStats is what one phase cost the server and its good client.
type phaseStats struct {
	peakRSS  int64
	ok, fail int
	lat      []time.Duration
}

// scenarioStats is how the server dealt with one scenario's connections.
type scenarioStats struct {
	sc            scenario
	conns, dialed int
	cut           []time.Duration // of the connections cut, how long after their dial
	statuses      map[int]int
	dialErr       error
}

// report is the outcome of one attack.
type report struct {
	label     string
	restRSS   int64
	hwm       int64
	phases    [3]phaseStats
	scenarios []scenarioStats
}

// attack runs the phases against s and prints the report.
func attack(ctx context.Context, o options, s *server, label string) (*report, error) {
	fmt.Fprintf(os.Stderr, "convstore-load: %s (pid %d): preparing %d messages and a %d MiB attachment\n", label, s.pid, o.messages, o.attachmentMiB)
	f, err := prepare(s, o.messages, o.attachmentMiB)
	if err != nil {
		return nil, err
	}
	r := &report{label: label}
	rss, _, err := s.memory()
	if err != nil {
		return nil, err
	}
	r.restRSS = rss

	var phase atomic.Int32
	var mu sync.Mutex // guards r.phases
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { // memory sampler
		defer bg.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if rss, _, err := s.memory(); err == nil {
				mu.Lock()
				p := &r.phases[phase.Load()]
				p.peakRSS = max(p.peakRSS, rss)
				mu.Unlock()
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	go func() { // the well-behaved client: a fresh connection per request, 20 a second
		defer bg.Done()
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}}).DialContext,
		}}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			p := phase.Load()
			start := time.Now()
			ok := goodRequest(client, s, f)
			d := time.Since(start)
			mu.Lock()
			if ok {
				r.phases[p].ok++
				r.phases[p].lat = append(r.phases[p].lat, d)
			} else {
				r.phases[p].fail++
			}
			mu.Unlock()
		}
	}()

	wait := func(d time.Duration) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
			return nil
		}
	}
	fmt.Fprintf(os.Stderr, "convstore-load: %s: rest %s\n", label, o.rest)
	if err := wait(o.rest); err != nil {
		return nil, err
	}

	fmt.Fprintf(os.Stderr, "convstore-load: %s: attack %s\n", label, o.attack)
	phase.Store(1)
	attackCtx, endAttack := context.WithCancel(ctx)
	var abusers [][]*abuser
	var workers sync.WaitGroup
	for _, sc := range scenarios {
		st := scenarioStats{sc: sc, conns: *o.counts[sc.name], statuses: map[int]int{}}
		var list []*abuser
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(sc.from)}, Timeout: 5 * time.Second}
		for range st.conns {
			c, err := d.DialContext(ctx, "tcp", host(s))
			if err != nil {
				continue // refused during the handshake: counted as not dialed
			}
			a := &abuser{conn: c, local: c.LocalAddr().String(), opened: time.Now()}
			list = append(list, a)
			workers.Add(1)
			go func() {
				defer workers.Done()
				sc.run(attackCtx, a, f, s)
			}()
		}
		st.dialed = len(list)
		r.scenarios = append(r.scenarios, st)
		abusers = append(abusers, list)
	}
	watchDone := make(chan struct{})
	go func() { // the watcher of the server's ends
		defer close(watchDone)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if est, err := establishedFrom(host(s)); err == nil {
				now := time.Now()
				for _, list := range abusers {
					for _, a := range list {
						if a.cutNs.Load() == 0 && !est[a.local] {
							a.cutNs.Store(int64(max(now.Sub(a.opened), time.Nanosecond)))
						}
					}
				}
			}
			select {
			case <-attackCtx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	if err := wait(o.attack); err != nil {
		endAttack()
		return nil, err
	}
	endAttack()
	<-watchDone
	for i, list := range abusers {
		for _, a := range list {
			_ = a.conn.Close()
			if d := a.cutNs.Load(); d > 0 {
				r.scenarios[i].cut = append(r.scenarios[i].cut, time.Duration(d))
			}
			if st := a.status.Load(); st != 0 {
				r.scenarios[i].statuses[int(st)]++
			}
		}
	}
	workers.Wait()

	fmt.Fprintf(os.Stderr, "convstore-load: %s: after %s\n", label, o.after)
	phase.Store(2)
	if err := wait(o.after); err != nil {
		return nil, err
	}
	close(stop)
	bg.Wait()
	if _, hwm, err := s.memory(); err == nil {
		r.hwm = hwm
	}
	printReport(os.Stdout, r, o)
	return r, nil
}

// goodRequest is one request of the well-behaved client.
func goodRequest(c *http.Client, s *server, f *fixture) bool {
	req, err := http.NewRequest("GET", s.url+"/v1/conversations/"+f.small, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+s.key)
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err == nil && resp.StatusCode == 200
}
