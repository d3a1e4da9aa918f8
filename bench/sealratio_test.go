package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/blob"
	"github.com/convstore/convstore/convhttp"
	v1 "github.com/convstore/convstore/convhttp/v1"
	"github.com/convstore/convstore/keyring"
	"github.com/convstore/convstore/postgres"
	"github.com/convstore/convstore/postgres/pgtest"
	"github.com/convstore/convstore/seal"
	"github.com/convstore/convstore/service"
	"github.com/convstore/convstore/sqlite"
)

// sealOps are what BenchmarkSealRatio times, in this order.
var sealOps = []string{"append", "delete", "upload", "download", "http-download"}

// sealMode is one store of BenchmarkSealRatio: unsealed (no keyring) or
// sealed with one algorithm, on a database of its own.
type sealMode struct {
	name    string
	alg     seal.Algorithm // 0: unsealed
	ahead   bool           // downloads open segments ahead, on other cores
	store   convstore.Store
	tenant  convstore.ID
	url     string // the native door over loopback
	secret  string
	n       map[string]int
	elapsed map[string]time.Duration
	cpu     map[string]time.Duration   // the process's CPU time during the operation
	rounds  map[string][]time.Duration // each round's time, in order
	round   sealRound
}

// BenchmarkSealRatio measures, in one run, what sealing costs the service
// on each engine: three stores side by side (plain: no keyring, content
// stored as it comes; aes-gcm and xchacha: sealed with AES-256-GCM or
// XChaCha20-Poly1305, data keys cached as the service does by default;
// aes-ahead: AES-256-GCM with downloads opened ahead on other cores),
// taking turns in rounds so that the machine's other load falls on all
// alike: each round makes its conversations untimed, then times each
// operation on every store in turn before the next operation (the first
// store rotating from round to round). Each round times, per store:
//
//   - append: 20 appends of one message (1 KiB of content, an author name
//     and a metadata pair) to one conversation;
//   - delete: deleting 10 conversations of 10 messages (created untimed);
//   - upload: 2 attachments of 1 MiB;
//   - download: reading those 2 attachments back whole;
//   - http-download: reading them again through the native door over
//     loopback (GET …/attachments/{name}), as a user does.
//
// It prints each rate, its ratio to plain (of the totals), the median of
// the rounds' ratios to plain, which a few bursts of other load do not
// move, and the ratio of the process's CPU time per operation (plain's ÷
// the mode's), which other load moves least of all but which leaves out
// PostgreSQL's own processes and counts helper goroutines' work that wall
// time may hide on idle cores:
//
//	go test -run '^$' -bench SealRatio -benchtime 30x ./bench/
func BenchmarkSealRatio(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			modes := []*sealMode{{name: "plain"}, {name: "aes-gcm", alg: seal.AES256GCM}, {name: "aes-ahead", alg: seal.AES256GCM, ahead: true},
				{name: "xchacha", alg: seal.XChaCha20Poly1305}}
			for _, m := range modes {
				m.open(b, engine)
			}
			b.ResetTimer()
			for i := range b.N {
				// Operation by operation, each mode in turn, the first
				// mode rotating from round to round: a burst of the
				// machine's other load falls on one short operation of
				// one mode, not on a whole round of it, and no mode always
				// runs right after another's writes.
				order := append(modes[i%len(modes):len(modes):len(modes)], modes[:i%len(modes)]...)
				for _, m := range order {
					m.setup(b)
				}
				for _, op := range sealOps {
					for _, m := range order {
						m.run(b, op)
					}
				}
			}
			b.StopTimer()
			if b.N == 1 {
				return // the calibrating run
			}
			fmt.Printf("\nBenchmarkSealRatio/%s: operations per second (%d rounds), (ratio to plain, median of the rounds' ratios, CPU time ratio)\n", engine, b.N)
			for _, op := range sealOps {
				plain := float64(modes[0].n[op]) / modes[0].elapsed[op].Seconds()
				fmt.Printf("  %-13s", op)
				for _, m := range modes {
					rate := float64(m.n[op]) / m.elapsed[op].Seconds()
					b.ReportMetric(rate, op+"-"+m.name+"/s")
					cpu := (modes[0].cpu[op].Seconds() / float64(modes[0].n[op])) / (m.cpu[op].Seconds() / float64(m.n[op]))
					fmt.Printf("  %s %7.1f (%.2f, %.2f, %.2f)", m.name, rate, rate/plain, medianRatio(modes[0].rounds[op], m.rounds[op]), cpu)
				}
				fmt.Println()
			}
		})
	}
}

// open opens the mode's store.
func (m *sealMode) open(b *testing.B, engine string) {
	ctx := context.Background()
	opts := service.Options{SealAlgorithm: m.alg, ReadAhead: m.ahead}
	if m.alg != 0 {
		ring, err := keyring.Open(ctx, keyring.Config{Path: filepath.Join(b.TempDir(), "keyring"), Create: true})
		if err != nil {
			b.Fatal(err)
		}
		opts.Keyring = ring
	}
	switch engine {
	case "sqlite":
		dir := b.TempDir()
		blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
		if err != nil {
			b.Fatal(err)
		}
		drv, err := sqlite.Open(ctx, filepath.Join(dir, "convstore.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		svc := service.New(drv, blobs, opts)
		b.Cleanup(func() { svc.Close() })
		m.store = svc
	case "postgres":
		schema := pgtest.NewSchema(b) // skips when CONVSTORE_TEST_POSTGRES_URL is unset
		m.store = pgtest.OpenNode(b, schema, pgtest.NodeOptions{Driver: postgres.Options{MaxConns: 8}, Service: opts})
	}
	t, key, err := m.store.CreateTenant(ctx, "bench", convstore.DeleteParams{Door: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	m.tenant, m.n, m.elapsed, m.cpu, m.rounds = t.ID, map[string]int{}, map[string]time.Duration{}, map[string]time.Duration{}, map[string][]time.Duration{}
	srv := httptest.NewServer(v1.NewServer(convhttp.Config{Store: m.store, Logger: slog.New(slog.DiscardHandler)}).Handler())
	b.Cleanup(srv.Close)
	m.url, m.secret = srv.URL, key.Secret
}

// sealRound is what one round of a mode works on: made untimed by setup.
type sealRound struct {
	conv convstore.ID   // appended to, attachments put on
	dels []convstore.ID // conversations of 10 messages to delete
}

// sealContent is an appended message's content: 1 KiB.
var sealContent = strings.Repeat("The caller asks about invoice 17 and a refund. ", 22)[:1024]

// sealBody is an uploaded attachment: 1 MiB.
var sealBody = bytes.Repeat([]byte("0123456789abcdef"), 1<<16)

// sealNames are the attachments uploaded in each round.
var sealNames = []string{"a.bin", "b.bin"}

// setup makes, untimed, the conversations of the mode's next round.
func (m *sealMode) setup(b *testing.B) {
	ctx := context.Background()
	conv, _, err := m.store.CreateConversation(ctx, m.tenant, &convstore.ConversationCreate{Title: "bench", UserID: "user-1"})
	if err != nil {
		b.Fatal(err)
	}
	m.round = sealRound{conv: conv.ID, dels: make([]convstore.ID, 10)}
	for i := range m.round.dels {
		batch := make([]*convstore.MessageCreate, 10)
		for j := range batch {
			batch[j] = &convstore.MessageCreate{Role: convstore.RoleUser, Content: sealContent[:200]}
		}
		c, _, err := m.store.CreateConversation(ctx, m.tenant, &convstore.ConversationCreate{Title: "bench", Messages: batch})
		if err != nil {
			b.Fatal(err)
		}
		m.round.dels[i] = c.ID
	}
}

// run runs and times one operation of the mode's round.
func (m *sealMode) run(b *testing.B, op string) {
	ctx := context.Background()
	conv := m.round.conv
	switch op {
	case "append":
		m.time(op, 20, func() {
			for range 20 {
				msg := &convstore.MessageCreate{Role: convstore.RoleUser, Content: sealContent, AuthorName: "Alice Example (agent)",
					Metadata: convstore.Metadata{"channel": "phone"}}
				if _, err := m.store.CreateMessages(ctx, m.tenant, conv, []*convstore.MessageCreate{msg}); err != nil {
					b.Fatal(err)
				}
			}
		})
	case "delete":
		m.time(op, len(m.round.dels), func() {
			for _, id := range m.round.dels {
				if _, err := m.store.DeleteConversation(ctx, m.tenant, id, convstore.DeleteParams{Door: "bench"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	case "upload":
		m.time(op, len(sealNames), func() {
			for _, name := range sealNames {
				if _, err := m.store.PutAttachment(ctx, m.tenant, conv, &convstore.AttachmentPut{Name: name, Body: bytes.NewReader(sealBody)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	case "download":
		m.time(op, len(sealNames), func() {
			for _, name := range sealNames {
				_, rc, err := m.store.OpenAttachment(ctx, m.tenant, conv, name)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil || n != int64(len(sealBody)) {
					b.Fatalf("read %d bytes, %v", n, err)
				}
			}
		})
	case "http-download":
		m.time(op, len(sealNames), func() {
			for _, name := range sealNames {
				req, err := http.NewRequest(http.MethodGet, m.url+"/v1/conversations/"+conv.Format(convstore.PrefixConversation)+"/attachments/"+name, nil)
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Authorization", "Bearer "+m.secret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK || n != int64(len(sealBody)) {
					b.Fatalf("GET %s: %s, %d bytes, %v", name, resp.Status, n, err)
				}
			}
		})
	default:
		b.Fatalf("unknown operation %q", op)
	}
}

func (m *sealMode) time(op string, n int, fn func()) {
	start, startCPU := time.Now(), processCPU()
	fn()
	d := time.Since(start)
	m.cpu[op] += processCPU() - startCPU
	m.elapsed[op] += d
	m.n[op] += n
	m.rounds[op] = append(m.rounds[op], d)
}

// medianRatio is the median over rounds of plain's time ÷ the mode's (its
// rate ratio) in the same round. Both ran the same work back to back, so
// a burst of other load that falls on one round of one mode moves one
// ratio, not the median; the ratio of the totals beside it counts every
// burst.
func medianRatio(plain, mode []time.Duration) float64 {
	r := make([]float64, len(plain))
	for i := range plain {
		r[i] = plain[i].Seconds() / mode[i].Seconds()
	}
	slices.Sort(r)
	if n := len(r); n%2 == 0 {
		return (r[n/2-1] + r[n/2]) / 2
	}
	return r[len(r)/2]
}
