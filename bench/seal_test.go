package bench

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/convstore/convstore"
	"github.com/convstore/convstore/keyring"
	"github.com/convstore/convstore/seal"
)

// BenchmarkSealedAppend estimates what sealing adds to appending a message
// (1 KiB of content and a 21-byte author name) on each engine, before the
// service tier does it for real. Each iteration makes one plain append, as
// today, and one sealed append, which first unwraps the conversation's data
// key (as each request will), seals both fields bound to their place, and
// appends them base64-encoded (the engines store text today; stored as
// bytes, sealed values will be a quarter smaller than here, so this
// overstates the cost). A third append seals with a data key unwrapped
// once (cachedkey: a service that caches unwrapped keys per conversation).
// A fourth, the control, stores plain values as long as the sealed ones
// (padded). The four take turns, the sealed ones into one conversation and
// the others each into their own, so the machine's other load falls on all
// alike; it reports the median of each, their ratios to plain, and the
// median time spent unwrapping and sealing (seal-ns/append).
//
//	go test -run '^$' -bench SealedAppend -benchtime 3000x ./bench/
func BenchmarkSealedAppend(b *testing.B) {
	content := strings.Repeat("The caller asks about invoice 17 and a refund. ", 22)[:1024]
	author := "Alice Example (agent)"
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			e := newEnv(b, engine, 0)
			convs := e.createConversations(b, 3, 1)
			plainConv, sealedConv, paddedConv := convs[0], convs[1], convs[2]
			k, err := keyring.Open(e.ctx, keyring.Config{Path: b.TempDir() + "/keyring.json", Create: true})
			if err != nil {
				b.Fatal(err)
			}
			keyAAD := seal.Context{Tenant: e.tenant.Base32(), Conversation: sealedConv.Base32(), Table: "conversation_keys", Column: "dek"}.AAD()
			wrapped, err := k.Wrap(k.Current().ID, seal.NewDEK(), keyAAD)
			if err != nil {
				b.Fatal(err)
			}
			appendPlain := func() {
				m := &convstore.MessageCreate{Role: convstore.RoleUser, Content: content, AuthorName: author}
				if _, err := e.store.CreateMessages(e.ctx, e.tenant, plainConv, []*convstore.MessageCreate{m}); err != nil {
					b.Fatal(err)
				}
			}
			// The control: plain values as long as the sealed, base64-encoded
			// ones, to tell the cost of sealing from that of longer rows.
			paddedContent := strings.Repeat("x", base64.StdEncoding.EncodedLen(len(content)+seal.Overhead(seal.DefaultAlgorithm)))
			paddedAuthor := strings.Repeat("x", base64.StdEncoding.EncodedLen(len(author)+seal.Overhead(seal.DefaultAlgorithm)))
			appendPadded := func() {
				m := &convstore.MessageCreate{Role: convstore.RoleUser, Content: paddedContent, AuthorName: paddedAuthor}
				if _, err := e.store.CreateMessages(e.ctx, e.tenant, paddedConv, []*convstore.MessageCreate{m}); err != nil {
					b.Fatal(err)
				}
			}
			cachedDEK, err := k.Unwrap(e.ctx, wrapped, keyAAD)
			if err != nil {
				b.Fatal(err)
			}
			var crypto []time.Duration
			appendSealed := func(cached bool) {
				start := time.Now()
				dek := cachedDEK
				if !cached {
					if dek, err = k.Unwrap(e.ctx, wrapped, keyAAD); err != nil {
						b.Fatal(err)
					}
				}
				place := seal.Context{Tenant: e.tenant.Base32(), Conversation: sealedConv.Base32(), Table: "messages", Row: "msg"}
				place.Column = "content"
				sealedContent := base64.StdEncoding.EncodeToString(seal.Seal(dek, []byte(content), place.AAD()))
				place.Column = "author_name"
				sealedAuthor := base64.StdEncoding.EncodeToString(seal.Seal(dek, []byte(author), place.AAD()))
				if !cached {
					crypto = append(crypto, time.Since(start))
				}
				m := &convstore.MessageCreate{Role: convstore.RoleUser, Content: sealedContent, AuthorName: sealedAuthor}
				if _, err := e.store.CreateMessages(e.ctx, e.tenant, sealedConv, []*convstore.MessageCreate{m}); err != nil {
					b.Fatal(err)
				}
			}
			timed := func(fn func()) time.Duration {
				start := time.Now()
				fn()
				return time.Since(start)
			}
			var plain, sealed, cached, padded []time.Duration
			steps := []func(){
				func() { plain = append(plain, timed(appendPlain)) },
				func() { sealed = append(sealed, timed(func() { appendSealed(false) })) },
				func() { cached = append(cached, timed(func() { appendSealed(true) })) },
				func() { padded = append(padded, timed(appendPadded)) },
			}
			for i := 0; b.Loop(); i++ {
				for j := range steps {
					steps[(i+j)%len(steps)]()
				}
			}
			p, s, c, q := median(plain), median(sealed), median(cached), median(padded)
			b.ReportMetric(float64(p.Nanoseconds()), "plain-ns/append")
			b.ReportMetric(float64(s.Nanoseconds()), "sealed-ns/append")
			b.ReportMetric(float64(s)/float64(p), "sealed/plain")
			b.ReportMetric(float64(c)/float64(p), "cachedkey/plain")
			b.ReportMetric(float64(q)/float64(p), "padded/plain")
			b.ReportMetric(float64(median(crypto).Nanoseconds()), "seal-ns/append")
		})
	}
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2]
}
