package doors_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/convhttp/doors"
	"github.com/convstore/convstore/convhttp/doortest"
)

// BenchmarkStreamMemory measures what one GET of a large conversation costs
// the server's heap, through each answer that holds a whole conversation:
// Inkeep's get, ElevenLabs' get, Symbl's messages and Stammer's list (100
// conversations with their first 100 messages each). It reports the body
// size, the peak heap growth while the request ran, and their ratio; the
// "unread" runs send the request and never read the answer, and report the
// live heap the blocked handler holds. The same file runs unchanged against
// older commits, so ratios before and after a change come from one machine:
//
//	CONVSTORE_BENCH_MESSAGES=20000 CONVSTORE_BENCH_MESSAGE_BYTES=4096 \
//	  go test -run '^$' -bench StreamMemory -benchtime 1x ./http/doors/
func BenchmarkStreamMemory(b *testing.B) {
	n := benchEnv(b, "CONVSTORE_BENCH_MESSAGES", 20000)
	size := benchEnv(b, "CONVSTORE_BENCH_MESSAGE_BYTES", 4096)
	env := doortest.New(b)
	ctx := context.Background()
	big := benchConversation(b, env, ctx, n, size)
	for range 99 { // Stammer's list: a page of 100 conversations
		benchConversation(b, env, ctx, 100, size)
	}
	routes := []struct{ name, path, header, value string }{
		{"inkeep-get", "/compat/inkeep/conversations/" + big.ID.Format(convstore.PrefixConversation), "Authorization", "Bearer " + env.KeyA},
		{"elevenlabs-get", "/compat/elevenlabs/v1/convai/conversations/" + big.ID.Format(convstore.PrefixConversation), "xi-api-key", env.KeyA},
		{"symbl-messages", "/compat/symbl/v1/conversations/" + strconv.FormatInt(big.Seq, 10) + "/messages", "Authorization", "Bearer " + env.KeyA},
		{"stammer-list", "/compat/stammer/en/chatbot/api/v1/conversations/?onlyDeletedConversations=false&page_size=100", "Authorization", "Token " + env.KeyA},
	}
	var summary []string
	for _, rt := range routes {
		var body int64
		b.Run(rt.name, func(b *testing.B) {
			ts := httptest.NewServer(doors.NewMainServer(env.Config()).Handler())
			defer ts.Close()
			var peak uint64
			for range b.N {
				runtime.GC()
				base := heapObjects()
				stop := sampleHeap(&peak)
				body = benchGet(b, ts.URL+rt.path, rt.header, rt.value)
				stop()
				peak -= min(peak, base)
			}
			b.ReportMetric(float64(body)/(1<<20), "body-MB")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(peak)/float64(body), "peak/body")
			summary = append(summary, fmt.Sprintf("%-15s body %7.1f MB  peak heap growth %7.1f MB  peak/body %.3f",
				rt.name, float64(body)/(1<<20), float64(peak)/(1<<20), float64(peak)/float64(body)))
		})
		b.Run(rt.name+"-unread", func(b *testing.B) {
			for range b.N {
				held, written := benchUnread(b, env, rt.path, rt.header, rt.value)
				b.ReportMetric(float64(held)/(1<<20), "held-MB")
				b.ReportMetric(float64(held)/float64(body), "held/body")
				summary = append(summary, fmt.Sprintf("%-15s unread: handler blocked after %.1f MB sent, holding %.1f MB of live heap: held/body %.3f",
					rt.name, float64(written)/(1<<20), float64(held)/(1<<20), float64(held)/float64(body)))
			}
		})
	}
	b.Logf("%d messages of %d bytes:\n%s", n, size, strings.Join(summary, "\n"))
}

// benchEnv reads a positive integer setting from the environment.
func benchEnv(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// benchConversation creates a conversation of n messages of size bytes.
func benchConversation(b *testing.B, env *doortest.Env, ctx context.Context, n, size int) *convstore.Conversation {
	b.Helper()
	c, _, err := env.Store.CreateConversation(ctx, env.TenantA, &convstore.ConversationCreate{AgentID: bot})
	if err != nil {
		b.Fatal(err)
	}
	filler := strings.Repeat("x", size)
	for done := 0; done < n; {
		batch := make([]*convstore.MessageCreate, min(convstore.MaxMessageBatch, n-done))
		for i := range batch {
			batch[i] = &convstore.MessageCreate{Role: []convstore.Role{convstore.RoleUser, convstore.RoleAssistant}[(done+i)%2], Content: filler}
		}
		if _, err := env.Store.CreateMessages(ctx, env.TenantA, c.ID, batch); err != nil {
			b.Fatal(err)
		}
		done += len(batch)
	}
	c, err = env.Store.FindConversationByID(ctx, env.TenantA, c.ID)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// heapObjects returns the bytes of heap objects, live or not yet swept.
func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// liveHeap returns the live heap after a collection.
func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// sampleHeap records the highest heapObjects into *peak until stop is
// called.
func sampleHeap(peak *uint64) (stop func()) {
	*peak = heapObjects()
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			*peak = max(*peak, heapObjects())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// benchGet reads a whole answer and returns its size.
func benchGet(b *testing.B, url, header, value string) int64 {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set(header, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d, %v", url, resp.StatusCode, err)
	}
	return n
}

// countingListener counts the bytes its connections write.
type countingListener struct {
	net.Listener
	written atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	return &countingConn{Conn: c, l: l}, err
}

type countingConn struct {
	net.Conn
	l *countingListener
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.l.written.Add(int64(n))
	return n, err
}

// benchUnread sends a request and never reads the answer. Once the server
// has stopped writing (the socket buffers are full and the handler is
// blocked), it returns the live heap the server holds beyond what it held
// before, and how much it had sent.
func benchUnread(b *testing.B, env *doortest.Env, path, header, value string) (held uint64, written int64) {
	ts := httptest.NewUnstartedServer(doors.NewMainServer(env.Config()).Handler())
	cl := &countingListener{Listener: ts.Listener}
	ts.Listener = cl
	ts.Start()
	defer ts.Close()
	base := liveHeap()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "GET %s HTTP/1.1\r\nHost: bench\r\n%s: %s\r\n\r\n", path, header, value)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	// Blocked: something was sent, then nothing more for a while.
	for last, still := int64(-1), 0; still < 10; {
		time.Sleep(50 * time.Millisecond)
		if n := cl.written.Load(); n > 0 && n == last {
			still++
		} else {
			last, still = n, 0
		}
	}
	held = liveHeap()
	return held - min(held, base), cl.written.Load()
}
